import { Card, Table, Typography } from 'antd';
import type { Identifier } from '../../../api/types';
import { useFormat } from '../../../format';
import { useT } from '../../../i18n';
import { identifierTypeLabel } from '../display';
import type { CustomerSectionProps } from './types';

export function IdentifiersSection({ customer }: CustomerSectionProps) {
  const t = useT();
  const format = useFormat();
  return (
    <Card title={t('customer.section.identifiers')} data-testid="customer-identifiers">
      <Table<Identifier>
        size="small"
        rowKey={(row) => `${row.type}:${row.value}`}
        dataSource={customer.identifiers}
        pagination={false}
        scroll={{ x: 480 }}
        locale={{ emptyText: t('customer.noIdentifiers') }}
        columns={[
          {
            title: t('customer.identifierType'),
            dataIndex: 'type',
            width: 160,
            render: (type: string) => identifierTypeLabel(type, t),
          },
          {
            title: t('customer.identifierValue'),
            dataIndex: 'value',
            render: (value: string) => (
              <Typography.Text
                copyable={{ tooltips: [t('common.copy'), t('common.copied')] }}
                style={{ wordBreak: 'break-all' }}
              >
                {value}
              </Typography.Text>
            ),
          },
          {
            title: t('customer.linkedAt'),
            dataIndex: 'created_at',
            width: 170,
            render: (createdAt?: string) => format.dateTime(createdAt),
          },
        ]}
      />
    </Card>
  );
}
