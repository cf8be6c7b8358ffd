import { Card, Flex, Spin, Typography } from 'antd';
import { RightOutlined, ShopOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import type { Customer } from '../../api/types';
import { useFormat } from '../../format';
import { useStores } from '../../hooks/useStores';
import { useT } from '../../i18n';
import { CustomerAvatar } from './CustomerAvatar';
import { displayName } from './display';

interface Props {
  rows: Customer[];
  loading: boolean;
}

/** The customer list on phones: one tappable card per customer. */
export function CustomerCards({ rows, loading }: Props) {
  const t = useT();
  const format = useFormat();
  const { byId } = useStores();
  return (
    <Spin spinning={loading}>
      <div className="siyu-card-list" data-testid="customer-cards">
        {rows.map((customer) => {
          const name = displayName(customer, t);
          const store = customer.store_id ? byId.get(customer.store_id)?.name : undefined;
          return (
            <Link key={customer.id} to={`/customers/${customer.id}`} style={{ display: 'block', color: 'inherit' }}>
              <Card size="small" hoverable>
                <Flex align="center" gap={12}>
                  <CustomerAvatar customer={customer} label={name} size={40} />
                  <Flex vertical style={{ flex: 1, minWidth: 0 }}>
                    <Typography.Text strong ellipsis>
                      {name}
                    </Typography.Text>
                    <Typography.Text type="secondary" ellipsis>
                      {customer.phone || customer.email || customer.member_no || '—'}
                    </Typography.Text>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }} ellipsis>
                      {store ? (
                        <>
                          <ShopOutlined /> {store} ·{' '}
                        </>
                      ) : null}
                      {format.date(customer.created_at)}
                    </Typography.Text>
                  </Flex>
                  <RightOutlined style={{ color: '#bfbfbf' }} />
                </Flex>
              </Card>
            </Link>
          );
        })}
      </div>
    </Spin>
  );
}
