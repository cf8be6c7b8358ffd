import { useCallback, useState } from 'react';
import { App, Button, Card, Flex, Select, Space, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { PlusOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import { wecomApi } from '../../../api/wecom';
import { LIVE_CODE_CHANNELS, type DayCounts, type LiveCode } from '../../../api/wecomTypes';
import { describeError } from '../../../components/errors';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat, todayIn } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useT, type MessageKey } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { EmptyState, PagedTable, SyncTag } from '../shared';
import { LiveCodeDrawer } from './LiveCodeDrawer';
import { statsRange } from './stats';

/** 渠道活码: the codes with their channel, staff pool, 30-day adds and scans, and QR status. */
export default function LiveCodesPage() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const { modal, message } = App.useApp();
  const canManage = can('wecom.manage');
  const [channel, setChannel] = useState<string>();
  const [status, setStatus] = useState<string>();
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) => wecomApi.liveCodes({ channel, status }, cursor, limit),
    [channel, status],
  );
  const pager = useCursorPager<LiveCode>(fetchPage, `${channel ?? ''}|${status ?? ''}`, 20);
  const range = statsRange(todayIn(format.timeZone), 30);
  const stats = useAsync(() => wecomApi.liveCodeStats(range), [range.from, pager.state.data]);
  const totals = new Map<number, DayCounts>(
    (stats.data?.live_codes ?? []).map((code) => [code.live_code_id, code.total]),
  );
  const [editing, setEditing] = useState<{ code?: LiveCode } | null>(null);

  const confirmDelete = (code: LiveCode) =>
    modal.confirm({
      title: t('liveCodes.deleteTitle', { name: code.name }),
      content: t('liveCodes.deleteHint'),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await wecomApi.removeLiveCode(code.id);
          message.success(t('liveCodes.deleted'));
          pager.state.reload();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  const count = (id: number, pick: (d: DayCounts) => number) => {
    const total = totals.get(id);
    return total ? format.number(pick(total)) : stats.loading ? '…' : '0';
  };

  const columns: ColumnsType<LiveCode> = [
    {
      title: t('liveCodes.name'),
      dataIndex: 'name',
      width: 220,
      render: (name: string, code) => (
        <Link to={`/wecom/live-codes/${code.id}`} data-testid="live-code-link">
          {name}
        </Link>
      ),
    },
    {
      title: t('liveCodes.channel'),
      dataIndex: 'channel',
      width: 90,
      render: (value: string) => <Tag>{t(`channel.${value}` as MessageKey)}</Tag>,
    },
    {
      title: t('liveCodes.mode'),
      dataIndex: 'assign_mode',
      width: 130,
      render: (mode: string, code) =>
        t(`assign.${mode}` as MessageKey) + (code.daily_cap ? ` · ≤${code.daily_cap}/${t('liveCodes.staff')}` : ''),
    },
    {
      title: t('liveCodes.staff'),
      key: 'staff',
      width: 200,
      render: (_, code) => (
        <Tooltip title={code.staff.map((member) => member.name).join('、')}>
          <Typography.Text ellipsis style={{ maxWidth: 180 }}>
            {code.staff.map((member) => member.name).join('、')}
          </Typography.Text>
        </Tooltip>
      ),
    },
    {
      title: (
        <Tooltip title={t('liveCodes.lastDays', { days: 30 })}>
          <span>{`${t('liveCodes.adds')} / ${t('liveCodes.scans')}`}</span>
        </Tooltip>
      ),
      key: 'counts',
      width: 110,
      align: 'right',
      render: (_, code) => `${count(code.id, (d) => d.adds)} / ${count(code.id, (d) => d.scans)}`,
    },
    {
      title: t('liveCodes.status'),
      key: 'status',
      width: 150,
      render: (_, code) => (
        <Space size={4}>
          <Tag color={code.status === 'active' ? 'green' : 'default'}>
            {t(`wecom.status.${code.status}` as MessageKey)}
          </Tag>
          <SyncTag status={code.sync_status} />
        </Space>
      ),
    },
  ];
  if (canManage) {
    columns.push({
      title: t('common.actions'),
      key: 'actions',
      width: 130,
      fixed: 'right',
      render: (_, code) => (
        <Space size={0}>
          <Button type="link" size="small" onClick={() => setEditing({ code })}>
            {t('common.edit')}
          </Button>
          <Button type="link" size="small" danger onClick={() => confirmDelete(code)}>
            {t('common.delete')}
          </Button>
        </Space>
      ),
    });
  }

  const filtered = Boolean(channel || status);
  return (
    <>
      <PageHeader
        title={t('nav.wecom.liveCodes')}
        subtitle={t('liveCodes.subtitle')}
        extra={
          canManage ? (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              onClick={() => setEditing({})}
              data-testid="live-code-create"
            >
              {t('liveCodes.create')}
            </Button>
          ) : null
        }
      />
      <Card>
        <Flex gap={12} wrap style={{ marginBottom: 16 }}>
          <Select
            allowClear
            value={channel}
            onChange={setChannel}
            placeholder={t('liveCodes.searchChannel')}
            style={{ width: 160 }}
            options={LIVE_CODE_CHANNELS.map((value) => ({ value, label: t(`channel.${value}` as MessageKey) }))}
          />
          <Select
            allowClear
            value={status}
            onChange={setStatus}
            placeholder={t('liveCodes.status')}
            style={{ width: 140 }}
            options={['active', 'disabled'].map((value) => ({
              value,
              label: t(`wecom.status.${value}` as MessageKey),
            }))}
          />
        </Flex>
        <PagedTable<LiveCode>
          pager={pager}
          columns={columns}
          rowKey="id"
          scrollX={1050}
          testId="live-code-table"
          empty={
            <EmptyState
              testId="live-codes-empty"
              text={t(filtered ? 'liveCodes.emptyFiltered' : canManage ? 'liveCodes.empty' : 'liveCodes.emptyReadOnly')}
              action={
                canManage && !filtered ? (
                  <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({})}>
                    {t('liveCodes.create')}
                  </Button>
                ) : null
              }
            />
          }
        />
      </Card>
      <LiveCodeDrawer
        target={editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          pager.state.reload();
        }}
      />
    </>
  );
}
