import { Card, Descriptions } from 'antd';
import type { CustomerSectionProps } from './types';
import { useFormat } from '../../../format';
import { useStores } from '../../../hooks/useStores';
import { useT } from '../../../i18n';
import { genderLabel } from '../display';

export function ProfileSection({ customer }: CustomerSectionProps) {
  const t = useT();
  const format = useFormat();
  const { byId } = useStores();
  const store = customer.store_id ? byId.get(customer.store_id) : undefined;
  const dash = (value: string | null) => value || '—';
  return (
    <Card title={t('customer.section.profile')} data-testid="customer-profile">
      <Descriptions
        column={{ xs: 1, sm: 2, lg: 3 }}
        size="middle"
        items={[
          { key: 'name', label: t('customer.name'), children: dash(customer.name) },
          { key: 'phone', label: t('customer.phone'), children: dash(customer.phone) },
          { key: 'email', label: t('customer.email'), children: dash(customer.email) },
          { key: 'gender', label: t('customer.gender'), children: genderLabel(customer.gender, t) },
          { key: 'birthday', label: t('customer.birthday'), children: dash(customer.birthday) },
          { key: 'member_no', label: t('customer.memberNo'), children: dash(customer.member_no) },
          {
            key: 'store',
            label: t('customer.store'),
            children: store ? `${store.name}（${store.code}）` : customer.store_id ? `#${customer.store_id}` : '—',
          },
          { key: 'created', label: t('customer.createdAt'), children: format.dateTime(customer.created_at) },
          { key: 'updated', label: t('customer.updatedAt'), children: format.dateTime(customer.updated_at) },
          { key: 'id', label: t('customer.id'), children: customer.id },
        ]}
      />
    </Card>
  );
}
