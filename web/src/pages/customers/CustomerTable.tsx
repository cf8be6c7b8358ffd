import { Flex, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { Link, useNavigate } from 'react-router-dom';
import type { Customer } from '../../api/types';
import { useFormat } from '../../format';
import { useStores } from '../../hooks/useStores';
import { useT } from '../../i18n';
import { CustomerAvatar } from './CustomerAvatar';
import { displayName, genderLabel } from './display';

interface Props {
  rows: Customer[];
  loading: boolean;
}

export function CustomerTable({ rows, loading }: Props) {
  const t = useT();
  const format = useFormat();
  const navigate = useNavigate();
  const { byId } = useStores();

  const columns: ColumnsType<Customer> = [
    {
      title: t('customer.customer'),
      key: 'name',
      width: 240,
      render: (_, customer) => {
        const name = displayName(customer, t);
        return (
          <Flex align="center" gap={10}>
            <CustomerAvatar customer={customer} label={name} />
            <Flex vertical style={{ minWidth: 0 }}>
              <Link to={`/customers/${customer.id}`} onClick={(event) => event.stopPropagation()}>
                {name}
              </Link>
              {customer.member_no ? (
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('customer.memberNo')} {customer.member_no}
                </Typography.Text>
              ) : null}
            </Flex>
          </Flex>
        );
      },
    },
    { title: t('customer.phone'), dataIndex: 'phone', render: (phone: string | null) => phone || '—' },
    {
      title: t('customer.email'),
      dataIndex: 'email',
      responsive: ['xl'],
      ellipsis: true,
      render: (email: string | null) => email || '—',
    },
    {
      title: t('customer.gender'),
      dataIndex: 'gender',
      width: 80,
      render: (gender: Customer['gender']) => genderLabel(gender, t),
    },
    {
      title: t('customer.store'),
      dataIndex: 'store_id',
      ellipsis: true,
      render: (storeId: number | null) => (storeId ? (byId.get(storeId)?.name ?? `#${storeId}`) : '—'),
    },
    {
      title: t('customer.createdAt'),
      dataIndex: 'created_at',
      width: 170,
      render: (createdAt: string) => format.dateTime(createdAt),
    },
  ];

  return (
    <Table<Customer>
      size="middle"
      rowKey="id"
      columns={columns}
      dataSource={rows}
      loading={loading}
      pagination={false}
      scroll={{ x: 900 }}
      onRow={(customer) => ({ onClick: () => navigate(`/customers/${customer.id}`), style: { cursor: 'pointer' } })}
      data-testid="customer-table"
    />
  );
}
