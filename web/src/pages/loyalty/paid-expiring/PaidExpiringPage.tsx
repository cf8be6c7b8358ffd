import { useCallback, useState } from 'react';
import { Card, Empty, Flex, List, Segmented, Skeleton, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { RightOutlined } from '@ant-design/icons';
import { Link, useNavigate } from 'react-router-dom';
import { loyaltyApi } from '../../../api/loyalty';
import type { ExpiringPaidMember } from '../../../api/loyaltyTypes';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { PagerBar } from '../../../components/PagerBar';
import { useFormat } from '../../../format';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useStores } from '../../../hooks/useStores';
import { useT } from '../../../i18n';
import { isTenantWide, useSession } from '../../../session/SessionContext';

/** The windows a store manager picks from, in days (the API takes 1 to 366). */
const WINDOWS = [3, 7, 15, 30, 60];
const DEFAULT_WINDOW = 7;

function DaysLeft({ days }: { days: number }) {
  const t = useT();
  const color = days <= 3 ? 'red' : days <= 7 ? 'orange' : 'blue';
  return (
    <Tag color={color} style={{ marginInlineEnd: 0 }} data-testid="expiring-days-left">
      {days <= 1 ? t('paidExpiring.lastDay') : t('paidExpiring.daysLeft', { days })}
    </Tag>
  );
}

/**
 * 付费会员到期: the store task list of members whose paid membership ends within the chosen
 * days, soonest first. Store roles see their stores' members only (the API scopes the list).
 */
export default function PaidExpiringPage() {
  const t = useT();
  const format = useFormat();
  const navigate = useNavigate();
  const isMobile = useIsMobile();
  const session = useSession();
  const { byId } = useStores();
  const [days, setDays] = useState(DEFAULT_WINDOW);
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) => loyaltyApi.expiringPaid(days, cursor, limit),
    [days],
  );
  const pager = useCursorPager<ExpiringPaidMember>(fetchPage, String(days), 20);
  const { state } = pager;
  const storeName = (id: number | null) => (id ? (byId.get(id)?.name ?? `#${id}`) : '—');
  const name = (row: ExpiringPaidMember) => row.name || t('members.unnamed', { id: row.customer_id });

  const columns: ColumnsType<ExpiringPaidMember> = [
    {
      title: t('members.member'),
      dataIndex: 'name',
      render: (_, row) => (
        <Flex vertical>
          <Link to={`/customers/${row.customer_id}`} data-testid="expiring-link">
            {name(row)}
          </Link>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {row.member_no}
          </Typography.Text>
        </Flex>
      ),
    },
    {
      title: t('paidExpiring.plan'),
      dataIndex: 'plan_name',
      width: 160,
      render: (plan: string) => <Tag color="gold">{plan || '—'}</Tag>,
    },
    { title: t('paidExpiring.endsAt'), dataIndex: 'ends_at', width: 150, render: (at: string) => format.dateTime(at) },
    {
      title: t('paidExpiring.left'),
      dataIndex: 'days_left',
      width: 110,
      render: (left: number) => <DaysLeft days={left} />,
    },
    { title: t('members.store'), dataIndex: 'store_id', width: 160, render: (id: number | null) => storeName(id) },
  ];

  let body;
  if (state.loading && !state.data) body = <Skeleton active paragraph={{ rows: 6 }} />;
  else if (!state.error && pager.rows.length === 0 && pager.pageIndex === 0) {
    body = (
      <Empty
        description={
          <Flex vertical gap={4}>
            <span>{t('paidExpiring.empty', { days })}</span>
            <Typography.Text type="secondary">
              {days < WINDOWS[WINDOWS.length - 1] ? t('paidExpiring.emptyHint') : t('paidExpiring.emptyHintLongest')}
            </Typography.Text>
          </Flex>
        }
        style={{ padding: '32px 0' }}
        data-testid="expiring-empty"
      />
    );
  } else if (isMobile) {
    body = (
      <List
        dataSource={pager.rows}
        loading={state.loading}
        data-testid="expiring-list"
        renderItem={(row) => (
          <List.Item
            onClick={() => navigate(`/customers/${row.customer_id}`)}
            style={{ cursor: 'pointer' }}
            extra={<RightOutlined style={{ color: '#bfbfbf' }} />}
            data-testid="expiring-item"
          >
            <List.Item.Meta
              title={
                <Flex justify="space-between" align="center" gap={8}>
                  <Typography.Text ellipsis>{name(row)}</Typography.Text>
                  <DaysLeft days={row.days_left} />
                </Flex>
              }
              description={
                <Flex vertical>
                  <span>
                    {row.plan_name} · {t('paidExpiring.endsOn', { date: format.dateTime(row.ends_at) })}
                  </span>
                  <span>
                    {row.member_no} · {storeName(row.store_id)}
                  </span>
                </Flex>
              }
            />
          </List.Item>
        )}
      />
    );
  } else {
    body = (
      <Table<ExpiringPaidMember>
        size="middle"
        rowKey="customer_id"
        columns={columns}
        dataSource={pager.rows}
        loading={state.loading}
        pagination={false}
        scroll={{ x: 760 }}
        onRow={(row) => ({ onDoubleClick: () => navigate(`/customers/${row.customer_id}`) })}
        data-testid="expiring-table"
      />
    );
  }

  return (
    <>
      <PageHeader
        title={t('nav.loyalty.paidExpiring')}
        subtitle={t(isTenantWide(session) ? 'paidExpiring.subtitle' : 'paidExpiring.subtitleStores')}
      />
      <Card>
        <Flex gap={12} align="center" wrap style={{ marginBottom: 16 }}>
          <Typography.Text type="secondary">{t('paidExpiring.window')}</Typography.Text>
          <Segmented<number>
            value={days}
            onChange={setDays}
            block={isMobile}
            style={isMobile ? { width: '100%' } : undefined}
            options={WINDOWS.map((value) => ({
              value,
              label: t(isMobile ? 'paidExpiring.daysShort' : 'paidExpiring.days', { days: value }),
            }))}
            data-testid="expiring-days"
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
    </>
  );
}
