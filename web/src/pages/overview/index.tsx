import { useMemo, useState, type ReactNode } from 'react';
import { Card, Col, DatePicker, Empty, Row, Skeleton, Statistic, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { analyticsApi } from '../../api/analytics';
import { statsApi } from '../../api/stats';
import type { OverviewStats } from '../../api/types';
import { EChart } from '../../components/charts/EChart';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeader } from '../../components/PageHeader';
import { todayIn, useFormat } from '../../format';
import { useAsync } from '../../hooks/useAsync';
import { useT } from '../../i18n';
import { hasPermission, isTenantWide, useSession } from '../../session/SessionContext';
import { LifecycleCard } from './LifecycleCard';
import { LoyaltyCards } from './LoyaltyCards';
import { byStoreOption, eventsOption, genderOption, newByDayOption, TOP_EVENTS } from './charts';

type Range = [Dayjs, Dayjs];

const DAY = 'YYYY-MM-DD';
const DEFAULT_DAYS = 30;

function StatCard({ title, value, loading }: { title: string; value: string; loading: boolean }) {
  return (
    <Card className="siyu-stat-card">
      <Skeleton loading={loading} active paragraph={false}>
        <Statistic title={title} value={value} />
      </Skeleton>
    </Card>
  );
}

interface ChartCardProps {
  title: string;
  empty: boolean;
  loading: boolean;
  children: ReactNode;
  emptyText?: string;
  extra?: ReactNode;
  testId?: string;
}

function ChartCard({ title, empty, loading, children, emptyText, extra, testId }: ChartCardProps) {
  const t = useT();
  let body = children;
  if (loading) body = <Skeleton active paragraph={{ rows: 6 }} />;
  else if (empty) body = <Empty description={emptyText ?? t('overview.emptyChart')} style={{ padding: '48px 0' }} />;
  return (
    <Card title={title} extra={extra} style={{ height: '100%' }} data-testid={testId}>
      {body}
    </Card>
  );
}

/**
 * Events per name for the range, from the event engine. The figures are tenant-wide: store
 * roles do not ask, and a 403 hides the card rather than showing an error.
 */
function EventsCard({ from, to }: { from: string; to: string }) {
  const t = useT();
  const format = useFormat();
  const { data, error, loading, reload } = useAsync(() => analyticsApi.events(from, to), [from, to]);
  const option = useMemo(
    () => (data ? eventsOption(data.data, t, (value) => format.number(value)) : null),
    [data, t, format],
  );
  if (error?.status === 403) return null;
  return (
    <Col xs={24}>
      <ChartCard
        title={t('overview.events')}
        extra={
          <Typography.Text type="secondary" className="siyu-card-extra-hint">
            {t('overview.eventsTop', { count: TOP_EVENTS })}
          </Typography.Text>
        }
        loading={loading && !data && !error}
        empty={!error && !data?.data.length}
        emptyText={t('overview.eventsEmpty')}
        testId="overview-events"
      >
        {error ? <ErrorAlert error={error} onRetry={reload} /> : null}
        {option && !error ? (
          <EChart
            option={option}
            height={Math.max(200, Math.min(data?.data.length ?? 0, TOP_EVENTS) * 40 + 60)}
            testId="chart-events"
          />
        ) : null}
      </ChartCard>
    </Col>
  );
}

export default function OverviewPage() {
  const t = useT();
  const format = useFormat();
  const session = useSession();
  const today = dayjs(todayIn(format.timeZone));
  const [range, setRange] = useState<Range>([today.subtract(DEFAULT_DAYS - 1, 'day'), today]);
  const from = range[0].format(DAY);
  const to = range[1].format(DAY);
  const { data, error, loading, reload } = useAsync<OverviewStats>(() => statsApi.overview(from, to), [from, to]);
  const showLoading = loading && !data;
  const days = data ? data.new_by_day.length || 1 : 1;

  const options = useMemo(() => {
    if (!data) return null;
    const number = (value: number) => format.number(value);
    return {
      newByDay: newByDayOption(data, t, number),
      byStore: byStoreOption(data, t, number),
      gender: genderOption(data, t, number),
    };
  }, [data, t, format]);

  const presets = [
    { label: t('overview.last7'), value: [today.subtract(6, 'day'), today] as Range },
    { label: t('overview.last30'), value: [today.subtract(29, 'day'), today] as Range },
    { label: t('overview.last90'), value: [today.subtract(89, 'day'), today] as Range },
    { label: t('overview.thisMonth'), value: [today.startOf('month'), today] as Range },
  ];

  const genderTotal = data ? Object.values(data.by_gender).reduce((sum, count) => sum + count, 0) : 0;

  return (
    <>
      <PageHeader
        title={t('nav.overview')}
        subtitle={t('overview.subtitle', { timeZone: format.timeZone })}
        extra={
          <DatePicker.RangePicker
            value={range}
            allowClear={false}
            presets={presets}
            disabledDate={(day) => day.isAfter(today, 'day')}
            onChange={(value) => {
              if (value?.[0] && value[1]) setRange([value[0], value[1]]);
            }}
            data-testid="overview-range"
          />
        }
      />
      {error ? <ErrorAlert error={error} onRetry={reload} /> : null}
      <Row gutter={[16, 16]}>
        <Col xs={8}>
          <StatCard title={t('overview.total')} value={format.number(data?.customers_total)} loading={showLoading} />
        </Col>
        <Col xs={8}>
          <StatCard title={t('overview.newInRange')} value={format.number(data?.customers_new)} loading={showLoading} />
        </Col>
        <Col xs={8}>
          <StatCard
            title={t('overview.newPerDay')}
            value={data ? format.number(Math.round((data.customers_new / days) * 10) / 10) : '—'}
            loading={showLoading}
          />
        </Col>
        <Col xs={24}>
          <ChartCard title={t('overview.newByDay')} loading={showLoading} empty={!data?.new_by_day.length}>
            {options ? <EChart option={options.newByDay} height={300} testId="chart-new-by-day" /> : null}
          </ChartCard>
        </Col>
        <Col xs={24} lg={14}>
          <ChartCard title={t('overview.byStore')} loading={showLoading} empty={!data?.by_store.length}>
            {options ? <EChart option={options.byStore} height={320} testId="chart-by-store" /> : null}
          </ChartCard>
        </Col>
        <Col xs={24} lg={10}>
          <ChartCard title={t('overview.byGender')} loading={showLoading} empty={genderTotal === 0}>
            {options ? <EChart option={options.gender} height={320} testId="chart-gender" /> : null}
          </ChartCard>
        </Col>
        {hasPermission(session, 'loyalty.read') ? <LoyaltyCards from={from} to={to} /> : null}
        {hasPermission(session, 'segments.read') ? <LifecycleCard /> : null}
        {isTenantWide(session) ? <EventsCard from={from} to={to} /> : null}
      </Row>
    </>
  );
}
