import { useMemo, type ReactNode } from 'react';
import { Card, Col, Empty, Flex, Skeleton, Statistic } from 'antd';
import { statsApi } from '../../api/stats';
import { EChart } from '../../components/charts/EChart';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useFormat } from '../../format';
import { useAsync } from '../../hooks/useAsync';
import { useT } from '../../i18n';
import { channelOption, ordersOption } from './charts';
import { TierCard } from './TierCard';

function Panel({
  title,
  extra,
  children,
  testId,
}: {
  title: string;
  extra?: ReactNode;
  children: ReactNode;
  testId: string;
}) {
  return (
    <Card title={title} extra={extra} style={{ height: '100%' }} data-testid={testId}>
      {children}
    </Card>
  );
}

/**
 * The loyalty programme's figures for the range: orders and revenue per day, new members by
 * channel and members by tier. A role without `loyalty.read` does not ask; a 403 hides them.
 */
export function LoyaltyCards({ from, to }: { from: string; to: string }) {
  const t = useT();
  const format = useFormat();
  const { data, error, loading, reload } = useAsync(() => statsApi.loyalty(from, to), [from, to]);
  const options = useMemo(() => {
    if (!data) return null;
    return {
      orders: ordersOption(data, t, format),
      channels: channelOption(data, t, (value) => format.number(value)),
    };
  }, [data, t, format]);
  if (error?.status === 403) return null;
  const showLoading = loading && !data;
  const skeleton = <Skeleton active paragraph={{ rows: 6 }} />;
  const empty = (text: string) => <Empty description={text} style={{ padding: '48px 0' }} />;
  return (
    <>
      <Col xs={24}>
        <Panel
          title={t('overview.orders')}
          testId="overview-orders"
          extra={
            data ? (
              <Flex gap={24}>
                <Statistic
                  title={t('overview.ordersInRange')}
                  value={format.number(data.orders)}
                  valueStyle={{ fontSize: 16 }}
                />
                <Statistic
                  title={t('overview.revenueInRange')}
                  value={format.money(data.revenue)}
                  valueStyle={{ fontSize: 16 }}
                />
              </Flex>
            ) : null
          }
        >
          {error ? <ErrorAlert error={error} onRetry={reload} /> : null}
          {showLoading ? (
            skeleton
          ) : options && data?.orders ? (
            <EChart option={options.orders} height={300} testId="chart-orders" />
          ) : !error ? (
            empty(t('overview.ordersEmpty'))
          ) : null}
        </Panel>
      </Col>
      <Col xs={24} lg={14}>
        <Panel
          title={t('overview.newMembersByChannel')}
          testId="overview-channels"
          extra={data ? t('overview.newMembersTotal', { count: format.number(data.members_new) }) : null}
        >
          {showLoading ? (
            skeleton
          ) : options && data?.members_new ? (
            <EChart option={options.channels} height={300} testId="chart-channels" />
          ) : (
            empty(t('overview.newMembersEmpty'))
          )}
        </Panel>
      </Col>
      <TierCard stats={data} loading={showLoading} />
    </>
  );
}
