import { App, Button, Dropdown, Typography } from 'antd';
import { CheckOutlined, DownOutlined, ShopOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { useT } from '../i18n';
import { describeError } from '../components/errors';
import { toApiError } from '../hooks/useAsync';
import { useSession, useSessionContext } from '../session/SessionContext';

interface Props {
  compact?: boolean;
}

/** Shows the current tenant; users of several tenants pick another one here. */
export function TenantSwitcher({ compact }: Props) {
  const t = useT();
  const { message } = App.useApp();
  const session = useSession();
  const { switchTenant } = useSessionContext();
  const navigate = useNavigate();
  const current = session.tenant;
  const label = (
    <span className="siyu-tenant-name" style={{ maxWidth: compact ? 110 : 220 }}>
      {current.name}
    </span>
  );

  if (session.tenants.length <= 1) {
    return (
      <Typography.Text className="siyu-header-item" aria-label={t('tenant.current')}>
        <ShopOutlined /> {label}
      </Typography.Text>
    );
  }

  const choose = async (tenantId: number) => {
    if (tenantId === current.id) return;
    try {
      await switchTenant(tenantId);
      const name = session.tenants.find((tenant) => tenant.id === tenantId)?.name ?? '';
      message.success(t('tenant.switched', { name }));
    } catch (error) {
      message.error(describeError(toApiError(error), t));
      return;
    }
    navigate('/', { replace: true });
  };

  return (
    <Dropdown
      trigger={['click']}
      menu={{
        selectedKeys: [String(current.id)],
        items: [
          { key: 'title', type: 'group', label: t('tenant.switch') },
          ...session.tenants.map((tenant) => ({
            key: String(tenant.id),
            label: (
              <span className="siyu-tenant-option">
                <span>{tenant.name}</span>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t(`role.${tenant.role}`)}
                  {tenant.demo ? ` · ${t('demo.short')}` : ''}
                </Typography.Text>
                {tenant.id === current.id ? <CheckOutlined /> : null}
              </span>
            ),
          })),
        ],
        onClick: ({ key }) => void choose(Number(key)),
      }}
    >
      <Button type="text" data-testid="tenant-switcher" aria-label={t('tenant.switch')}>
        <ShopOutlined />
        {label}
        <DownOutlined style={{ fontSize: 10 }} />
      </Button>
    </Dropdown>
  );
}
