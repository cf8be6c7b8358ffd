import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Empty, Flex, Select, Skeleton, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { PlusOutlined, SendOutlined } from '@ant-design/icons';
import { loyaltyApi } from '../../../api/loyalty';
import type { CouponStats, CouponTemplate, TemplateStatus } from '../../../api/loyaltyTypes';
import { describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { PagerBar } from '../../../components/PagerBar';
import { useFormat } from '../../../format';
import { toApiError } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useT, type MessageKey } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { COUPON_TYPE_COLORS, couponTypeKey, useTiers } from '../shared';
import { IssueDrawer } from './IssueDrawer';
import { TemplateDrawer } from './TemplateDrawer';

const STATUS_COLORS: Record<TemplateStatus, string> = { active: 'green', paused: 'orange', archived: 'default' };

/** Statistics of the templates on the page, fetched per template and refreshed on demand. */
function useTemplateStats(templates: CouponTemplate[]) {
  const [stats, setStats] = useState<Record<number, CouponStats | null>>({});
  const ids = templates.map((tpl) => tpl.id).join(',');
  const load = useCallback((list: number[]) => {
    list.forEach((id) => {
      loyaltyApi
        .templateStats(id)
        .then((value) => setStats((current) => ({ ...current, [id]: value })))
        .catch(() => setStats((current) => ({ ...current, [id]: null })));
    });
  }, []);
  useEffect(() => {
    if (ids) load(ids.split(',').map(Number));
  }, [ids, load]);
  return { stats, refresh: (id: number) => load([id]) };
}

export default function CouponsPage() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const { modal, message } = App.useApp();
  const canManage = can('loyalty.manage');
  const canIssue = can('coupons.issue');
  const tiers = useTiers();
  const [status, setStatus] = useState<TemplateStatus | undefined>('active');
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) => loyaltyApi.templates(status, cursor, limit),
    [status],
  );
  const pager = useCursorPager<CouponTemplate>(fetchPage, status ?? 'all', 20);
  const { state } = pager;
  const { stats, refresh } = useTemplateStats(pager.rows);
  const [editing, setEditing] = useState<{ template?: CouponTemplate } | null>(null);
  const [issuing, setIssuing] = useState<CouponTemplate | null>(null);

  const confirmArchive = (template: CouponTemplate) =>
    modal.confirm({
      title: t('coupons.archiveTitle', { name: template.name }),
      content: t('coupons.archiveHint'),
      okText: t('coupons.archive'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await loyaltyApi.archiveTemplate(template.id);
          message.success(t('coupons.archived'));
          state.reload();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  const statCell = (id: number, render: (s: CouponStats) => string) => {
    const s = stats[id];
    if (s === undefined) return <Skeleton.Button active size="small" style={{ width: 40, height: 16 }} />;
    return s === null ? '—' : render(s);
  };

  const columns: ColumnsType<CouponTemplate> = [
    {
      title: t('coupons.name'),
      dataIndex: 'name',
      fixed: 'left',
      width: 220,
      render: (name: string, tpl) => (
        <Flex vertical>
          <Typography.Text strong>{name}</Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {tpl.description}
          </Typography.Text>
        </Flex>
      ),
    },
    {
      title: t('coupons.type'),
      dataIndex: 'type',
      width: 100,
      render: (type: CouponTemplate['type']) => <Tag color={COUPON_TYPE_COLORS[type]}>{t(couponTypeKey(type))}</Tag>,
    },
    {
      title: t('coupons.validity'),
      key: 'validity',
      width: 150,
      render: (_, tpl) =>
        tpl.validity.type === 'relative'
          ? t('coupons.validForDays', { days: tpl.validity.days ?? 0 })
          : `${format.date(tpl.validity.from)} ~ ${format.date(tpl.validity.to)}`,
    },
    {
      title: t('coupons.stat.issued'),
      key: 'issued',
      width: 90,
      align: 'right',
      render: (_, tpl) => statCell(tpl.id, (s) => format.number(s.issued)),
    },
    {
      title: t('coupons.stat.redeemed'),
      key: 'redeemed',
      width: 90,
      align: 'right',
      render: (_, tpl) => statCell(tpl.id, (s) => format.number(s.redeemed)),
    },
    {
      title: t('coupons.stat.rate'),
      key: 'rate',
      width: 90,
      align: 'right',
      render: (_, tpl) => statCell(tpl.id, (s) => `${(s.redemption_rate * 100).toFixed(1)}%`),
    },
    {
      title: (
        <Tooltip title={t('coupons.stat.revenueHint')}>
          <span>{t('coupons.stat.revenue')}</span>
        </Tooltip>
      ),
      key: 'revenue',
      width: 130,
      align: 'right',
      render: (_, tpl) => statCell(tpl.id, (s) => format.money(s.revenue)),
    },
    {
      title: t('coupons.stat.discount'),
      key: 'discount',
      width: 120,
      align: 'right',
      render: (_, tpl) => statCell(tpl.id, (s) => format.money(s.discount_total)),
    },
    {
      title: t('coupons.stock'),
      key: 'stock',
      width: 100,
      align: 'right',
      render: (_, tpl) => (tpl.remaining_stock === null ? t('coupons.unlimited') : format.number(tpl.remaining_stock)),
    },
    {
      title: t('coupons.status'),
      dataIndex: 'status',
      width: 90,
      render: (value: TemplateStatus) => (
        <Tag color={STATUS_COLORS[value]}>{t(`coupons.status.${value}` as MessageKey)}</Tag>
      ),
    },
  ];
  if (canManage || canIssue) {
    columns.push({
      title: t('common.actions'),
      key: 'actions',
      fixed: 'right',
      width: 190,
      render: (_, tpl) => (
        <Space size={0}>
          {canIssue && tpl.status === 'active' ? (
            <Button
              type="link"
              size="small"
              icon={<SendOutlined />}
              onClick={() => setIssuing(tpl)}
              data-testid="template-issue"
            >
              {t('coupons.issue')}
            </Button>
          ) : null}
          {canManage && tpl.status !== 'archived' ? (
            <>
              <Button type="link" size="small" onClick={() => setEditing({ template: tpl })}>
                {t('common.edit')}
              </Button>
              <Button type="link" size="small" danger onClick={() => confirmArchive(tpl)}>
                {t('coupons.archive')}
              </Button>
            </>
          ) : null}
        </Space>
      ),
    });
  }

  let body;
  if (state.loading && !state.data) body = <Skeleton active paragraph={{ rows: 8 }} />;
  else if (!state.error && pager.rows.length === 0 && pager.pageIndex === 0) {
    body = (
      <Empty
        description={t(
          status && status !== 'active'
            ? 'coupons.emptyFiltered'
            : canManage
              ? 'coupons.empty'
              : 'coupons.emptyReadOnly',
        )}
        style={{ padding: '32px 0' }}
        data-testid="coupons-empty"
      >
        {canManage ? (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({})}>
            {t('coupons.create')}
          </Button>
        ) : null}
      </Empty>
    );
  } else {
    body = (
      <Table<CouponTemplate>
        size="middle"
        rowKey="id"
        columns={columns}
        dataSource={pager.rows}
        loading={state.loading}
        pagination={false}
        scroll={{ x: 1400 }}
        data-testid="template-table"
      />
    );
  }

  return (
    <>
      <PageHeader
        title={t('nav.loyalty.coupons')}
        subtitle={t('coupons.subtitle')}
        extra={
          canManage ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({})} data-testid="template-create">
              {t('coupons.create')}
            </Button>
          ) : null
        }
      />
      <Card>
        <Flex style={{ marginBottom: 16 }}>
          <Select
            value={status ?? 'all'}
            onChange={(value: string) => setStatus(value === 'all' ? undefined : (value as TemplateStatus))}
            style={{ width: 160 }}
            options={[
              { value: 'all', label: t('coupons.status.all') },
              { value: 'active', label: t('coupons.status.active') },
              { value: 'paused', label: t('coupons.status.paused') },
              { value: 'archived', label: t('coupons.status.archived') },
            ]}
          />
        </Flex>
        {state.error ? <ErrorAlert error={state.error} onRetry={state.reload} /> : null}
        {body}
        {pager.hasPrev || pager.hasNext ? (
          <PagerBar
            pageIndex={pager.pageIndex}
            hasPrev={pager.hasPrev}
            hasNext={pager.hasNext}
            onPrev={pager.prev}
            onNext={pager.next}
            limit={pager.limit}
            onLimitChange={pager.setLimit}
          />
        ) : null}
      </Card>
      <TemplateDrawer
        target={editing}
        tiers={tiers.data ?? []}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          state.reload();
        }}
      />
      <IssueDrawer
        template={issuing}
        onClose={() => {
          setIssuing(null);
          state.reload();
        }}
        onIssued={() => issuing && refresh(issuing.id)}
      />
    </>
  );
}
