import { useCallback, useState } from 'react';
import { Card, Flex, Input, Select, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { auditApi, type AuditFilters } from '../../../api/audit';
import type { AuditEntry } from '../../../api/types';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { PagerBar } from '../../../components/PagerBar';
import { useFormat } from '../../../format';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { isMessageKey, useT, type Translate } from '../../../i18n';

const ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'tenant.update',
  'user.create',
  'user.update',
  'user.delete',
  'apikey.create',
  'apikey.revoke',
  'store.create',
  'store.update',
  'store.delete',
  'customer.delete',
];

/** The message for `key` when there is one, else the raw API value. */
function labelOf(key: string, fallback: string, t: Translate): string {
  return isMessageKey(key) ? t(key) : fallback;
}

function actionLabel(action: string, t: Translate): string {
  return labelOf(`audit.action.${action}`, action, t);
}

function actionColor(action: string): string {
  if (action.endsWith('failed')) return 'red';
  if (action.endsWith('delete') || action.endsWith('revoke')) return 'volcano';
  if (action.endsWith('create')) return 'green';
  if (action.startsWith('auth.')) return 'default';
  return 'blue';
}

export default function AuditLogPage() {
  const t = useT();
  const format = useFormat();
  const [filters, setFilters] = useState<AuditFilters>({});
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) => auditApi.list(filters, cursor, limit),
    [filters],
  );
  const pager = useCursorPager(fetchPage, JSON.stringify(filters), 50);

  const columns: ColumnsType<AuditEntry> = [
    { title: t('audit.at'), dataIndex: 'at', width: 160, render: (at: string) => format.dateTime(at) },
    {
      title: t('audit.actor'),
      key: 'actor',
      width: 200,
      render: (_, entry) => (
        <Flex vertical style={{ minWidth: 0 }}>
          <Typography.Text ellipsis={{ tooltip: entry.actor_name }}>
            {entry.actor_name || (entry.actor_id !== null ? `#${entry.actor_id}` : '—')}
          </Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {labelOf(`audit.actorType.${entry.actor_type}`, entry.actor_type, t)}
          </Typography.Text>
        </Flex>
      ),
    },
    {
      title: t('audit.action'),
      dataIndex: 'action',
      width: 150,
      render: (action: string) => <Tag color={actionColor(action)}>{actionLabel(action, t)}</Tag>,
    },
    {
      title: t('audit.target'),
      key: 'target',
      width: 150,
      render: (_, entry) => {
        if (!entry.target_type) return '—';
        const type = labelOf(`audit.targetType.${entry.target_type}`, entry.target_type, t);
        return entry.target_id !== null ? `${type} #${entry.target_id}` : type;
      },
    },
    { title: t('audit.ip'), dataIndex: 'ip', width: 130, render: (ip: string | null) => ip || '—' },
    {
      title: t('audit.details'),
      dataIndex: 'details',
      ellipsis: true,
      render: (details: AuditEntry['details']) =>
        details && Object.keys(details).length ? (
          <Typography.Text code ellipsis={{ tooltip: JSON.stringify(details, null, 2) }}>
            {JSON.stringify(details)}
          </Typography.Text>
        ) : (
          '—'
        ),
    },
  ];

  return (
    <>
      <PageHeader title={t('nav.settings.auditLog')} subtitle={t('audit.subtitle')} />
      <Card>
        <Flex gap={8} wrap style={{ marginBottom: 16 }}>
          <Select
            allowClear
            placeholder={t('audit.filterAction')}
            value={filters.action}
            onChange={(action?: string) => setFilters({ ...filters, action })}
            options={ACTIONS.map((action) => ({ value: action, label: actionLabel(action, t) }))}
            style={{ width: 200 }}
          />
          <Input.Search
            allowClear
            placeholder={t('audit.filterActor')}
            onSearch={(actor) => setFilters({ ...filters, actor: actor.trim() || undefined })}
            style={{ width: 240 }}
          />
        </Flex>
        {pager.state.error ? <ErrorAlert error={pager.state.error} onRetry={pager.state.reload} /> : null}
        <Table<AuditEntry>
          size="middle"
          rowKey="id"
          columns={columns}
          dataSource={pager.rows}
          loading={pager.state.loading}
          pagination={false}
          scroll={{ x: 960 }}
          locale={{ emptyText: t('audit.empty') }}
          data-testid="audit-table"
        />
        <PagerBar
          pageIndex={pager.pageIndex}
          hasPrev={pager.hasPrev}
          hasNext={pager.hasNext}
          onPrev={pager.prev}
          onNext={pager.next}
          limit={pager.limit}
          onLimitChange={pager.setLimit}
        />
      </Card>
    </>
  );
}
