import { useEffect, useState } from 'react';
import {
  App,
  Checkbox,
  Col,
  DatePicker,
  Divider,
  Drawer,
  Form,
  Input,
  InputNumber,
  Radio,
  Row,
  Select,
  Switch,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { loyaltyApi } from '../../../api/loyalty';
import type { BonusTrigger, CapPeriod, EarningRule, RuleConfig, RuleKind, Tier } from '../../../api/loyaltyTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { StoreSelect } from '../../../components/StoreSelect';
import { toApiError } from '../../../hooks/useAsync';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT, type MessageKey } from '../../../i18n';
import { CATEGORY_SUGGESTIONS, ListSelect, YuanInput } from '../shared';
import { DrawerFooter } from '../../../components/DrawerFooter';

export const TRIGGERS: readonly BonusTrigger[] = ['registration', 'first_order', 'order', 'birthday', 'questionnaire'];
const PERIODS: readonly CapPeriod[] = ['day', 'month', 'year', 'lifetime'];
const DAYS = [1, 2, 3, 4, 5, 6, 7];

interface Values {
  name: string;
  kind: RuleKind;
  active: boolean;
  priority: number;
  points?: number;
  per_yuan?: number;
  multiplier_pct?: number;
  trigger?: BonusTrigger;
  stores?: number[];
  categories?: string[];
  products?: string[];
  tiers?: number[];
  days_of_week?: number[];
  dates?: [Dayjs | null, Dayjs | null];
  min_amount?: number | null;
  cap_per_order?: number | null;
  cap_points?: number | null;
  cap_period?: CapPeriod;
}

/** Form values → the rule's config for its kind; empty conditions are left out. */
function toConfig(values: Values): RuleConfig {
  const config: RuleConfig = {};
  if (values.kind === 'spend') {
    config.points = values.points;
    config.per_yuan = values.per_yuan ?? 1;
  } else if (values.kind === 'multiplier') {
    config.multiplier_pct = values.multiplier_pct;
  } else {
    config.trigger = values.trigger;
    config.points = values.points;
  }
  if (values.stores?.length) config.stores = values.stores;
  if (values.categories?.length) config.categories = values.categories;
  if (values.products?.length) config.products = values.products;
  if (values.tiers?.length) config.tiers = values.tiers;
  if (values.days_of_week?.length && values.days_of_week.length < 7) config.days_of_week = values.days_of_week;
  const [from, to] = values.dates ?? [null, null];
  if (from) config.starts_at = from.startOf('day').toISOString();
  if (to) config.ends_at = to.add(1, 'day').startOf('day').toISOString();
  if (values.min_amount) config.min_amount = values.min_amount;
  if (values.cap_per_order) config.cap_per_order = values.cap_per_order;
  if (values.cap_points) config.cap_per_customer = { points: values.cap_points, period: values.cap_period ?? 'month' };
  return config;
}

function toValues(rule: EarningRule): Values {
  const c = rule.config;
  return {
    name: rule.name,
    kind: rule.kind,
    active: rule.active,
    priority: rule.priority,
    points: c.points,
    per_yuan: c.per_yuan ?? 1,
    multiplier_pct: c.multiplier_pct,
    trigger: c.trigger,
    stores: c.stores,
    categories: c.categories,
    products: c.products,
    tiers: c.tiers,
    days_of_week: c.days_of_week,
    dates:
      c.starts_at || c.ends_at
        ? [c.starts_at ? dayjs(c.starts_at) : null, c.ends_at ? dayjs(c.ends_at).subtract(1, 'day') : null]
        : undefined,
    min_amount: c.min_amount ?? null,
    cap_per_order: c.cap_per_order ?? null,
    cap_points: c.cap_per_customer?.points ?? null,
    cap_period: c.cap_per_customer?.period ?? 'month',
  };
}

/** Maps `config.cap_per_customer.period` and friends onto the form's own field names. */
function formField(field: string): string {
  if (field.startsWith('config.cap_per_customer')) return 'cap_points';
  if (field === 'config.starts_at' || field === 'config.ends_at') return 'dates';
  if (field.startsWith('config.')) return field.slice('config.'.length).split(/[.[]/)[0];
  return field;
}

const FIELDS = [
  'name',
  'kind',
  'priority',
  'points',
  'per_yuan',
  'multiplier_pct',
  'trigger',
  'stores',
  'categories',
  'products',
  'tiers',
  'days_of_week',
  'dates',
  'min_amount',
  'cap_per_order',
  'cap_points',
] as const;

interface Props {
  target: { rule?: EarningRule; kind?: RuleKind } | null;
  tiers: Tier[];
  onClose: () => void;
  onSaved: () => void;
}

/** Creates or edits an earning rule: the inputs of its kind, then the conditions and caps any rule may carry. */
export function RuleDrawer({ target, tiers, onClose, onSaved }: Props) {
  const t = useT();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const kind = Form.useWatch('kind', form) ?? 'spend';
  const editing = target?.rule;

  useEffect(() => {
    if (!target) return;
    form.resetFields();
    if (target.rule) form.setFieldsValue(toValues(target.rule));
    else {
      form.setFieldsValue({
        kind: target.kind ?? 'spend',
        active: true,
        priority: 0,
        points: target.kind === 'bonus' ? 100 : 1,
        per_yuan: 1,
        multiplier_pct: 200,
        trigger: 'registration',
        cap_period: 'month',
      });
    }
  }, [target, form]);

  const save = async (values: Values) => {
    const input = {
      name: values.name.trim(),
      kind: values.kind,
      active: values.active,
      priority: values.priority ?? 0,
      config: toConfig(values),
    };
    setSaving(true);
    try {
      if (editing) await loyaltyApi.updateRule(editing.id, input);
      else await loyaltyApi.createRule(input);
      message.success(t('rules.saved'));
      onSaved();
    } catch (reason) {
      const error = toApiError(reason);
      const field = error.field ? formField(error.field) : undefined;
      if (field && (FIELDS as readonly string[]).includes(field)) {
        form.setFields([{ name: field as keyof Values, errors: [error.message.replace(/^[\w.[\]]+: /, '')] }]);
        form.scrollToField(field as keyof Values);
      } else if (!applyFieldError(form, error, FIELDS, t)) {
        message.error(describeError(error, t));
      }
    } finally {
      setSaving(false);
    }
  };

  const required = [{ required: true, message: t('validation.required') }];

  return (
    <Drawer
      title={t(editing ? 'rules.editTitle' : 'rules.createTitle')}
      open={target !== null}
      onClose={onClose}
      width={isMobile ? '100%' : 640}
      destroyOnHidden
      footer={<DrawerFooter onCancel={onClose} onSave={() => form.submit()} saving={saving} saveTestId="rule-save" />}
    >
      <Form<Values> form={form} layout="vertical" onFinish={save} data-testid="rule-form">
        <Form.Item
          name="name"
          label={t('rules.name')}
          rules={[...required, { max: 50, message: t('validation.maxLength', { max: 50 }) }]}
        >
          <Input placeholder={t('rules.namePlaceholder')} />
        </Form.Item>
        <Form.Item name="kind" label={t('rules.kind')} extra={t(`rules.kindHint.${kind}` as MessageKey)}>
          <Radio.Group
            optionType="button"
            disabled={Boolean(editing)}
            options={(['spend', 'multiplier', 'bonus'] as const).map((value) => ({
              value,
              label: t(`rules.kind.${value}`),
            }))}
          />
        </Form.Item>
        <Row gutter={16}>
          {kind === 'spend' ? (
            <>
              <Col xs={12}>
                <Form.Item name="points" label={t('rules.points')} rules={required}>
                  <InputNumber min={1} precision={0} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
              <Col xs={12}>
                <Form.Item name="per_yuan" label={t('rules.perYuan')} extra={t('rules.perYuanHint')} rules={required}>
                  <InputNumber min={1} precision={0} prefix="¥" style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            </>
          ) : null}
          {kind === 'multiplier' ? (
            <Col xs={24} sm={12}>
              <Form.Item
                name="multiplier_pct"
                label={t('rules.multiplierPct')}
                extra={t('rules.multiplierPctHint')}
                rules={required}
              >
                <InputNumber min={100} max={1000} precision={0} suffix="%" style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          ) : null}
          {kind === 'bonus' ? (
            <>
              <Col xs={24} sm={12}>
                <Form.Item name="trigger" label={t('rules.trigger')} rules={required}>
                  <Select
                    options={TRIGGERS.map((value) => ({ value, label: t(`rules.trigger.${value}` as MessageKey) }))}
                  />
                </Form.Item>
              </Col>
              <Col xs={24} sm={12}>
                <Form.Item name="points" label={t('rules.bonusPoints')} rules={required}>
                  <InputNumber min={1} precision={0} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            </>
          ) : null}
          <Col xs={12}>
            <Form.Item name="priority" label={t('rules.priority')} extra={t('rules.priorityHint')}>
              <InputNumber precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12}>
            <Form.Item name="active" label={t('rules.active')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Col>
        </Row>
        <Divider orientation="left" plain>
          {t('rules.conditions')}
        </Divider>
        <Typography.Paragraph type="secondary">{t('rules.conditionsHint')}</Typography.Paragraph>
        <Row gutter={16}>
          <Col xs={24} sm={12}>
            <Form.Item name="stores" label={t('rules.stores')}>
              <StoreSelect multiple placeholder={t('rules.anyStore')} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="tiers" label={t('rules.tiers')}>
              <Select
                mode="multiple"
                allowClear
                placeholder={t('rules.anyTier')}
                options={tiers.map((tier) => ({ value: tier.id, label: tier.name }))}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="categories" label={t('rules.categories')}>
              <ListSelect placeholder={t('rules.anyCategory')} options={CATEGORY_SUGGESTIONS} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="products" label={t('rules.products')}>
              <ListSelect placeholder={t('rules.anyProduct')} />
            </Form.Item>
          </Col>
          <Col xs={24}>
            <Form.Item name="days_of_week" label={t('rules.daysOfWeek')} extra={t('rules.daysOfWeekHint')}>
              <Checkbox.Group
                options={DAYS.map((day) => ({ value: day, label: t(`rules.day.${day}` as MessageKey) }))}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={14}>
            <Form.Item name="dates" label={t('rules.dates')}>
              <DatePicker.RangePicker allowEmpty={[true, true]} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={10}>
            <Form.Item name="min_amount" label={t('rules.minAmount')}>
              <YuanInput placeholder={t('rules.noMinimum')} />
            </Form.Item>
          </Col>
        </Row>
        <Divider orientation="left" plain>
          {t('rules.caps')}
        </Divider>
        <Row gutter={16}>
          <Col xs={24} sm={8}>
            <Form.Item name="cap_per_order" label={t('rules.capPerOrder')}>
              <InputNumber min={1} precision={0} placeholder={t('rules.noCap')} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={14} sm={9}>
            <Form.Item name="cap_points" label={t('rules.capPerCustomer')}>
              <InputNumber min={1} precision={0} placeholder={t('rules.noCap')} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={10} sm={7}>
            <Form.Item name="cap_period" label={t('rules.capPeriod')}>
              <Select options={PERIODS.map((value) => ({ value, label: t(`rules.period.${value}` as MessageKey) }))} />
            </Form.Item>
          </Col>
        </Row>
      </Form>
    </Drawer>
  );
}
