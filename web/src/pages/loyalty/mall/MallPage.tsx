import { useCallback, useEffect, useState } from 'react';
import {
  App,
  Button,
  Card,
  Col,
  Drawer,
  Empty,
  Flex,
  Form,
  Input,
  InputNumber,
  Row,
  Select,
  Skeleton,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { PlusOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import { loyaltyApi } from '../../../api/loyalty';
import type { MallExchange, MallItem, MallItemInput, MallKind, MemberCard } from '../../../api/loyaltyTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { PagerBar } from '../../../components/PagerBar';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT, type MessageKey } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { DrawerFooter } from '../../../components/DrawerFooter';

const KINDS: readonly MallKind[] = ['gift', 'coupon', 'limited'];
const KIND_COLORS: Record<MallKind, string> = { gift: 'magenta', coupon: 'red', limited: 'purple' };
const FIELDS = [
  'name',
  'kind',
  'description',
  'points_price',
  'stock',
  'per_customer_limit',
  'coupon_template_id',
  'status',
] as const;

function ItemDrawer({
  target,
  onClose,
  onSaved,
}: {
  target: { item?: MallItem } | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const t = useT();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const [form] = Form.useForm<MallItemInput>();
  const [saving, setSaving] = useState(false);
  const kind = Form.useWatch('kind', form);
  const editing = target?.item;
  const templates = useAsync(() => loyaltyApi.templates('active', null, 100).then((page) => page.data), []);

  useEffect(() => {
    if (!target) return;
    form.resetFields();
    form.setFieldsValue(target.item ?? { kind: 'gift', status: 'active', points_price: 1000 });
  }, [target, form]);

  const save = async (values: MallItemInput) => {
    setSaving(true);
    try {
      const input: MallItemInput = {
        name: values.name?.trim(),
        description: values.description?.trim() ?? '',
        points_price: values.points_price,
        stock: values.stock ?? null,
        per_customer_limit: values.per_customer_limit ?? null,
        status: values.status,
      };
      if (editing) await loyaltyApi.updateMallItem(editing.id, input);
      else
        await loyaltyApi.createMallItem({
          ...input,
          kind: values.kind,
          coupon_template_id: values.kind === 'coupon' ? values.coupon_template_id : undefined,
        });
      message.success(t('mall.saved'));
      onSaved();
    } catch (reason) {
      if (!applyFieldError(form, reason, FIELDS, t)) message.error(describeError(toApiError(reason), t));
    } finally {
      setSaving(false);
    }
  };

  const required = [{ required: true, message: t('validation.required') }];
  return (
    <Drawer
      title={t(editing ? 'mall.editTitle' : 'mall.createTitle')}
      open={target !== null}
      onClose={onClose}
      width={isMobile ? '100%' : 520}
      destroyOnHidden
      footer={<DrawerFooter onCancel={onClose} onSave={() => form.submit()} saving={saving} />}
    >
      <Form<MallItemInput> form={form} layout="vertical" onFinish={save}>
        <Form.Item
          name="name"
          label={t('mall.name')}
          rules={[...required, { max: 100, message: t('validation.maxLength', { max: 100 }) }]}
        >
          <Input />
        </Form.Item>
        <Row gutter={16}>
          <Col xs={12}>
            <Form.Item name="kind" label={t('mall.kind')} rules={required}>
              <Select
                disabled={Boolean(editing)}
                options={KINDS.map((value) => ({ value, label: t(`mall.kind.${value}` as MessageKey) }))}
              />
            </Form.Item>
          </Col>
          <Col xs={12}>
            <Form.Item name="status" label={t('mall.status')}>
              <Select
                options={['active', 'paused'].map((value) => ({
                  value,
                  label: t(`mall.status.${value}` as MessageKey),
                }))}
              />
            </Form.Item>
          </Col>
        </Row>
        {kind === 'coupon' ? (
          <Form.Item name="coupon_template_id" label={t('mall.template')} rules={required}>
            <Select
              disabled={Boolean(editing)}
              loading={templates.loading}
              options={(templates.data ?? []).map((tpl) => ({
                value: tpl.id,
                label: `${tpl.name}（${tpl.description}）`,
              }))}
            />
          </Form.Item>
        ) : null}
        <Row gutter={16}>
          <Col xs={24} sm={8}>
            <Form.Item name="points_price" label={t('mall.pointsPrice')} rules={required}>
              <InputNumber min={1} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name="stock" label={t('mall.stock')}>
              <InputNumber min={0} precision={0} placeholder={t('coupons.unlimited')} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name="per_customer_limit" label={t('mall.perCustomer')}>
              <InputNumber min={1} precision={0} placeholder={t('coupons.unlimited')} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="description" label={t('mall.description')}>
          <Input.TextArea rows={3} />
        </Form.Item>
      </Form>
    </Drawer>
  );
}

/** A member's exchanges, found by phone or member number, with cancellation for staff who may operate. */
function ExchangeHistory() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const { message, modal } = App.useApp();
  const [member, setMember] = useState<MemberCard | null>(null);
  const [lookupError, setLookupError] = useState<string | null>(null);
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) =>
      member
        ? loyaltyApi.memberExchanges(member.customer_id, cursor, limit)
        : Promise.resolve({ data: [], next_cursor: null }),
    [member],
  );
  const pager = useCursorPager<MallExchange>(fetchPage, String(member?.customer_id ?? ''), 10);

  const find = async (value: string) => {
    const text = value.trim();
    if (!text) return;
    setLookupError(null);
    try {
      setMember(await loyaltyApi.lookup(/^\+?\d{8,}$/.test(text) ? { phone: text } : { member_no: text }));
    } catch (reason) {
      const error = toApiError(reason);
      setMember(null);
      setLookupError(error.status === 404 ? t('members.lookupNotFound') : describeError(error, t));
    }
  };

  const cancel = (exchange: MallExchange) =>
    modal.confirm({
      title: t('mall.cancelTitle', { name: exchange.item_name }),
      content: t('mall.cancelHint'),
      okText: t('mall.cancel'),
      okButtonProps: { danger: true },
      cancelText: t('common.close'),
      onOk: async () => {
        try {
          await loyaltyApi.cancelExchange(exchange.id, t('mall.cancelReason'));
          message.success(t('mall.cancelled'));
          pager.state.reload();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  return (
    <Card title={t('mall.history')}>
      <Input.Search
        allowClear
        enterButton={t('members.lookup')}
        placeholder={t('members.lookupPlaceholder')}
        onSearch={find}
        style={{ maxWidth: 380, marginBottom: 16 }}
      />
      {lookupError ? <Typography.Paragraph type="danger">{lookupError}</Typography.Paragraph> : null}
      {member ? (
        <>
          <Typography.Paragraph>
            <Link to={`/customers/${member.customer_id}`}>{member.member_no}</Link> ·{' '}
            {t('members.pointsValue', { points: format.number(member.points) })}
          </Typography.Paragraph>
          {pager.state.error ? <ErrorAlert error={pager.state.error} onRetry={pager.state.reload} /> : null}
          <Table<MallExchange>
            size="small"
            rowKey="id"
            loading={pager.state.loading}
            dataSource={pager.rows}
            pagination={false}
            scroll={{ x: 640 }}
            locale={{ emptyText: t('mall.historyEmpty') }}
            columns={[
              { title: t('mall.name'), dataIndex: 'item_name' },
              { title: t('mall.quantity'), dataIndex: 'quantity', width: 70, align: 'right' },
              {
                title: t('mall.points'),
                dataIndex: 'points',
                width: 100,
                align: 'right',
                render: (p: number) => format.number(p),
              },
              {
                title: t('mall.exchangedAt'),
                dataIndex: 'created_at',
                width: 160,
                render: (at: string) => format.dateTime(at),
              },
              {
                title: t('mall.exchangeStatus'),
                dataIndex: 'status',
                width: 100,
                render: (status: string) => (
                  <Tag>{t(status === 'cancelled' ? 'mall.exchange.cancelled' : 'mall.exchange.done')}</Tag>
                ),
              },
              {
                title: t('common.actions'),
                key: 'actions',
                width: 90,
                render: (_, exchange) =>
                  exchange.status !== 'cancelled' && can('loyalty.operate') ? (
                    <Button type="link" size="small" danger onClick={() => cancel(exchange)}>
                      {t('mall.cancel')}
                    </Button>
                  ) : null,
              },
            ]}
          />
          {pager.hasPrev || pager.hasNext ? (
            <PagerBar
              pageIndex={pager.pageIndex}
              hasPrev={pager.hasPrev}
              hasNext={pager.hasNext}
              onPrev={pager.prev}
              onNext={pager.next}
            />
          ) : null}
        </>
      ) : (
        <Typography.Text type="secondary">{t('mall.historyHint')}</Typography.Text>
      )}
    </Card>
  );
}

export default function MallPage() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const { modal, message } = App.useApp();
  const canManage = can('loyalty.manage');
  const [status, setStatus] = useState<string>('active');
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) =>
      loyaltyApi.mallItems(status === 'all' ? undefined : status, cursor, limit),
    [status],
  );
  const pager = useCursorPager<MallItem>(fetchPage, status, 20);
  const { state } = pager;
  const [target, setTarget] = useState<{ item?: MallItem } | null>(null);

  const archive = (item: MallItem) =>
    modal.confirm({
      title: t('mall.archiveTitle', { name: item.name }),
      content: t('mall.archiveHint'),
      okText: t('coupons.archive'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await loyaltyApi.archiveMallItem(item.id);
          message.success(t('mall.archived'));
          state.reload();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  const columns: ColumnsType<MallItem> = [
    {
      title: t('mall.name'),
      dataIndex: 'name',
      render: (name: string, item) => (
        <Flex vertical>
          <Typography.Text strong>{name}</Typography.Text>
          {item.description ? (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {item.description}
            </Typography.Text>
          ) : null}
        </Flex>
      ),
    },
    {
      title: t('mall.kind'),
      dataIndex: 'kind',
      width: 100,
      render: (kind: MallKind) => <Tag color={KIND_COLORS[kind]}>{t(`mall.kind.${kind}` as MessageKey)}</Tag>,
    },
    {
      title: t('mall.pointsPrice'),
      dataIndex: 'points_price',
      width: 110,
      align: 'right',
      render: (p: number) => format.number(p),
    },
    {
      title: t('mall.stock'),
      dataIndex: 'stock',
      width: 100,
      align: 'right',
      render: (stock: number | null) =>
        stock === null ? (
          t('coupons.unlimited')
        ) : stock === 0 ? (
          <Tag color="red">{t('mall.soldOut')}</Tag>
        ) : (
          format.number(stock)
        ),
    },
    {
      title: t('mall.perCustomer'),
      dataIndex: 'per_customer_limit',
      width: 100,
      align: 'right',
      render: (n: number | null) => n ?? '—',
    },
    {
      title: t('mall.status'),
      dataIndex: 'status',
      width: 90,
      render: (s: string) => <Tag>{t(`mall.status.${s}` as MessageKey)}</Tag>,
    },
  ];
  if (canManage) {
    columns.push({
      title: t('common.actions'),
      key: 'actions',
      width: 130,
      render: (_, item) =>
        item.status === 'archived' ? null : (
          <Space size={0}>
            <Button type="link" size="small" onClick={() => setTarget({ item })}>
              {t('common.edit')}
            </Button>
            <Button type="link" size="small" danger onClick={() => archive(item)}>
              {t('coupons.archive')}
            </Button>
          </Space>
        ),
    });
  }

  let body;
  if (state.loading && !state.data) body = <Skeleton active paragraph={{ rows: 6 }} />;
  else if (!state.error && pager.rows.length === 0 && pager.pageIndex === 0) {
    body = (
      <Empty description={t(canManage ? 'mall.empty' : 'mall.emptyReadOnly')} style={{ padding: '32px 0' }}>
        {canManage ? (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setTarget({})}>
            {t('mall.create')}
          </Button>
        ) : null}
      </Empty>
    );
  } else {
    body = (
      <Table<MallItem>
        size="middle"
        rowKey="id"
        columns={columns}
        dataSource={pager.rows}
        loading={state.loading}
        pagination={false}
        scroll={{ x: 820 }}
        data-testid="mall-table"
      />
    );
  }

  return (
    <>
      <PageHeader
        title={t('nav.loyalty.mall')}
        subtitle={t('mall.subtitle')}
        extra={
          canManage ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setTarget({})}>
              {t('mall.create')}
            </Button>
          ) : null
        }
      />
      <Flex vertical gap={16}>
        <Card>
          <Select
            value={status}
            onChange={setStatus}
            style={{ width: 160, marginBottom: 16 }}
            options={['active', 'paused', 'archived', 'all'].map((value) => ({
              value,
              label: t(value === 'all' ? 'coupons.status.all' : (`mall.status.${value}` as MessageKey)),
            }))}
          />
          {state.error ? <ErrorAlert error={state.error} onRetry={state.reload} /> : null}
          {body}
          {pager.hasPrev || pager.hasNext ? (
            <PagerBar
              pageIndex={pager.pageIndex}
              hasPrev={pager.hasPrev}
              hasNext={pager.hasNext}
              onPrev={pager.prev}
              onNext={pager.next}
            />
          ) : null}
        </Card>
        <ExchangeHistory />
      </Flex>
      <ItemDrawer
        target={target}
        onClose={() => setTarget(null)}
        onSaved={() => {
          setTarget(null);
          state.reload();
        }}
      />
    </>
  );
}
