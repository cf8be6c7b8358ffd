import { Card, Col, Flex, Row, Skeleton, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { wecomApi } from '../../../api/wecom';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { useFormat } from '../../../format';
import { useAsync } from '../../../hooks/useAsync';
import { useT, type MessageKey } from '../../../i18n';
import type { CustomerSectionProps } from './types';

/** The staff members who have the customer as a WeCom contact, and the customer groups they are in. */
export function WecomSection({ customer }: CustomerSectionProps) {
  const t = useT();
  const format = useFormat();
  const owners = useAsync(() => wecomApi.customerOwners(customer.id), [customer.id, customer.updated_at]);
  const groups = useAsync(() => wecomApi.customerGroups(customer.id), [customer.id, customer.updated_at]);

  const ownerList = () => {
    if (owners.loading && !owners.data) return <Skeleton active paragraph={{ rows: 2 }} />;
    if (owners.error) return <ErrorAlert error={owners.error} onRetry={owners.reload} />;
    const rows = owners.data?.data ?? [];
    if (!rows.length) return <Typography.Text type="secondary">{t('customerWecom.noOwners')}</Typography.Text>;
    return (
      <Flex vertical gap={8} data-testid="customer-owners">
        {rows.map((owner) => (
          <Flex key={owner.id} justify="space-between" align="center" gap={8} wrap>
            <span>
              <Link to={`/wecom/staff/${owner.staff.id}`}>{owner.staff.name}</Link>{' '}
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t('customerWecom.addedAt', { time: format.dateTime(owner.added_at) })}
              </Typography.Text>
            </span>
            <Tag color={owner.status === 'active' ? 'green' : 'default'} style={{ marginInlineEnd: 0 }}>
              {t(`owner.status.${owner.status}` as MessageKey)}
            </Tag>
          </Flex>
        ))}
      </Flex>
    );
  };
  const groupList = () => {
    if (groups.loading && !groups.data) return <Skeleton active paragraph={{ rows: 2 }} />;
    if (groups.error) return <ErrorAlert error={groups.error} onRetry={groups.reload} />;
    const rows = groups.data?.data ?? [];
    if (!rows.length) return <Typography.Text type="secondary">{t('customerWecom.noGroups')}</Typography.Text>;
    return (
      <Flex wrap gap={8} data-testid="customer-groups">
        {rows.map((group) => (
          <Tag key={group.id} color="cyan" style={{ marginInlineEnd: 0 }}>
            {group.name || t('groups.unnamed')} · {group.member_count}
          </Tag>
        ))}
      </Flex>
    );
  };

  return (
    <Card title={t('customerWecom.title')} data-testid="customer-wecom" style={{ height: '100%' }}>
      <Row gutter={[16, 16]}>
        <Col xs={24} md={12}>
          <Typography.Text strong style={{ display: 'block', marginBottom: 8 }}>
            {t('customerWecom.owners')}
          </Typography.Text>
          {ownerList()}
        </Col>
        <Col xs={24} md={12}>
          <Typography.Text strong style={{ display: 'block', marginBottom: 8 }}>
            {t('customerWecom.groups')}
          </Typography.Text>
          {groupList()}
        </Col>
      </Row>
    </Card>
  );
}
