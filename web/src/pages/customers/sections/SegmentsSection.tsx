import { Card, Flex, Skeleton, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { segmentsApi } from '../../../api/segments';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { useAsync } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';
import type { CustomerSectionProps } from './types';

/** The saved segments the customer is in now. */
export function SegmentsSection({ customer }: CustomerSectionProps) {
  const t = useT();
  const { data, error, loading, reload } = useAsync(
    () => segmentsApi.ofCustomer(customer.id),
    [customer.id, customer.updated_at],
  );
  const segments = data?.data ?? [];
  let body;
  if (loading && !data) body = <Skeleton active paragraph={{ rows: 2 }} />;
  else if (error) body = <ErrorAlert error={error} onRetry={reload} />;
  else if (segments.length === 0) {
    body = <Typography.Text type="secondary">{t('customerSegments.empty')}</Typography.Text>;
  } else {
    body = (
      <Flex wrap gap={8} data-testid="customer-segment-list">
        {segments.map((segment) => (
          <Link key={segment.id} to={`/audience/segments/${segment.id}`}>
            <Tag color="blue" style={{ marginInlineEnd: 0, cursor: 'pointer' }}>
              {segment.name}
            </Tag>
          </Link>
        ))}
      </Flex>
    );
  }
  return (
    <Card title={t('customer.section.segments')} data-testid="customer-segments" style={{ height: '100%' }}>
      {body}
    </Card>
  );
}
