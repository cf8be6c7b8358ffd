import { useCallback, useState } from 'react';
import { App, Button, Card, Flex, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { PlusOutlined } from '@ant-design/icons';
import type { Role, User } from '../../../api/types';
import { usersApi } from '../../../api/users';
import { describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { PagerBar } from '../../../components/PagerBar';
import { SecretOnce } from '../../../components/SecretOnce';
import { useFormat } from '../../../format';
import { toApiError } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useStores } from '../../../hooks/useStores';
import { useT } from '../../../i18n';
import { useCan, useSession } from '../../../session/SessionContext';
import { RoleTag, roleOptions, STORE_SCOPED_ROLES } from '../roles';
import { UserFormModal } from './UserFormModal';

type Editing = { mode: 'create' } | { mode: 'edit'; user: User } | null;

export default function UsersPage() {
  const t = useT();
  const can = useCan();
  const session = useSession();
  const format = useFormat();
  const { modal, message } = App.useApp();
  const { byId } = useStores();
  const [role, setRole] = useState<Role>();
  const [editing, setEditing] = useState<Editing>(null);
  const [created, setCreated] = useState<User>();
  const canWrite = can('users.write');

  const fetchPage = useCallback((cursor: string | null, limit: number) => usersApi.list(cursor, limit, role), [role]);
  const pager = useCursorPager(fetchPage, role ?? '', 50);

  const confirmDelete = (user: User) =>
    modal.confirm({
      title: t('users.deleteTitle', { name: user.name }),
      content: t('users.deleteHint'),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await usersApi.remove(user.id);
          message.success(t('users.deleted'));
          pager.state.reload();
        } catch (error) {
          message.error(describeError(toApiError(error), t));
        }
      },
    });

  const columns: ColumnsType<User> = [
    {
      title: t('users.name'),
      key: 'name',
      width: 260,
      render: (_, user) => (
        <Flex vertical>
          <Typography.Text strong>
            {user.name}
            {user.id === session.user?.id ? <Tag style={{ marginLeft: 8 }}>{t('users.you')}</Tag> : null}
          </Typography.Text>
          <Typography.Text type="secondary">{user.email}</Typography.Text>
        </Flex>
      ),
    },
    { title: t('users.role'), dataIndex: 'role', width: 110, render: (value: Role) => <RoleTag role={value} t={t} /> },
    {
      title: t('users.stores'),
      dataIndex: 'store_ids',
      render: (ids: number[], user) => {
        if (ids.length) return ids.map((id) => <Tag key={id}>{byId.get(id)?.name ?? `#${id}`}</Tag>);
        const scoped = STORE_SCOPED_ROLES.includes(user.role);
        return (
          <Typography.Text type={scoped ? 'warning' : 'secondary'}>
            {t(scoped ? 'users.noStores' : 'users.allStores')}
          </Typography.Text>
        );
      },
    },
    {
      title: t('users.status'),
      dataIndex: 'disabled',
      width: 90,
      render: (disabled: boolean) =>
        disabled ? (
          <Tag color="default">{t('users.statusDisabled')}</Tag>
        ) : (
          <Tag color="success">{t('users.statusActive')}</Tag>
        ),
    },
    {
      title: t('users.lastLogin'),
      dataIndex: 'last_login_at',
      width: 170,
      render: (at: string | null) => format.dateTime(at),
    },
  ];
  if (canWrite) {
    columns.push({
      title: t('common.actions'),
      key: 'actions',
      width: 120,
      fixed: 'right',
      render: (_, user) => (
        <Space size={0}>
          <Button type="link" size="small" onClick={() => setEditing({ mode: 'edit', user })}>
            {t('common.edit')}
          </Button>
          <Button
            type="link"
            size="small"
            danger
            disabled={user.id === session.user?.id}
            onClick={() => confirmDelete(user)}
          >
            {t('common.remove')}
          </Button>
        </Space>
      ),
    });
  }

  return (
    <>
      <PageHeader
        title={t('nav.settings.users')}
        subtitle={t('users.subtitle')}
        extra={
          canWrite ? (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              onClick={() => setEditing({ mode: 'create' })}
              data-testid="user-create"
            >
              {t('users.create')}
            </Button>
          ) : null
        }
      />
      <Card>
        <Flex style={{ marginBottom: 16 }}>
          <Select<Role>
            allowClear
            placeholder={t('users.filterRole')}
            value={role}
            onChange={setRole}
            options={roleOptions(t, true)}
            style={{ width: 200 }}
          />
        </Flex>
        {pager.state.error ? <ErrorAlert error={pager.state.error} onRetry={pager.state.reload} /> : null}
        <Table<User>
          size="middle"
          rowKey="id"
          columns={columns}
          dataSource={pager.rows}
          loading={pager.state.loading}
          pagination={false}
          scroll={{ x: 960 }}
          locale={{ emptyText: t('users.empty') }}
        />
        <PagerBar
          pageIndex={pager.pageIndex}
          hasPrev={pager.hasPrev}
          hasNext={pager.hasNext}
          onPrev={pager.prev}
          onNext={pager.next}
        />
      </Card>
      <UserFormModal
        open={editing !== null}
        user={editing?.mode === 'edit' ? editing.user : undefined}
        onClose={() => setEditing(null)}
        onSaved={(user) => {
          setEditing(null);
          if (user.password) setCreated(user);
          pager.state.reload();
        }}
      />
      <Modal
        title={t('users.passwordOnceTitle')}
        open={Boolean(created)}
        onCancel={() => setCreated(undefined)}
        maskClosable={false}
        destroyOnHidden
        footer={
          <Button type="primary" onClick={() => setCreated(undefined)}>
            {t('common.done')}
          </Button>
        }
      >
        {created?.password ? (
          <>
            <Typography.Paragraph>{t('users.passwordOnceFor', { email: created.email })}</Typography.Paragraph>
            <SecretOnce secret={created.password} hint={t('users.passwordOnceHint')} />
          </>
        ) : null}
      </Modal>
    </>
  );
}
