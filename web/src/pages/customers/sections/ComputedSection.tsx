import { Alert, Card, Col, Descriptions, Row, Statistic } from 'antd';
import { useFormat } from '../../../format';
import { useT } from '../../../i18n';
import { LifecycleTag } from '../lifecycle';
import type { CustomerSectionProps } from './types';

/** Spending and lifecycle, computed by the server from the customer's events. */
export function ComputedSection({ customer }: CustomerSectionProps) {
  const t = useT();
  const format = useFormat();
  const computed = customer.computed;
  if (!computed) return null;
  const noActivity = !computed.first_seen && computed.order_count === 0 && computed.refund_count === 0;
  const stats = [
    { key: 'orders', title: t('computed.orderCount'), value: format.number(computed.order_count) },
    { key: 'spent', title: t('computed.totalSpent'), value: format.money(computed.total_spent) },
    { key: 'aov', title: t('computed.averageOrderValue'), value: format.money(computed.average_order_value) },
    {
      key: 'refunds',
      title: t('computed.refunds'),
      value: t('computed.refundSummary', {
        count: format.number(computed.refund_count),
        amount: format.money(computed.refund_total),
      }),
    },
  ];
  return (
    <Card
      title={t('customer.section.computed')}
      extra={<LifecycleTag stage={computed.lifecycle_stage} />}
      data-testid="customer-computed"
    >
      <Row gutter={[16, 16]}>
        {stats.map((stat) => (
          <Col key={stat.key} xs={12} md={6} data-testid={`computed-${stat.key}`}>
            <Statistic title={stat.title} value={stat.value} valueStyle={{ fontSize: 20 }} />
          </Col>
        ))}
      </Row>
      <Descriptions
        style={{ marginTop: 16 }}
        column={{ xs: 1, sm: 3 }}
        size="small"
        items={[
          { key: 'first', label: t('computed.firstSeen'), children: format.dateTime(computed.first_seen) },
          { key: 'last', label: t('computed.lastSeen'), children: format.dateTime(computed.last_seen) },
          { key: 'order', label: t('computed.lastOrder'), children: format.dateTime(computed.last_order_at) },
        ]}
      />
      {noActivity ? <Alert type="info" showIcon message={t('computed.noEvents')} style={{ marginTop: 12 }} /> : null}
    </Card>
  );
}
