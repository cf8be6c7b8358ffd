import { useCallback } from 'react';
import { Card, Col, Descriptions, Result, Row, Skeleton, Space, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { ArrowLeftOutlined } from '@ant-design/icons';
import { Link, useParams } from 'react-router-dom';
import { wecomApi } from '../../../api/wecom';
import type { GroupHistoryEntry, GroupMember, GroupMemberType } from '../../../api/wecomTypes';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat } from '../../../format';
import { useAsync } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { isMessageKey, useT, type MessageKey } from '../../../i18n';
import { EmptyState, PagedTable } from '../shared';

/** One customer group: its members and the history of joins and leaves. */
export default function GroupDetailPage() {
  const t = useT();
  const format = useFormat();
  const id = Number(useParams().id);
  const group = useAsync(() => wecomApi.group(id), [id]);
  const fetchHistory = useCallback(
    (cursor: string | null, limit: number) => wecomApi.groupHistory(id, cursor, limit),
    [id],
  );
  const history = useCursorPager<GroupHistoryEntry>(fetchHistory, String(id), 20);

  if (!Number.isInteger(id) || id <= 0) return <Result status="404" title="404" subTitle={t('status.notFound')} />;
  if (group.loading && !group.data) return <Skeleton active paragraph={{ rows: 8 }} />;
  if (group.error && !group.data) return <ErrorAlert error={group.error} onRetry={group.reload} />;
  const g = group.data;
  if (!g) return null;

  const scene = (value: number | null) => {
    const key = `groups.joinScene.${value}`;
    return value !== null && isMessageKey(key) ? t(key) : '—';
  };
  const who = (memberId: string, type: GroupMemberType, customerId: number | null, name?: string | null) =>
    customerId ? (
      <Link to={`/customers/${customerId}`}>{name || memberId}</Link>
    ) : (
      <span>
        {name || memberId} {type === 'staff' ? <Tag>{t('groups.member.staff')}</Tag> : null}
      </span>
    );

  const memberColumns: ColumnsType<GroupMember> = [
    { title: t('groups.member'), key: 'name', render: (_, m) => who(m.member_id, m.type, m.customer_id, m.name) },
    {
      title: t('groups.joinTime'),
      dataIndex: 'join_time',
      width: 160,
      render: (v: string | null) => format.dateTime(v),
    },
    { title: t('groups.joinScene'), dataIndex: 'join_scene', width: 130, render: (v: number | null) => scene(v) },
    { title: t('groups.invitor'), dataIndex: 'invitor', width: 110, render: (v: string | null) => v || '—' },
  ];
  const historyColumns: ColumnsType<GroupHistoryEntry> = [
    { title: t('alerts.at'), dataIndex: 'at', width: 160, render: (v: string) => format.dateTime(v) },
    {
      title: t('groups.member'),
      key: 'who',
      render: (_, h) => who(h.member_id, h.type, h.customer_id),
    },
    {
      title: t('groups.joinScene'),
      dataIndex: 'action',
      width: 190,
      render: (v: 'joined' | 'left', h) => (
        <Space size={4} style={{ whiteSpace: 'nowrap' }}>
          <Tag color={v === 'joined' ? 'green' : 'red'}>{t(`groups.action.${v}` as MessageKey)}</Tag>
          {v === 'joined' ? scene(h.join_scene) : null}
        </Space>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title={
          <Space>
            <Link to="/wecom/groups" aria-label={t('wecom.back')}>
              <ArrowLeftOutlined />
            </Link>
            <span>{g.name || t('groups.unnamed')}</span>
            <Tag color={g.status === 'active' ? 'green' : 'default'}>
              {t(`groups.status.${g.status}` as MessageKey)}
            </Tag>
          </Space>
        }
      />
      <Card style={{ marginBottom: 16 }}>
        <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 4 }}>
          <Descriptions.Item label={t('groups.owner')}>{g.owner_userid ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('groups.members')}>{format.number(g.member_count)}</Descriptions.Item>
          <Descriptions.Item label={t('groups.customers')}>{format.number(g.customer_count)}</Descriptions.Item>
          <Descriptions.Item label={t('groups.createdAt')}>{format.dateTime(g.created_at)}</Descriptions.Item>
        </Descriptions>
        {g.notice ? <div style={{ whiteSpace: 'pre-wrap', color: 'rgba(0,0,0,0.65)' }}>{g.notice}</div> : null}
      </Card>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <Card title={t('groups.memberList')}>
            <Table<GroupMember>
              size="small"
              rowKey="member_id"
              columns={memberColumns}
              dataSource={g.members}
              pagination={{ pageSize: 20, hideOnSinglePage: true }}
              locale={{ emptyText: t('groups.noMembers') }}
              scroll={{ x: 560 }}
              data-testid="group-members"
            />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={t('groups.history')}>
            <PagedTable<GroupHistoryEntry>
              pager={history}
              columns={historyColumns}
              rowKey="id"
              testId="group-history"
              empty={<EmptyState text={t('groups.noHistory')} />}
            />
          </Card>
        </Col>
      </Row>
    </>
  );
}
