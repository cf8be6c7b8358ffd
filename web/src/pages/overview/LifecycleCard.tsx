import { useMemo } from 'react';
import { Card, Col, Skeleton } from 'antd';
import { segmentsApi } from '../../api/segments';
import { LIFECYCLE_STAGES, type LifecycleStage } from '../../api/types';
import { EChart } from '../../components/charts/EChart';
import { useFormat } from '../../format';
import { useAsync } from '../../hooks/useAsync';
import { useT } from '../../i18n';
import { lifecycleOption } from './charts';

/**
 * Customers per lifecycle stage now, from one segment preview per stage over the live bitmaps
 * (the server scopes previews to a store role's stores). Hidden when the previews are refused.
 */
async function loadStageCounts(): Promise<{ stage: LifecycleStage; count: number }[]> {
  return Promise.all(
    LIFECYCLE_STAGES.map(async (stage) => ({
      stage,
      count: (await segmentsApi.preview({ lifecycle: 'in', values: [stage] })).count,
    })),
  );
}

export function LifecycleCard() {
  const t = useT();
  const format = useFormat();
  const { data, loading, error } = useAsync(loadStageCounts, []);
  const option = useMemo(
    () => (data ? lifecycleOption(data, t, (value) => format.number(value)) : null),
    [data, t, format],
  );
  if (error) return null;
  return (
    <Col xs={24}>
      <Card title={t('overview.lifecycle')} style={{ height: '100%' }} data-testid="overview-lifecycle">
        {loading && !data ? (
          <Skeleton active paragraph={{ rows: 6 }} />
        ) : option ? (
          <EChart option={option} height={280} testId="chart-lifecycle" />
        ) : null}
      </Card>
    </Col>
  );
}
