import { useCallback, useState } from 'react';
import { App, Card, Empty, Flex, Input, List, Select, Skeleton, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { Link, useNavigate } from 'react-router-dom';
import { loyaltyApi } from '../../../api/loyalty';
import type { MemberRow } from '../../../api/loyaltyTypes';
import { describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { PagerBar } from '../../../components/PagerBar';
import { useFormat } from '../../../format';
import { toApiError } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useStores } from '../../../hooks/useStores';
import { useT } from '../../../i18n';
import { TierTag, tierLevelOf, useTiers } from '../shared';

/** Whether a lookup text is a phone number rather than a member number. */
function looksLikePhone(text: string): boolean {
  return /^\+?\d[\d\s-]{6,}$/.test(text) && !/^[A-Za-z]/.test(text);
}

export default function MembersPage() {
  const t = useT();
  const format = useFormat();
  const navigate = useNavigate();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const { byId } = useStores();
  const tiers = useTiers();
  const [tierId, setTierId] = useState<number>();
  const [looking, setLooking] = useState(false);
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) => loyaltyApi.members(tierId, cursor, limit),
    [tierId],
  );
  const pager = useCursorPager<MemberRow>(fetchPage, String(tierId ?? ''), 20);
  const { state } = pager;

  const lookup = async (text: string) => {
    const value = text.trim();
    if (!value) return;
    setLooking(true);
    try {
      const byPhone = looksLikePhone(value);
      let card;
      try {
        card = await loyaltyApi.lookup(byPhone ? { phone: value } : { member_no: value });
      } catch (reason) {
        if (!byPhone) throw reason;
        card = await loyaltyApi.lookup({ member_no: value });
      }
      navigate(`/customers/${card.customer_id}`);
    } catch (reason) {
      const error = toApiError(reason);
      message.error(error.status === 404 ? t('members.lookupNotFound') : describeError(error, t));
    } finally {
      setLooking(false);
    }
  };

  const tierLevel = (id: number | null) => tierLevelOf(tiers.data, id);

  const columns: ColumnsType<MemberRow> = [
    {
      title: t('members.member'),
      dataIndex: 'name',
      render: (_, row) => (
        <Flex vertical>
          <Link to={`/customers/${row.customer_id}`} data-testid="member-link">
            {row.name || t('members.unnamed', { id: row.customer_id })}
          </Link>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {row.phone ?? '—'}
          </Typography.Text>
        </Flex>
      ),
    },
    { title: t('members.memberNo'), dataIndex: 'member_no', width: 150 },
    {
      title: t('members.tier'),
      dataIndex: 'tier',
      width: 100,
      render: (_, row) => <TierTag name={row.tier} level={tierLevel(row.tier_id)} />,
    },
    {
      title: t('members.points'),
      dataIndex: 'points',
      width: 110,
      align: 'right',
      render: (points: number) => <Typography.Text strong>{format.number(points)}</Typography.Text>,
    },
    {
      title: t('members.storedValue'),
      dataIndex: 'stored_value',
      width: 130,
      align: 'right',
      render: (value: number) => (value ? format.money(value) : '—'),
    },
    {
      title: t('members.store'),
      dataIndex: 'store_id',
      width: 150,
      render: (id: number | null) => (id ? (byId.get(id)?.name ?? `#${id}`) : '—'),
    },
    {
      title: t('members.registeredAt'),
      dataIndex: 'registered_at',
      width: 120,
      render: (at: string) => format.date(at),
    },
  ];

  let body;
  if (state.loading && !state.data) body = <Skeleton active paragraph={{ rows: 8 }} />;
  else if (!state.error && pager.rows.length === 0 && pager.pageIndex === 0) {
    body = (
      <Empty
        description={t(tierId ? 'members.emptyFiltered' : 'members.empty')}
        style={{ padding: '32px 0' }}
        data-testid="members-empty"
      />
    );
  } else if (isMobile) {
    body = (
      <List
        dataSource={pager.rows}
        loading={state.loading}
        data-testid="member-list"
        renderItem={(row) => (
          <List.Item onClick={() => navigate(`/customers/${row.customer_id}`)} style={{ cursor: 'pointer' }}>
            <List.Item.Meta
              title={
                <Flex justify="space-between" gap={8}>
                  <span>{row.name || t('members.unnamed', { id: row.customer_id })}</span>
                  <TierTag name={row.tier} level={tierLevel(row.tier_id)} />
                </Flex>
              }
              description={`${row.member_no} · ${t('members.pointsValue', { points: format.number(row.points) })}${
                row.stored_value ? ` · ${format.money(row.stored_value)}` : ''
              }`}
            />
          </List.Item>
        )}
      />
    );
  } else {
    body = (
      <Table<MemberRow>
        size="middle"
        rowKey="customer_id"
        columns={columns}
        dataSource={pager.rows}
        loading={state.loading}
        pagination={false}
        scroll={{ x: 900 }}
        onRow={(row) => ({ onDoubleClick: () => navigate(`/customers/${row.customer_id}`) })}
        data-testid="member-table"
      />
    );
  }

  return (
    <>
      <PageHeader title={t('nav.loyalty.members')} subtitle={t('members.subtitle')} />
      <Card>
        <Flex gap={12} wrap style={{ marginBottom: 16 }}>
          <Select
            allowClear
            placeholder={t('members.allTiers')}
            value={tierId}
            onChange={(value?: number) => setTierId(value)}
            loading={tiers.loading}
            options={(tiers.data ?? []).map((tier) => ({ value: tier.id, label: tier.name }))}
            style={{ width: isMobile ? '100%' : 180 }}
            data-testid="member-tier-filter"
          />
          <Input.Search
            allowClear
            enterButton={t('members.lookup')}
            loading={looking}
            placeholder={t('members.lookupPlaceholder')}
            onSearch={lookup}
            style={{ maxWidth: isMobile ? '100%' : 380 }}
            data-testid="member-lookup"
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
