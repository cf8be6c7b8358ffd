import { useEffect, useState } from 'react';
import { App, Col, DatePicker, Drawer, Flex, Form, Input, InputNumber, Radio, Row, Select, Switch } from 'antd';
import type { Dayjs } from 'dayjs';
import dayjs from 'dayjs';
import { loyaltyApi } from '../../../api/loyalty';
import type { CouponTemplate, CouponTemplateInput, CouponType, Tier } from '../../../api/loyaltyTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { StoreSelect } from '../../../components/StoreSelect';
import { toApiError } from '../../../hooks/useAsync';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT } from '../../../i18n';
import { CATEGORY_SUGGESTIONS, COUPON_TYPES, couponTypeKey, ListSelect, YuanInput } from '../shared';
import { DrawerFooter } from '../../../components/DrawerFooter';

interface Values {
  name: string;
  type: CouponType;
  note?: string;
  amount?: number | null;
  min_order_amount?: number | null;
  percent_off?: number | null;
  max_discount?: number | null;
  gift?: string;
  exchange_product_id?: string;
  validity_type: 'relative' | 'fixed';
  validity_days?: number;
  validity_range?: [Dayjs, Dayjs];
  per_customer_limit?: number | null;
  total_stock?: number | null;
  store_ids?: number[];
  categories?: string[];
  product_ids?: string[];
  min_tier_level?: number | null;
  stacks_with_coupons: boolean;
  stacks_with_points: boolean;
  reversible: boolean;
  status: 'active' | 'paused';
}

const FIELDS = [
  'name',
  'type',
  'note',
  'amount',
  'min_order_amount',
  'percent_off',
  'max_discount',
  'gift',
  'exchange_product_id',
  'validity',
  'per_customer_limit',
  'total_stock',
  'store_ids',
  'categories',
  'product_ids',
  'min_tier_level',
  'status',
] as const;

function toInput(values: Values): CouponTemplateInput {
  const input: CouponTemplateInput = {
    name: values.name.trim(),
    type: values.type,
    note: values.note?.trim() ?? '',
    validity:
      values.validity_type === 'relative'
        ? { type: 'relative', days: values.validity_days }
        : {
            type: 'fixed',
            from: values.validity_range?.[0]?.startOf('day').toISOString(),
            to: values.validity_range?.[1]?.add(1, 'day').startOf('day').toISOString(),
          },
    stacks_with_coupons: values.stacks_with_coupons,
    stacks_with_points: values.stacks_with_points,
    reversible: values.reversible,
    status: values.status,
  };
  if (values.type === 'cash_off' || values.type === 'threshold') input.amount = values.amount ?? undefined;
  if (values.min_order_amount) input.min_order_amount = values.min_order_amount;
  if (values.type === 'percent') {
    input.percent_off = values.percent_off ?? undefined;
    if (values.max_discount) input.max_discount = values.max_discount;
  }
  if (values.type === 'exchange') {
    input.gift = values.gift?.trim();
    if (values.exchange_product_id?.trim()) input.exchange_product_id = values.exchange_product_id.trim();
  }
  if (values.per_customer_limit) input.per_customer_limit = values.per_customer_limit;
  if (values.total_stock) input.total_stock = values.total_stock;
  if (values.store_ids?.length) input.store_ids = values.store_ids;
  if (values.categories?.length) input.categories = values.categories;
  if (values.product_ids?.length) input.product_ids = values.product_ids;
  if (values.min_tier_level !== null && values.min_tier_level !== undefined)
    input.min_tier_level = values.min_tier_level;
  return input;
}

interface Props {
  target: { template?: CouponTemplate } | null;
  tiers: Tier[];
  onClose: () => void;
  onSaved: (template: CouponTemplate) => void;
}

/**
 * Creates a coupon template with the inputs of its type; once created, only its name, note,
 * status, stock and per-customer limit change (the discount rules are fixed by the API).
 */
export function TemplateDrawer({ target, tiers, onClose, onSaved }: Props) {
  const t = useT();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const type = Form.useWatch('type', form) ?? 'cash_off';
  const validityType = Form.useWatch('validity_type', form) ?? 'relative';
  const editing = target?.template;
  const locked = Boolean(editing);

  useEffect(() => {
    if (!target) return;
    form.resetFields();
    const tpl = target.template;
    if (tpl) {
      form.setFieldsValue({
        ...tpl,
        status: tpl.status === 'paused' ? 'paused' : 'active',
        validity_type: tpl.validity.type,
        validity_days: tpl.validity.days,
        validity_range:
          tpl.validity.from && tpl.validity.to
            ? [dayjs(tpl.validity.from), dayjs(tpl.validity.to).subtract(1, 'day')]
            : undefined,
        exchange_product_id: tpl.exchange_product_id ?? undefined,
      });
    } else {
      form.setFieldsValue({
        type: 'threshold',
        validity_type: 'relative',
        validity_days: 30,
        stacks_with_coupons: false,
        stacks_with_points: true,
        reversible: true,
        status: 'active',
      });
    }
  }, [target, form]);

  const save = async (values: Values) => {
    setSaving(true);
    try {
      const saved = editing
        ? await loyaltyApi.updateTemplate(editing.id, {
            name: values.name.trim(),
            note: values.note?.trim() ?? '',
            status: values.status,
            total_stock: values.total_stock ?? null,
            per_customer_limit: values.per_customer_limit ?? null,
          })
        : await loyaltyApi.createTemplate(toInput(values));
      message.success(t('coupons.saved'));
      onSaved(saved);
    } catch (reason) {
      const error = toApiError(reason);
      if (error.field?.startsWith('validity.')) {
        const name = validityType === 'relative' ? 'validity_days' : 'validity_range';
        form.setFields([{ name, errors: [error.message.replace(/^[\w.]+: /, '')] }]);
      } else if (!applyFieldError(form, error, FIELDS, t)) message.error(describeError(error, t));
    } finally {
      setSaving(false);
    }
  };

  const required = [{ required: true, message: t('validation.required') }];
  return (
    <Drawer
      title={t(editing ? 'coupons.editTitle' : 'coupons.createTitle')}
      open={target !== null}
      onClose={onClose}
      width={isMobile ? '100%' : 640}
      destroyOnHidden
      footer={
        <DrawerFooter onCancel={onClose} onSave={() => form.submit()} saving={saving} saveTestId="template-save" />
      }
    >
      <Form<Values> form={form} layout="vertical" onFinish={save} data-testid="template-form">
        <Row gutter={16}>
          <Col xs={24} sm={14}>
            <Form.Item
              name="name"
              label={t('coupons.name')}
              rules={[...required, { max: 50, message: t('validation.maxLength', { max: 50 }) }]}
            >
              <Input placeholder={t('coupons.namePlaceholder')} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={10}>
            <Form.Item name="status" label={t('coupons.status')}>
              <Radio.Group
                optionType="button"
                options={[
                  { value: 'active', label: t('coupons.status.active') },
                  { value: 'paused', label: t('coupons.status.paused') },
                ]}
              />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="type" label={t('coupons.type')} extra={locked ? t('coupons.lockedHint') : undefined}>
          <Select
            disabled={locked}
            options={COUPON_TYPES.map((value) => ({ value, label: t(couponTypeKey(value)) }))}
            data-testid="template-type"
          />
        </Form.Item>
        <Row gutter={16}>
          {type === 'cash_off' || type === 'threshold' ? (
            <Col xs={12}>
              <Form.Item name="amount" label={t('coupons.amount')} rules={locked ? [] : required}>
                <YuanInput id="amount" min={1} />
              </Form.Item>
            </Col>
          ) : null}
          {type === 'percent' ? (
            <>
              <Col xs={12}>
                <Form.Item
                  name="percent_off"
                  label={t('coupons.percentOff')}
                  extra={t('coupons.percentOffHint')}
                  rules={locked ? [] : required}
                >
                  <InputNumber min={1} max={99} precision={0} suffix="%" style={{ width: '100%' }} disabled={locked} />
                </Form.Item>
              </Col>
              <Col xs={12}>
                <Form.Item name="max_discount" label={t('coupons.maxDiscount')}>
                  <YuanInput placeholder={t('coupons.noCap')} />
                </Form.Item>
              </Col>
            </>
          ) : null}
          {type === 'exchange' ? (
            <>
              <Col xs={12}>
                <Form.Item name="gift" label={t('coupons.gift')} rules={locked ? [] : required}>
                  <Input disabled={locked} placeholder={t('coupons.giftPlaceholder')} />
                </Form.Item>
              </Col>
              <Col xs={12}>
                <Form.Item name="exchange_product_id" label={t('coupons.exchangeProduct')}>
                  <Input disabled={locked} />
                </Form.Item>
              </Col>
            </>
          ) : null}
          <Col xs={12}>
            <Form.Item
              name="min_order_amount"
              label={t('coupons.minOrder')}
              rules={type === 'threshold' && !locked ? required : []}
            >
              <YuanInput placeholder={t('coupons.noMinimum')} />
            </Form.Item>
          </Col>
        </Row>
        <Row gutter={16}>
          <Col xs={24} sm={10}>
            <Form.Item name="validity_type" label={t('coupons.validity')}>
              <Radio.Group
                disabled={locked}
                optionType="button"
                options={[
                  { value: 'relative', label: t('coupons.validity.relative') },
                  { value: 'fixed', label: t('coupons.validity.fixed') },
                ]}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={14}>
            {validityType === 'relative' ? (
              <Form.Item name="validity_days" label={t('coupons.validityDays')} rules={locked ? [] : required}>
                <InputNumber
                  min={1}
                  max={3650}
                  precision={0}
                  suffix={t('coupons.days')}
                  style={{ width: '100%' }}
                  disabled={locked}
                />
              </Form.Item>
            ) : (
              <Form.Item name="validity_range" label={t('coupons.validityRange')} rules={locked ? [] : required}>
                <DatePicker.RangePicker style={{ width: '100%' }} disabled={locked} />
              </Form.Item>
            )}
          </Col>
          <Col xs={12}>
            <Form.Item name="total_stock" label={t('coupons.totalStock')}>
              <InputNumber min={1} precision={0} placeholder={t('coupons.unlimited')} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12}>
            <Form.Item name="per_customer_limit" label={t('coupons.perCustomer')}>
              <InputNumber
                min={1}
                max={1000}
                precision={0}
                placeholder={t('coupons.unlimited')}
                style={{ width: '100%' }}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="store_ids" label={t('coupons.stores')}>
              <StoreSelect multiple placeholder={t('coupons.anyStore')} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="min_tier_level" label={t('coupons.minTier')}>
              <Select
                allowClear
                disabled={locked}
                placeholder={t('coupons.anyTier')}
                options={tiers.map((tier) => ({
                  value: tier.level,
                  label: t('coupons.tierAndAbove', { name: tier.name }),
                }))}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="categories" label={t('coupons.categories')}>
              <ListSelect placeholder={t('coupons.anyCategory')} options={CATEGORY_SUGGESTIONS} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="product_ids" label={t('coupons.products')}>
              <ListSelect placeholder={t('coupons.anyProduct')} />
            </Form.Item>
          </Col>
        </Row>
        <Flex gap={24} wrap>
          <Form.Item name="stacks_with_coupons" label={t('coupons.stacksCoupons')} valuePropName="checked">
            <Switch disabled={locked} />
          </Form.Item>
          <Form.Item name="stacks_with_points" label={t('coupons.stacksPoints')} valuePropName="checked">
            <Switch disabled={locked} />
          </Form.Item>
          <Form.Item name="reversible" label={t('coupons.reversible')} valuePropName="checked">
            <Switch disabled={locked} />
          </Form.Item>
        </Flex>
        <Form.Item
          name="note"
          label={t('coupons.note')}
          rules={[{ max: 500, message: t('validation.maxLength', { max: 500 }) }]}
        >
          <Input.TextArea rows={2} placeholder={t('coupons.notePlaceholder')} />
        </Form.Item>
      </Form>
    </Drawer>
  );
}
