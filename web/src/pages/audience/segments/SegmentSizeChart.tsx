import { useMemo, useState } from 'react';
import { Card, Empty, Segmented, Skeleton } from 'antd';
import dayjs from 'dayjs';
import { segmentsApi } from '../../../api/segments';
import type { SegmentSizes } from '../../../api/types';
import { EChart, type ChartOption } from '../../../components/charts/EChart';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { todayIn, useFormat } from '../../../format';
import { useAsync } from '../../../hooks/useAsync';
import { useT, type Translate } from '../../../i18n';

const RANGES = [30, 90, 365] as const;
const DAY = 'YYYY-MM-DD';

function sizeOption(sizes: SegmentSizes, t: Translate, number: (value: number) => string): ChartOption {
  return {
    grid: { left: 56, right: 24, top: 24, bottom: 32 },
    tooltip: {
      trigger: 'axis',
      valueFormatter: (value: unknown) => number(Number(value)),
    },
    xAxis: { type: 'category', data: sizes.data.map((row) => row.date), boundaryGap: false },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { formatter: (value: number) => number(value) } },
    series: [
      {
        name: t('segments.sizes.series'),
        type: 'line',
        smooth: true,
        showSymbol: sizes.data.length <= 31,
        areaStyle: { opacity: 0.12 },
        data: sizes.data.map((row) => row.size),
      },
    ],
  };
}

/** The segment's size day by day, as the server recorded it (tenant time zone). */
export function SegmentSizeChart({ segmentId, version }: { segmentId: number; version: number }) {
  const t = useT();
  const format = useFormat();
  const [days, setDays] = useState<(typeof RANGES)[number]>(30);
  const today = dayjs(todayIn(format.timeZone));
  const from = today.subtract(days - 1, 'day').format(DAY);
  const to = today.format(DAY);
  const { data, error, loading, reload } = useAsync(
    () => segmentsApi.sizes(segmentId, from, to),
    [segmentId, from, to, version],
  );
  const option = useMemo(() => (data ? sizeOption(data, t, (value) => format.number(value)) : null), [data, t, format]);
  let body;
  if (error) body = <ErrorAlert error={error} onRetry={reload} />;
  else if (loading && !data) body = <Skeleton active paragraph={{ rows: 5 }} />;
  else if (!data?.data.length) body = <Empty description={t('segments.sizes.empty')} style={{ padding: '32px 0' }} />;
  else if (data.data.length === 1) {
    const [only] = data.data;
    body = (
      <Empty
        description={t('segments.sizes.oneDay', { date: only.date, count: format.number(only.size) })}
        style={{ padding: '32px 0' }}
      />
    );
  } else body = option ? <EChart option={option} height={260} testId="chart-segment-sizes" /> : null;
  return (
    <Card
      title={t('segments.sizes.title')}
      extra={
        <Segmented
          size="small"
          value={days}
          onChange={(value) => setDays(value as (typeof RANGES)[number])}
          options={RANGES.map((value) => ({ value, label: t('segments.sizes.days', { days: value }) }))}
        />
      }
      data-testid="segment-sizes"
    >
      {body}
    </Card>
  );
}
