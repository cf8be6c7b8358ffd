import { useCallback } from 'react';
import { Drawer, Empty, Flex, List, Skeleton, Table, Tabs, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { ArrowRightOutlined } from '@ant-design/icons';
import { loyaltyApi } from '../../../api/loyalty';
import type { MemberCard, PointsEntry, TierChange } from '../../../api/loyaltyTypes';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PagerBar } from '../../../components/PagerBar';
import { useFormat, type Formatters } from '../../../format';
import { useAsync } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT, type MessageKey, type Translate } from '../../../i18n';
import { TierTag, tierLevelOf, useTiers } from '../../loyalty/shared';

export type MemberHistoryTab = 'points' | 'tiers';

const ENTRY_TYPES = ['earn', 'redeem', 'hold', 'release', 'reverse', 'expire', 'adjust', 'transfer'];
const ENTRY_COLORS: Record<string, string> = {
  earn: 'green',
  redeem: 'blue',
  hold: 'orange',
  release: 'cyan',
  reverse: 'volcano',
  expire: 'default',
  adjust: 'purple',
  transfer: 'geekblue',
};
const SOURCE_TYPES = [
  'order',
  'refund',
  'refund_restore',
  'order_cash',
  'rule',
  'campaign',
  'operator',
  'mall',
  'expiry',
  'import',
  'transfer',
  'hold',
];
const TIER_REASONS = ['upgrade', 'downgrade', 'manual', 'import'];

function entryTypeLabel(type: string, t: Translate): string {
  return ENTRY_TYPES.includes(type) ? t(`ledger.type.${type}` as MessageKey) : type;
}

/** The source of an entry: its kind in words and the id it points at (an order number, a rule, …). */
function sourceLabel(entry: PointsEntry, t: Translate): string {
  if (!entry.source_type) return '—';
  const kind = SOURCE_TYPES.includes(entry.source_type)
    ? t(`ledger.source.${entry.source_type}` as MessageKey)
    : entry.source_type;
  return entry.source_id ? `${kind} · ${entry.source_id}` : kind;
}

function signed(value: number, format: Formatters): string {
  return value > 0 ? `+${format.number(value)}` : format.number(value);
}

/** The change an entry made to the available balance. */
function Amount({ entry }: { entry: PointsEntry }) {
  const format = useFormat();
  const color = entry.amount > 0 ? '#389e0d' : entry.amount < 0 ? '#cf1322' : undefined;
  return (
    <Typography.Text strong style={{ color }}>
      {signed(entry.amount, format)}
    </Typography.Text>
  );
}

function PointsLedger({ customerId }: { customerId: number }) {
  const t = useT();
  const format = useFormat();
  const isMobile = useIsMobile();
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) => loyaltyApi.entries(customerId, cursor, limit),
    [customerId],
  );
  const pager = useCursorPager<PointsEntry>(fetchPage, String(customerId), 20);
  const { state } = pager;

  const columns: ColumnsType<PointsEntry> = [
    { title: t('ledger.at'), dataIndex: 'at', width: 150, render: (at: string) => format.dateTime(at) },
    {
      title: t('ledger.type'),
      dataIndex: 'type',
      width: 90,
      render: (type: string) => <Tag color={ENTRY_COLORS[type]}>{entryTypeLabel(type, t)}</Tag>,
    },
    {
      title: t('ledger.amount'),
      dataIndex: 'amount',
      width: 100,
      align: 'right',
      render: (_, entry) => <Amount entry={entry} />,
    },
    {
      title: t('ledger.balanceAfter'),
      dataIndex: 'balance_after',
      width: 100,
      align: 'right',
      render: (value: number, entry) => (
        <Flex vertical align="flex-end">
          <span>{format.number(value)}</span>
          {entry.held_after ? (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('memberCard.held', { points: format.number(entry.held_after) })}
            </Typography.Text>
          ) : null}
        </Flex>
      ),
    },
    { title: t('ledger.reason'), dataIndex: 'reason', render: (reason: string) => reason || '—' },
    { title: t('ledger.source'), dataIndex: 'source_type', width: 170, render: (_, entry) => sourceLabel(entry, t) },
  ];

  let body;
  if (state.loading && !state.data) body = <Skeleton active paragraph={{ rows: 6 }} />;
  else if (!state.error && pager.rows.length === 0 && pager.pageIndex === 0) {
    body = <Empty description={t('ledger.empty')} data-testid="ledger-empty" />;
  } else if (isMobile) {
    body = (
      <List
        dataSource={pager.rows}
        loading={state.loading}
        data-testid="ledger-list"
        renderItem={(entry) => (
          <List.Item>
            <List.Item.Meta
              title={
                <Flex justify="space-between" gap={8}>
                  <span>
                    <Tag color={ENTRY_COLORS[entry.type]}>{entryTypeLabel(entry.type, t)}</Tag>
                    {entry.reason || sourceLabel(entry, t)}
                  </span>
                  <Amount entry={entry} />
                </Flex>
              }
              description={`${format.dateTime(entry.at)} · ${t('ledger.balanceValue', {
                points: format.number(entry.balance_after),
              })}`}
            />
          </List.Item>
        )}
      />
    );
  } else {
    body = (
      <Table<PointsEntry>
        size="small"
        rowKey="id"
        columns={columns}
        dataSource={pager.rows}
        loading={state.loading}
        pagination={false}
        scroll={{ x: 760 }}
        data-testid="ledger-table"
      />
    );
  }
  return (
    <>
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
    </>
  );
}

function TierHistory({ card }: { card: MemberCard }) {
  const t = useT();
  const format = useFormat();
  const isMobile = useIsMobile();
  const tiers = useTiers();
  const history = useAsync(
    () => loyaltyApi.tierHistory(card.customer_id).then((answer) => answer.data),
    [card.customer_id],
  );
  const level = (id: number | null) => tierLevelOf(tiers.data, id);
  const reason = (code: string) => (TIER_REASONS.includes(code) ? t(`tierHistory.reason.${code}` as MessageKey) : code);
  const value = (v: number) =>
    card.tier_basis === 'spend'
      ? t('tierHistory.valueSpend', { value: format.money(v) })
      : t('tierHistory.valuePoints', { value: format.number(v) });
  const change = (row: TierChange) => (
    <Flex align="center" gap={6} wrap>
      <TierTag name={row.from_tier} level={level(row.from_tier_id)} />
      <ArrowRightOutlined style={{ color: '#8c8c8c' }} />
      <TierTag name={row.to_tier} level={level(row.to_tier_id)} />
    </Flex>
  );

  if (history.loading && !history.data) return <Skeleton active paragraph={{ rows: 4 }} />;
  if (history.error) return <ErrorAlert error={history.error} onRetry={history.reload} />;
  const rows = history.data ?? [];
  if (!rows.length) return <Empty description={t('tierHistory.empty')} data-testid="tier-history-empty" />;
  if (isMobile) {
    return (
      <List
        dataSource={rows}
        data-testid="tier-history-list"
        renderItem={(row) => (
          <List.Item>
            <List.Item.Meta
              title={change(row)}
              description={`${format.dateTime(row.at)} · ${reason(row.reason)} · ${value(row.value)}`}
            />
          </List.Item>
        )}
      />
    );
  }
  const columns: ColumnsType<TierChange> = [
    { title: t('ledger.at'), dataIndex: 'at', width: 150, render: (at: string) => format.dateTime(at) },
    { title: t('tierHistory.change'), key: 'change', render: (_, row) => change(row) },
    {
      title: t('tierHistory.reason'),
      dataIndex: 'reason',
      width: 100,
      render: (code: string) => (
        <Tag color={code === 'upgrade' ? 'green' : code === 'downgrade' ? 'orange' : 'default'}>{reason(code)}</Tag>
      ),
    },
    {
      title: t('tierHistory.value'),
      dataIndex: 'value',
      width: 150,
      align: 'right',
      render: (v: number) => (card.tier_basis === 'spend' ? format.money(v) : format.number(v)),
    },
  ];
  return (
    <Table<TierChange>
      size="small"
      rowKey="id"
      columns={columns}
      dataSource={rows}
      pagination={false}
      data-testid="tier-history-table"
    />
  );
}

interface Props {
  card: MemberCard;
  tab: MemberHistoryTab | null;
  onTabChange: (tab: MemberHistoryTab) => void;
  onClose: () => void;
}

/** 积分流水 and 等级变更 of one member, in a drawer opened from the member card. */
export function MemberHistoryDrawer({ card, tab, onTabChange, onClose }: Props) {
  const t = useT();
  const isMobile = useIsMobile();
  return (
    <Drawer
      title={t('ledger.drawerTitle', { memberNo: card.member_no })}
      open={tab !== null}
      onClose={onClose}
      width={isMobile ? '100%' : 820}
      destroyOnHidden
      data-testid="member-history"
    >
      <Tabs
        activeKey={tab ?? 'points'}
        onChange={(key) => onTabChange(key as MemberHistoryTab)}
        items={[
          {
            key: 'points',
            label: <span data-testid="member-history-points">{t('ledger.title')}</span>,
            children: <PointsLedger customerId={card.customer_id} />,
          },
          {
            key: 'tiers',
            label: <span data-testid="member-history-tiers">{t('tierHistory.title')}</span>,
            children: <TierHistory card={card} />,
          },
        ]}
      />
    </Drawer>
  );
}
