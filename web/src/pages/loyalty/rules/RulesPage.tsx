import { useState } from 'react';
import {
  App,
  Button,
  Card,
  Col,
  Dropdown,
  Empty,
  Flex,
  Form,
  Input,
  InputNumber,
  Row,
  Skeleton,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { DeleteOutlined, DownOutlined, PlusOutlined } from '@ant-design/icons';
import { loyaltyApi } from '../../../api/loyalty';
import type { EarningRule, OrderPreview, RuleKind, Tier } from '../../../api/loyaltyTypes';
import { describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { StoreSelect } from '../../../components/StoreSelect';
import { useFormat, type Formatters } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useT, type MessageKey, type Translate } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { CATEGORY_SUGGESTIONS, YuanInput, useTiers } from '../shared';
import { RuleDrawer } from './RuleDrawer';

const KIND_COLORS: Record<RuleKind, string> = { spend: 'blue', multiplier: 'purple', bonus: 'green' };

/** One line saying what a rule gives and when. */
function ruleSummary(rule: EarningRule, tiers: Tier[], t: Translate, format: Formatters): string {
  const c = rule.config;
  const parts: string[] = [];
  if (rule.kind === 'spend') parts.push(t('rules.summary.spend', { points: c.points ?? 0, yuan: c.per_yuan ?? 1 }));
  else if (rule.kind === 'multiplier') parts.push(t('rules.summary.multiplier', { pct: c.multiplier_pct ?? 100 }));
  else
    parts.push(
      t('rules.summary.bonus', {
        trigger: t(`rules.trigger.${c.trigger ?? 'order'}` as MessageKey),
        points: c.points ?? 0,
      }),
    );
  if (c.categories?.length) parts.push(c.categories.join('、'));
  if (c.products?.length) parts.push(t('rules.summary.products', { count: c.products.length }));
  if (c.stores?.length) parts.push(t('rules.summary.stores', { count: c.stores.length }));
  if (c.tiers?.length)
    parts.push(c.tiers.map((id) => tiers.find((tier) => tier.id === id)?.name ?? `#${id}`).join('、'));
  if (c.days_of_week?.length) parts.push(c.days_of_week.map((d) => t(`rules.day.${d}` as MessageKey)).join(''));
  if (c.min_amount) parts.push(t('rules.summary.min', { amount: format.money(c.min_amount) }));
  if (c.starts_at || c.ends_at) parts.push(`${format.date(c.starts_at)} ~ ${format.date(c.ends_at)}`);
  if (c.cap_per_order) parts.push(t('rules.summary.capOrder', { points: c.cap_per_order }));
  if (c.cap_per_customer)
    parts.push(
      t('rules.summary.capCustomer', {
        points: c.cap_per_customer.points,
        period: t(`rules.period.${c.cap_per_customer.period}` as MessageKey),
      }),
    );
  return parts.join(' · ');
}

interface PreviewLine {
  product_id: string;
  category?: string;
  price?: number | null;
  quantity?: number;
}

interface PreviewValues {
  member: string;
  amount: number | null;
  store_id?: number | null;
  lines?: PreviewLine[];
}

/** What an order would earn under the active rules, for a member: nothing is written. */
function OrderPreviewCard() {
  const t = useT();
  const format = useFormat();
  const [form] = Form.useForm<PreviewValues>();
  const [result, setResult] = useState<OrderPreview | null>(null);
  const [running, setRunning] = useState(false);

  const run = async (values: PreviewValues) => {
    setRunning(true);
    setResult(null);
    try {
      const who = values.member.trim();
      const customerId = /^\d{1,7}$/.test(who)
        ? Number(who)
        : (await loyaltyApi.lookup(/^\+?\d{8,}$/.test(who) ? { phone: who } : { member_no: who })).customer_id;
      const lines = (values.lines ?? [])
        .filter((line) => line?.product_id)
        .map((line) => ({
          product_id: line.product_id,
          category: line.category || undefined,
          price: line.price ?? 0,
          quantity: line.quantity ?? 1,
        }));
      const amount = values.amount ?? lines.reduce((sum, line) => sum + line.price * line.quantity, 0);
      setResult(
        await loyaltyApi.preview({
          customer_id: customerId,
          order_id: `PREVIEW-${Date.now()}`,
          amount,
          store_id: values.store_id ?? undefined,
          lines: lines.length ? lines : undefined,
        }),
      );
    } catch (reason) {
      const error = toApiError(reason);
      const field = error.field === 'customer_id' || error.status === 404 ? 'member' : error.field;
      if (field === 'member' || field === 'amount') {
        form.setFields([{ name: field, errors: [error.status === 404 ? t('rules.preview.noMember') : error.message] }]);
      } else {
        form.setFields([{ name: 'member', errors: [describeError(error, t)] }]);
      }
    } finally {
      setRunning(false);
    }
  };

  const parts = result ? [...result.parts, ...result.bonuses] : [];
  return (
    <Card title={t('rules.preview.title')} data-testid="order-preview">
      <Typography.Paragraph type="secondary">{t('rules.preview.hint')}</Typography.Paragraph>
      <Form<PreviewValues> form={form} layout="vertical" onFinish={run} initialValues={{ lines: [{ quantity: 1 }] }}>
        <Row gutter={12}>
          <Col xs={24} md={8}>
            <Form.Item
              name="member"
              label={t('rules.preview.member')}
              rules={[{ required: true, message: t('validation.required') }]}
            >
              <Input placeholder={t('rules.preview.memberPlaceholder')} />
            </Form.Item>
          </Col>
          <Col xs={12} md={8}>
            <Form.Item name="amount" label={t('rules.preview.amount')} extra={t('rules.preview.amountHint')}>
              <YuanInput />
            </Form.Item>
          </Col>
          <Col xs={12} md={8}>
            <Form.Item name="store_id" label={t('rules.preview.store')}>
              <StoreSelect kinds={['store']} />
            </Form.Item>
          </Col>
        </Row>
        <Form.List name="lines">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field) => (
                <Row gutter={8} key={field.key} align="middle">
                  <Col xs={12} md={6}>
                    <Form.Item name={[field.name, 'product_id']}>
                      <Input placeholder={t('rules.preview.product')} />
                    </Form.Item>
                  </Col>
                  <Col xs={12} md={6}>
                    <Form.Item name={[field.name, 'category']}>
                      <Input placeholder={t('rules.preview.category')} list="siyu-categories" />
                    </Form.Item>
                  </Col>
                  <Col xs={10} md={6}>
                    <Form.Item name={[field.name, 'price']}>
                      <YuanInput placeholder={t('rules.preview.price')} />
                    </Form.Item>
                  </Col>
                  <Col xs={10} md={4}>
                    <Form.Item name={[field.name, 'quantity']}>
                      <InputNumber min={1} precision={0} style={{ width: '100%' }} />
                    </Form.Item>
                  </Col>
                  <Col xs={4} md={2}>
                    <Form.Item>
                      <Button
                        icon={<DeleteOutlined />}
                        onClick={() => remove(field.name)}
                        aria-label={t('common.remove')}
                      />
                    </Form.Item>
                  </Col>
                </Row>
              ))}
              <datalist id="siyu-categories">
                {CATEGORY_SUGGESTIONS.map((category) => (
                  <option key={category} value={category} />
                ))}
              </datalist>
              <Flex gap={8} wrap>
                <Button icon={<PlusOutlined />} onClick={() => add({ quantity: 1 })}>
                  {t('rules.preview.addLine')}
                </Button>
                <Button type="primary" htmlType="submit" loading={running} data-testid="preview-run">
                  {t('rules.preview.run')}
                </Button>
              </Flex>
            </>
          )}
        </Form.List>
      </Form>
      {result ? (
        <div style={{ marginTop: 16 }} data-testid="preview-result">
          <Typography.Title level={4} style={{ marginTop: 0 }}>
            {t('rules.preview.total', { points: format.number(result.points) })}
          </Typography.Title>
          <Table
            size="small"
            rowKey={(part) => `${part.kind}-${part.rule_id ?? 'tier'}-${part.rule}`}
            pagination={false}
            dataSource={parts}
            columns={[
              {
                title: t('rules.name'),
                dataIndex: 'rule',
                render: (name: string, part) => name || t(`rules.kind.${part.kind}` as MessageKey),
              },
              {
                title: t('rules.kind'),
                dataIndex: 'kind',
                width: 110,
                render: (kind: string) => t(`rules.kind.${kind}` as MessageKey),
              },
              {
                title: t('rules.points'),
                dataIndex: 'points',
                align: 'right',
                width: 120,
                render: (points: number, part) => (
                  <>
                    {format.number(points)} {part.capped ? <Tag color="orange">{t('rules.capped')}</Tag> : null}
                  </>
                ),
              },
            ]}
            locale={{ emptyText: t('rules.preview.nothing') }}
          />
        </div>
      ) : null}
    </Card>
  );
}

export default function RulesPage() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const { modal, message } = App.useApp();
  const canManage = can('loyalty.manage');
  const tiers = useTiers();
  const { data, error, loading, reload, setData } = useAsync(
    () => loyaltyApi.rules().then((answer) => answer.data),
    [],
  );
  const [target, setTarget] = useState<{ rule?: EarningRule; kind?: RuleKind } | null>(null);
  const rules = data ?? [];

  const toggle = async (rule: EarningRule, active: boolean) => {
    try {
      const saved = await loyaltyApi.updateRule(rule.id, { active });
      setData(rules.map((r) => (r.id === saved.id ? saved : r)));
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    }
  };

  const confirmDelete = (rule: EarningRule) =>
    modal.confirm({
      title: t('rules.deleteTitle', { name: rule.name }),
      content: t('rules.deleteHint'),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await loyaltyApi.removeRule(rule.id);
          message.success(t('rules.deleted'));
          reload();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  const columns: ColumnsType<EarningRule> = [
    { title: t('rules.name'), dataIndex: 'name', width: 200 },
    {
      title: t('rules.kind'),
      dataIndex: 'kind',
      width: 100,
      render: (kind: RuleKind) => <Tag color={KIND_COLORS[kind]}>{t(`rules.kind.${kind}`)}</Tag>,
    },
    {
      title: t('rules.what'),
      key: 'summary',
      render: (_, rule) => <Typography.Text>{ruleSummary(rule, tiers.data ?? [], t, format)}</Typography.Text>,
    },
    { title: t('rules.priority'), dataIndex: 'priority', width: 80, align: 'right' },
    {
      title: t('rules.active'),
      dataIndex: 'active',
      width: 90,
      render: (active: boolean, rule) => (
        <Switch size="small" checked={active} disabled={!canManage} onChange={(on) => toggle(rule, on)} />
      ),
    },
  ];
  if (canManage) {
    columns.push({
      title: t('common.actions'),
      key: 'actions',
      width: 130,
      render: (_, rule) => (
        <Space size={0}>
          <Button type="link" size="small" onClick={() => setTarget({ rule })}>
            {t('common.edit')}
          </Button>
          <Button type="link" size="small" danger onClick={() => confirmDelete(rule)}>
            {t('common.delete')}
          </Button>
        </Space>
      ),
    });
  }

  const createButton = (
    <Dropdown
      menu={{
        items: (['spend', 'multiplier', 'bonus'] as const).map((kind) => ({
          key: kind,
          label: t(`rules.kind.${kind}`),
          onClick: () => setTarget({ kind }),
        })),
      }}
    >
      <Button type="primary" icon={<PlusOutlined />} data-testid="rule-create">
        {t('rules.create')} <DownOutlined />
      </Button>
    </Dropdown>
  );

  let body;
  if (loading && !data) body = <Skeleton active paragraph={{ rows: 5 }} />;
  else if (!error && rules.length === 0) {
    body = (
      <Empty description={t(canManage ? 'rules.empty' : 'rules.emptyReadOnly')} style={{ padding: '32px 0' }}>
        {canManage ? createButton : null}
      </Empty>
    );
  } else {
    body = (
      <Table<EarningRule>
        size="middle"
        rowKey="id"
        columns={columns}
        dataSource={rules}
        loading={loading}
        pagination={false}
        scroll={{ x: 900 }}
        data-testid="rule-table"
      />
    );
  }

  return (
    <>
      <PageHeader
        title={t('nav.loyalty.rules')}
        subtitle={t('rules.subtitle')}
        extra={canManage ? createButton : null}
      />
      <Flex vertical gap={16}>
        <Card>
          {error ? <ErrorAlert error={error} onRetry={reload} /> : null}
          {body}
        </Card>
        <OrderPreviewCard />
      </Flex>
      <RuleDrawer
        target={target}
        tiers={tiers.data ?? []}
        onClose={() => setTarget(null)}
        onSaved={() => {
          setTarget(null);
          reload();
        }}
      />
    </>
  );
}
