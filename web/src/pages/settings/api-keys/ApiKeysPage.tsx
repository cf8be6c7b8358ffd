import { useState } from 'react';
import { App, Button, Card, Modal, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { PlusOutlined } from '@ant-design/icons';
import { apiKeysApi } from '../../../api/apiKeys';
import type { ApiKey, ApiKeyKind, Role } from '../../../api/types';
import { describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { SecretOnce } from '../../../components/SecretOnce';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';
import { RoleTag } from '../roles';
import { ApiKeyCreateModal } from './ApiKeyCreateModal';

export default function ApiKeysPage() {
  const t = useT();
  const format = useFormat();
  const { modal, message } = App.useApp();
  const { data, error, loading, reload } = useAsync(() => apiKeysApi.list(), []);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKey>();

  const confirmRevoke = (key: ApiKey) =>
    modal.confirm({
      title: t('apiKeys.revokeTitle', { name: key.name }),
      content: t('apiKeys.revokeHint'),
      okText: t('apiKeys.revoke'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await apiKeysApi.revoke(key.id);
          message.success(t('apiKeys.revoked'));
          reload();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  const columns: ColumnsType<ApiKey> = [
    {
      title: t('apiKeys.name'),
      dataIndex: 'name',
      width: 220,
      ellipsis: true,
      render: (name: string) => <Typography.Text strong>{name}</Typography.Text>,
    },
    {
      title: t('apiKeys.kind'),
      dataIndex: 'kind',
      width: 130,
      render: (kind: ApiKeyKind) => (
        <Tag color={kind === 'secret' ? 'geekblue' : 'cyan'}>{t(`apiKeys.kind.${kind}`)}</Tag>
      ),
    },
    {
      title: t('apiKeys.role'),
      dataIndex: 'role',
      width: 120,
      render: (role: Role | null, key) => (key.kind === 'secret' ? <RoleTag role={role} t={t} /> : '—'),
    },
    {
      title: t('apiKeys.prefix'),
      dataIndex: 'prefix',
      width: 140,
      render: (prefix: string) => <Typography.Text code>{prefix}…</Typography.Text>,
    },
    { title: t('common.createdAt'), dataIndex: 'created_at', width: 170, render: (at: string) => format.dateTime(at) },
    {
      title: t('apiKeys.lastUsed'),
      dataIndex: 'last_used_at',
      width: 170,
      render: (at: string | null) => (at ? format.dateTime(at) : t('apiKeys.neverUsed')),
    },
    {
      title: t('apiKeys.status'),
      dataIndex: 'revoked_at',
      width: 160,
      render: (at: string | null) =>
        at ? (
          <Tag>{t('apiKeys.revokedAt', { at: format.date(at) })}</Tag>
        ) : (
          <Tag color="success">{t('apiKeys.active')}</Tag>
        ),
    },
    {
      title: t('common.actions'),
      key: 'actions',
      width: 100,
      fixed: 'right',
      render: (_, key) =>
        key.revoked_at ? null : (
          <Button type="link" size="small" danger onClick={() => confirmRevoke(key)}>
            {t('apiKeys.revoke')}
          </Button>
        ),
    },
  ];

  const keys = [...(data?.data ?? [])].sort((a, b) => Number(Boolean(a.revoked_at)) - Number(Boolean(b.revoked_at)));

  return (
    <>
      <PageHeader
        title={t('nav.settings.apiKeys')}
        subtitle={t('apiKeys.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="api-key-create">
            {t('apiKeys.create')}
          </Button>
        }
      />
      <Card>
        {error ? <ErrorAlert error={error} onRetry={reload} /> : null}
        <Table<ApiKey>
          size="middle"
          rowKey="id"
          columns={columns}
          dataSource={keys}
          loading={loading}
          pagination={false}
          scroll={{ x: 1290 }}
          rowClassName={(key) => (key.revoked_at ? 'siyu-row-muted' : '')}
          locale={{ emptyText: t('apiKeys.empty') }}
          data-testid="api-key-table"
        />
      </Card>
      <ApiKeyCreateModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(key) => {
          setCreating(false);
          setCreated(key);
          reload();
        }}
      />
      <Modal
        title={t('apiKeys.onceTitle')}
        open={Boolean(created)}
        onCancel={() => setCreated(undefined)}
        maskClosable={false}
        destroyOnHidden
        footer={
          <Button type="primary" onClick={() => setCreated(undefined)} data-testid="api-key-done">
            {t('apiKeys.onceDone')}
          </Button>
        }
      >
        {created?.key ? (
          <>
            <Typography.Paragraph>
              {t('apiKeys.onceFor', { name: created.name, kind: t(`apiKeys.kind.${created.kind}`) })}
            </Typography.Paragraph>
            <SecretOnce secret={created.key} hint={t('apiKeys.onceHint')} />
            <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
              {t(created.kind === 'secret' ? 'apiKeys.usageSecret' : 'apiKeys.usageWrite')}
            </Typography.Paragraph>
          </>
        ) : null}
      </Modal>
    </>
  );
}
