import { useCallback, useState } from 'react';
import { App, Button, Card, Flex, Input, Select, Tabs, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { SyncOutlined } from '@ant-design/icons';
import { Link, useSearchParams } from 'react-router-dom';
import { wecomApi } from '../../../api/wecom';
import type { Group } from '../../../api/wecomTypes';
import { describeError } from '../../../components/errors';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat } from '../../../format';
import { toApiError } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useT, type MessageKey } from '../../../i18n';
import { isTenantWide, useCan, useSession } from '../../../session/SessionContext';
import { EmptyState, PagedTable } from '../shared';
import { GroupLiveCodesTab } from './GroupLiveCodesTab';

/** 客户群: the customer groups and the group live codes (群活码) that fill them one after another. */
export default function GroupsPage() {
  const t = useT();
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'live-codes' ? 'live-codes' : 'groups';
  // Group live codes span the tenant's groups: the store roles see their stores' groups only.
  if (!isTenantWide(session)) {
    return (
      <>
        <PageHeader title={t('nav.wecom.groups')} subtitle={t('groups.subtitle')} />
        <GroupsTab />
      </>
    );
  }
  return (
    <>
      <PageHeader title={t('nav.wecom.groups')} subtitle={t('groups.subtitle')} />
      <Tabs
        activeKey={tab}
        onChange={(key) => setParams(key === 'groups' ? {} : { tab: key }, { replace: true })}
        items={[
          { key: 'groups', label: t('groups.tab.groups'), children: <GroupsTab /> },
          { key: 'live-codes', label: t('groups.tab.liveCodes'), children: <GroupLiveCodesTab /> },
        ]}
      />
    </>
  );
}

function GroupsTab() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const { message } = App.useApp();
  const [q, setQ] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [syncing, setSyncing] = useState(false);
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) => wecomApi.groups({ q, status }, cursor, limit),
    [q, status],
  );
  const pager = useCursorPager<Group>(fetchPage, `${q ?? ''}|${status ?? ''}`, 20);
  const canManage = can('wecom.manage');

  const sync = async () => {
    setSyncing(true);
    try {
      const report = await wecomApi.syncGroups();
      message.success(t('groups.synced', { ...report }));
      pager.state.reload();
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    } finally {
      setSyncing(false);
    }
  };

  const columns: ColumnsType<Group> = [
    {
      title: t('groups.name'),
      dataIndex: 'name',
      render: (name: string, group) => (
        <Link to={`/wecom/groups/${group.id}`} data-testid="group-link">
          {name || t('groups.unnamed')}
        </Link>
      ),
    },
    { title: t('groups.owner'), dataIndex: 'owner_userid', width: 140, render: (v: string | null) => v ?? '—' },
    {
      title: t('groups.members'),
      key: 'members',
      width: 140,
      align: 'right',
      render: (_, group) =>
        `${format.number(group.member_count)}（${t('groups.customers')} ${format.number(group.customer_count)}）`,
    },
    {
      title: t('groups.status'),
      dataIndex: 'status',
      width: 90,
      render: (v: string) => (
        <Tag color={v === 'active' ? 'green' : 'default'}>{t(`groups.status.${v}` as MessageKey)}</Tag>
      ),
    },
    {
      title: t('groups.createdAt'),
      dataIndex: 'created_at',
      width: 170,
      render: (v: string | null) => format.dateTime(v),
    },
  ];

  return (
    <Card>
      <Flex gap={12} wrap justify="space-between" style={{ marginBottom: 16 }}>
        <Flex gap={12} wrap>
          <Input.Search
            allowClear
            placeholder={t('groups.search')}
            onSearch={(value) => setQ(value.trim() || undefined)}
            style={{ width: 220 }}
          />
          <Select
            allowClear
            placeholder={t('groups.status')}
            value={status}
            onChange={setStatus}
            style={{ width: 130 }}
            options={['active', 'dismissed'].map((value) => ({
              value,
              label: t(`groups.status.${value}` as MessageKey),
            }))}
          />
        </Flex>
        {canManage ? (
          <Button icon={<SyncOutlined spin={syncing} />} loading={syncing} onClick={sync} data-testid="groups-sync">
            {t('groups.sync')}
          </Button>
        ) : null}
      </Flex>
      <PagedTable<Group>
        pager={pager}
        columns={columns}
        rowKey="id"
        scrollX={800}
        testId="group-table"
        empty={
          <EmptyState
            testId="groups-empty"
            text={t(q || status ? 'groups.emptyFiltered' : 'groups.empty')}
            action={
              canManage && !q && !status ? (
                <Button type="primary" icon={<SyncOutlined />} loading={syncing} onClick={sync}>
                  {t('groups.sync')}
                </Button>
              ) : null
            }
          />
        }
      />
    </Card>
  );
}
