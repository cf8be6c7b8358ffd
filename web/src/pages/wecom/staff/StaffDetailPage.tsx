import { useCallback } from 'react';
import { Card, Descriptions, Flex, Result, Skeleton, Space, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { ArrowLeftOutlined } from '@ant-design/icons';
import { Link, useParams } from 'react-router-dom';
import { wecomApi } from '../../../api/wecom';
import type { Owner } from '../../../api/wecomTypes';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat } from '../../../format';
import { useAsync } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useT } from '../../../i18n';
import { useSession } from '../../../session/SessionContext';
import { EmptyState, OwnerStatusTag, PagedTable, StaffStatusTag } from '../shared';

/** One staff member and the customers who added them, newest first. */
export default function StaffDetailPage() {
  const t = useT();
  const format = useFormat();
  const session = useSession();
  const id = Number(useParams().id);
  const staff = useAsync(() => wecomApi.staffMember(id), [id]);
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) => wecomApi.staffCustomers(id, cursor, limit),
    [id],
  );
  const pager = useCursorPager<Owner>(fetchPage, String(id), 20);

  if (!Number.isInteger(id) || id <= 0) return <Result status="404" title="404" subTitle={t('status.notFound')} />;
  if (staff.loading && !staff.data) return <Skeleton active paragraph={{ rows: 8 }} />;
  if (staff.error && !staff.data) return <ErrorAlert error={staff.error} onRetry={staff.reload} />;
  const member = staff.data;
  if (!member) return null;

  const customerName = (owner: Owner) => owner.customer_name || t('wecom.unnamedCustomer', { id: owner.customer_id });
  const columns: ColumnsType<Owner> = [
    {
      title: t('alerts.customer'),
      key: 'customer',
      render: (_, owner) => <Link to={`/customers/${owner.customer_id}`}>{customerName(owner)}</Link>,
    },
    { title: t('staff.addedAt'), dataIndex: 'added_at', width: 170, render: (v: string) => format.dateTime(v) },
    {
      title: t('staff.relationStatus'),
      dataIndex: 'status',
      width: 120,
      render: (v: Owner['status']) => <OwnerStatusTag status={v} />,
    },
  ];

  return (
    <>
      <PageHeader
        title={
          <Space>
            {session.role === 'guide' ? null : (
              <Link to="/wecom/staff" aria-label={t('wecom.back')}>
                <ArrowLeftOutlined />
              </Link>
            )}
            <span>{member.name}</span>
            <StaffStatusTag status={member.status} />
          </Space>
        }
      />
      <Flex vertical gap={16}>
        <Card>
          <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 4 }}>
            <Descriptions.Item label={t('staff.userid')}>{member.userid}</Descriptions.Item>
            <Descriptions.Item label={t('staff.mobile')}>{member.mobile ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('staff.store')}>{member.store_name ?? t('staff.noStore')}</Descriptions.Item>
            <Descriptions.Item label={t('staff.customers')}>{format.number(member.customer_count)}</Descriptions.Item>
          </Descriptions>
        </Card>
        <Card title={t('staff.customerList', { name: member.name })}>
          <PagedTable<Owner>
            pager={pager}
            columns={columns}
            rowKey="id"
            testId="staff-customers"
            mobileCard={(owner) => (
              <Card key={owner.id} size="small" style={{ marginBottom: 8 }}>
                <Flex justify="space-between">
                  <Link to={`/customers/${owner.customer_id}`}>{customerName(owner)}</Link>
                  <OwnerStatusTag status={owner.status} />
                </Flex>
                <Typography.Text type="secondary">{format.dateTime(owner.added_at)}</Typography.Text>
              </Card>
            )}
            empty={<EmptyState text={t('staff.noCustomers')} />}
          />
        </Card>
      </Flex>
    </>
  );
}
