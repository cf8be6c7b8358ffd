import { Avatar, Button, Dropdown, Typography } from 'antd';
import { LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { useT } from '../i18n';
import { useSession, useSessionContext } from '../session/SessionContext';

interface Props {
  compact?: boolean;
}

export function UserMenu({ compact }: Props) {
  const t = useT();
  const session = useSession();
  const { logout } = useSessionContext();
  const navigate = useNavigate();
  const name = session.user?.name || session.user?.email || t('header.apiKey');

  const signOut = async () => {
    await logout().catch(() => undefined);
    navigate('/login', { replace: true });
  };

  return (
    <Dropdown
      trigger={['click']}
      menu={{
        items: [
          {
            key: 'who',
            disabled: true,
            label: (
              <div className="siyu-user-card">
                <Typography.Text strong>{name}</Typography.Text>
                <Typography.Text type="secondary">{session.user?.email}</Typography.Text>
                <Typography.Text type="secondary">{t(`role.${session.role}`)}</Typography.Text>
              </div>
            ),
          },
          { type: 'divider' },
          { key: 'logout', icon: <LogoutOutlined />, label: t('header.logout'), danger: true },
        ],
        onClick: ({ key }) => {
          if (key === 'logout') void signOut();
        },
      }}
    >
      <Button type="text" className="siyu-user-button" data-testid="user-menu" aria-label={t('header.account')}>
        <Avatar size="small" style={{ background: '#1677ff' }} icon={name ? undefined : <UserOutlined />}>
          {name.slice(0, 1).toUpperCase()}
        </Avatar>
        {compact ? null : <span className="siyu-user-name">{name}</span>}
      </Button>
    </Dropdown>
  );
}
