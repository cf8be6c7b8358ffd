import { useMemo } from 'react';
import { Card, Col, Empty, Skeleton } from 'antd';
import type { LoyaltyStats } from '../../api/types';
import { EChart, type ChartOption } from '../../components/charts/EChart';
import { useFormat } from '../../format';
import { useT, type Translate } from '../../i18n';
import { tierColor } from '../loyalty/shared';

type TierCount = LoyaltyStats['members_by_tier'][number];

function tierOption(counts: TierCount[], t: Translate, formatNumber: (n: number) => string): ChartOption {
  return {
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (value: number) => formatNumber(value),
    },
    xAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { type: 'dashed' } } },
    yAxis: {
      type: 'category',
      inverse: true,
      data: counts.map((c) => c.name ?? t('loyalty.noTier')),
      axisTick: { show: false },
    },
    series: [
      {
        type: 'bar',
        barMaxWidth: 28,
        data: counts.map((c) => ({
          value: c.count,
          itemStyle: {
            color: !c.level ? '#91caff' : tierColor(c.level),
            borderRadius: [0, 4, 4, 0],
          },
        })),
        label: { show: true, position: 'right', formatter: ({ value }: { value: number }) => formatNumber(value) },
      },
    ],
  };
}

/** Members by tier, from the loyalty figures (store roles: their stores' members). */
export function TierCard({ stats, loading }: { stats: LoyaltyStats | undefined; loading: boolean }) {
  const t = useT();
  const format = useFormat();
  const counts = stats?.members_by_tier;
  const option = useMemo(
    () => (counts ? tierOption(counts, t, (value) => format.number(value)) : null),
    [counts, t, format],
  );
  return (
    <Col xs={24} lg={10}>
      <Card
        title={t('overview.membersByTier')}
        extra={stats ? t('overview.membersTotal', { count: format.number(stats.members_total) }) : null}
        style={{ height: '100%' }}
        data-testid="overview-tiers"
      >
        {loading && !stats ? (
          <Skeleton active paragraph={{ rows: 5 }} />
        ) : option && counts?.length ? (
          <EChart option={option} height={Math.max(200, counts.length * 56 + 40)} testId="chart-tiers" />
        ) : (
          <Empty description={t('overview.membersEmpty')} style={{ padding: '48px 0' }} />
        )}
      </Card>
    </Col>
  );
}
