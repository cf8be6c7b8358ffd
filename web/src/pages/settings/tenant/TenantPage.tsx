import { useEffect, useMemo, useState } from 'react';
import { App, Button, Card, Descriptions, Form, Input, Select, Skeleton, Tag } from 'antd';
import { tenantApi, type TenantUpdateInput } from '../../../api/tenant';
import type { Tenant } from '../../../api/types';
import { applyFieldError, describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';
import { useSession, useSessionContext } from '../../../session/SessionContext';

type Values = Required<TenantUpdateInput>;

const FIELDS = ['name', 'time_zone', 'currency'] as const;
const COMMON_CURRENCIES = ['CNY', 'HKD', 'MOP', 'TWD', 'USD', 'EUR', 'GBP', 'JPY', 'KRW', 'SGD', 'AUD'];
const FALLBACK_ZONES = ['Asia/Shanghai', 'Asia/Hong_Kong', 'Asia/Taipei', 'Asia/Singapore', 'Asia/Tokyo', 'UTC'];

function timeZones(): string[] {
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone');
  return supported?.length ? supported : FALLBACK_ZONES;
}

function changes(values: Values, tenant: Tenant): TenantUpdateInput {
  const patch: TenantUpdateInput = {};
  if (values.name.trim() !== tenant.name) patch.name = values.name.trim();
  if (values.time_zone !== tenant.time_zone) patch.time_zone = values.time_zone;
  if (values.currency !== tenant.currency) patch.currency = values.currency;
  return patch;
}

export default function TenantPage() {
  const t = useT();
  const format = useFormat();
  const { message } = App.useApp();
  const session = useSession();
  const { updateSession } = useSessionContext();
  const { data: tenant, error, loading, reload, setData } = useAsync(() => tenantApi.get(), []);
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const zoneOptions = useMemo(() => timeZones().map((zone) => ({ value: zone, label: zone })), []);
  const currencyOptions = useMemo(
    () => [...new Set([...COMMON_CURRENCIES, tenant?.currency ?? 'CNY'])].map((code) => ({ value: code, label: code })),
    [tenant?.currency],
  );

  useEffect(() => {
    if (tenant) form.setFieldsValue({ name: tenant.name, time_zone: tenant.time_zone, currency: tenant.currency });
  }, [tenant, form]);

  if (loading && !tenant) return <Skeleton active paragraph={{ rows: 6 }} />;
  if (!tenant) return error ? <ErrorAlert error={error} onRetry={reload} /> : null;

  const save = async (values: Values) => {
    const patch = changes(values, tenant);
    if (!Object.keys(patch).length) {
      message.info(t('common.noChanges'));
      return;
    }
    setSaving(true);
    try {
      const saved = await tenantApi.update(patch);
      setData(saved);
      updateSession({
        ...session,
        tenant: saved,
        tenants: session.tenants.map((item) => (item.id === saved.id ? { ...item, name: saved.name } : item)),
      });
      message.success(t('tenant.saved'));
    } catch (reason) {
      if (!applyFieldError(form, reason, FIELDS, t)) message.error(describeError(toApiError(reason), t));
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      <PageHeader title={t('nav.settings.tenant')} subtitle={t('tenant.subtitle')} />
      <Card style={{ maxWidth: 720 }}>
        <Descriptions
          column={{ xs: 1, sm: 3 }}
          style={{ marginBottom: 24 }}
          items={[
            { key: 'id', label: t('tenant.id'), children: tenant.id },
            { key: 'created', label: t('common.createdAt'), children: format.dateTime(tenant.created_at) },
            {
              key: 'demo',
              label: t('tenant.data'),
              children: tenant.demo ? (
                <Tag color="orange">{t('demo.short')}</Tag>
              ) : (
                <Tag color="green">{t('tenant.live')}</Tag>
              ),
            },
          ]}
        />
        <Form<Values> form={form} layout="vertical" onFinish={save} data-testid="tenant-form">
          <Form.Item
            name="name"
            label={t('tenant.name')}
            rules={[
              { required: true, whitespace: true, message: t('validation.required') },
              { max: 100, message: t('validation.maxLength', { max: 100 }) },
            ]}
          >
            <Input />
          </Form.Item>
          <Form.Item
            name="time_zone"
            label={t('tenant.timeZone')}
            extra={t('tenant.timeZoneHint')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <Select showSearch options={zoneOptions} />
          </Form.Item>
          <Form.Item
            name="currency"
            label={t('tenant.currency')}
            extra={t('tenant.currencyHint')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <Select showSearch options={currencyOptions} style={{ maxWidth: 200 }} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={saving}>
            {t('common.save')}
          </Button>
        </Form>
      </Card>
    </>
  );
}
