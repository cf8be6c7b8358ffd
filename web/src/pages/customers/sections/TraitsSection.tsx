import { Card, Descriptions, Typography } from 'antd';
import { useT } from '../../../i18n';
import type { CustomerSectionProps } from './types';

function traitText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function TraitsSection({ customer }: CustomerSectionProps) {
  const t = useT();
  const entries = Object.entries(customer.traits ?? {});
  return (
    <Card title={t('customer.section.traits')} data-testid="customer-traits">
      {entries.length ? (
        <Descriptions
          column={{ xs: 1, sm: 2, lg: 3 }}
          items={entries.map(([key, value]) => ({ key, label: key, children: traitText(value) }))}
        />
      ) : (
        <Typography.Text type="secondary">{t('customer.noTraits')}</Typography.Text>
      )}
    </Card>
  );
}
