import { useMemo } from 'react';
import { Card, Col, Skeleton } from 'antd';
import { loyaltyApi } from '../../api/loyalty';
import { segmentsApi } from '../../api/segments';
import { EChart, type ChartOption } from '../../components/charts/EChart';
import { useFormat } from '../../format';
import { useAsync } from '../../hooks/useAsync';
import { useT } from '../../i18n';
import { tierColor } from '../loyalty/shared';

interface TierCount {
  name: string;
  level: number;
  count: number;
}

/**
 * Members by tier. Each member's tier is mirrored into the customer trait `tier`, so the counts
 * come from segment previews over the live bitmaps, one per tier.
 */
async function loadTierCounts(): Promise<TierCount[]> {
  const tiers = (await loyaltyApi.tiers()).data;
  return Promise.all(
    tiers.map(async (tier) => ({
      name: tier.name,
      level: tier.level,
      count: (await segmentsApi.preview({ trait: 'tier', op: 'eq', value: tier.name })).count,
    })),
  );
}

function tierOption(counts: TierCount[], formatNumber: (n: number) => string): ChartOption {
  return {
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (value: number) => formatNumber(value),
    },
    xAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { type: 'dashed' } } },
    yAxis: { type: 'category', inverse: true, data: counts.map((c) => c.name), axisTick: { show: false } },
    series: [
      {
        type: 'bar',
        barMaxWidth: 28,
        data: counts.map((c) => ({
          value: c.count,
          itemStyle: { color: c.level === 0 ? '#91caff' : tierColor(c.level), borderRadius: [0, 4, 4, 0] },
        })),
        label: { show: true, position: 'right', formatter: ({ value }: { value: number }) => formatNumber(value) },
      },
    ],
  };
}

/** Shown only when the programme has members; hidden for roles that cannot read it. */
export function TierCard() {
  const t = useT();
  const format = useFormat();
  const { data, loading, error } = useAsync(loadTierCounts, []);
  const option = useMemo(() => (data ? tierOption(data, (value) => format.number(value)) : null), [data, format]);
  const total = data?.reduce((sum, c) => sum + c.count, 0) ?? 0;
  if (error || (data && total === 0)) return null;
  return (
    <Col xs={24} lg={10}>
      <Card
        title={t('overview.membersByTier')}
        extra={data ? t('overview.membersTotal', { count: format.number(total) }) : null}
        style={{ height: '100%' }}
        data-testid="overview-tiers"
      >
        {loading && !data ? (
          <Skeleton active paragraph={{ rows: 5 }} />
        ) : option ? (
          <EChart option={option} height={Math.max(200, (data?.length ?? 0) * 56 + 40)} testId="chart-tiers" />
        ) : null}
      </Card>
    </Col>
  );
}
