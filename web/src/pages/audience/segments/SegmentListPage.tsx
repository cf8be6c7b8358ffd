import { useCallback, useState } from 'react';
import { App, Button, Card, Empty, Flex, Input, Skeleton, Space, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { PlusOutlined } from '@ant-design/icons';
import { Link, useNavigate } from 'react-router-dom';
import { segmentsApi } from '../../../api/segments';
import type { Segment } from '../../../api/types';
import { describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { PagerBar } from '../../../components/PagerBar';
import { useFormat } from '../../../format';
import { toApiError } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useT } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { invalidateSegmentPicker } from '../builder/pickers';

export default function SegmentListPage() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const navigate = useNavigate();
  const { modal, message } = App.useApp();
  const [query, setQuery] = useState('');
  const canManage = can('segments.manage');
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) => segmentsApi.list(query || undefined, cursor, limit),
    [query],
  );
  const pager = useCursorPager<Segment>(fetchPage, query, 20);
  const { state } = pager;

  const confirmDelete = (segment: Segment) =>
    modal.confirm({
      title: t('segments.deleteTitle', { name: segment.name }),
      content: t('segments.deleteHint'),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await segmentsApi.remove(segment.id);
          invalidateSegmentPicker();
          message.success(t('segments.deleted'));
          state.reload();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  const columns: ColumnsType<Segment> = [
    {
      title: t('segments.name'),
      dataIndex: 'name',
      render: (name: string, segment) => (
        <Flex vertical style={{ minWidth: 0 }}>
          <Link to={String(segment.id)} data-testid="segment-link">
            {name}
          </Link>
          {segment.description ? (
            <Typography.Text type="secondary" ellipsis style={{ fontSize: 12, maxWidth: 420 }}>
              {segment.description}
            </Typography.Text>
          ) : null}
        </Flex>
      ),
    },
    {
      title: t('segments.size'),
      dataIndex: 'size',
      width: 140,
      align: 'right',
      render: (size: number) => <Typography.Text strong>{format.number(size)}</Typography.Text>,
    },
    { title: t('segments.createdBy'), dataIndex: 'created_by', width: 160, render: (by: string) => by || '—' },
    { title: t('common.updatedAt'), dataIndex: 'updated_at', width: 170, render: (at: string) => format.dateTime(at) },
    {
      title: t('common.actions'),
      key: 'actions',
      width: canManage ? 140 : 90,
      render: (_, segment) => (
        <Space size={0}>
          <Button type="link" size="small" onClick={() => navigate(String(segment.id))}>
            {t(canManage ? 'common.edit' : 'segments.open')}
          </Button>
          {canManage ? (
            <Button type="link" size="small" danger onClick={() => confirmDelete(segment)}>
              {t('common.delete')}
            </Button>
          ) : null}
        </Space>
      ),
    },
  ];

  let body;
  if (state.loading && !state.data) body = <Skeleton active paragraph={{ rows: 6 }} />;
  else if (!state.error && pager.rows.length === 0 && pager.pageIndex === 0) {
    body = (
      <Empty
        description={t(query ? 'segments.emptyFiltered' : canManage ? 'segments.empty' : 'segments.emptyReadOnly')}
        style={{ padding: '32px 0' }}
        data-testid="segments-empty"
      >
        {canManage && !query ? (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('new')}>
            {t('segments.create')}
          </Button>
        ) : null}
      </Empty>
    );
  } else {
    body = (
      <Table<Segment>
        size="middle"
        rowKey="id"
        columns={columns}
        dataSource={pager.rows}
        loading={state.loading}
        pagination={false}
        scroll={{ x: 860 }}
        data-testid="segment-table"
      />
    );
  }

  return (
    <>
      <PageHeader
        title={t('nav.audience.segments')}
        subtitle={t('segments.subtitle')}
        extra={
          canManage ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('new')} data-testid="segment-create">
              {t('segments.create')}
            </Button>
          ) : null
        }
      />
      <Card>
        <Flex style={{ marginBottom: 16 }}>
          <Input.Search
            allowClear
            placeholder={t('segments.searchPlaceholder')}
            onSearch={(value) => setQuery(value.trim())}
            style={{ maxWidth: 360 }}
          />
        </Flex>
        {state.error ? <ErrorAlert error={state.error} onRetry={state.reload} /> : null}
        {body}
        {pager.hasPrev || pager.hasNext ? (
          <PagerBar
            pageIndex={pager.pageIndex}
            hasPrev={pager.hasPrev}
            hasNext={pager.hasNext}
            onPrev={pager.prev}
            onNext={pager.next}
            limit={pager.limit}
            onLimitChange={pager.setLimit}
          />
        ) : null}
      </Card>
    </>
  );
}
