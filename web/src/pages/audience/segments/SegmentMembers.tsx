import { useCallback } from 'react';
import { Card, Empty, Skeleton, Table, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { segmentsApi } from '../../../api/segments';
import type { CustomerSummary } from '../../../api/types';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PagerBar } from '../../../components/PagerBar';
import { useFormat } from '../../../format';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useStores } from '../../../hooks/useStores';
import { useT } from '../../../i18n';
import { displayName, genderLabel } from '../../customers/display';

interface Props {
  segmentId: number;
  /** Changes after each save, so the members of the saved rule are read again. */
  version: number;
}

/** The customers of the saved segment, a page at a time from the server. */
export function SegmentMembers({ segmentId, version }: Props) {
  const t = useT();
  const format = useFormat();
  const { byId } = useStores();
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) => segmentsApi.members(segmentId, cursor, limit),
    [segmentId],
  );
  const pager = useCursorPager<CustomerSummary>(fetchPage, `${segmentId}:${version}`, 20);
  const { state } = pager;
  const total = state.data && 'total' in state.data ? (state.data as { total: number }).total : undefined;

  let body;
  if (state.loading && !state.data) body = <Skeleton active paragraph={{ rows: 6 }} />;
  else if (!state.error && pager.rows.length === 0 && pager.pageIndex === 0) {
    body = <Empty description={t('segments.members.empty')} data-testid="segment-members-empty" />;
  } else {
    body = (
      <Table<CustomerSummary>
        size="middle"
        rowKey="id"
        loading={state.loading}
        dataSource={pager.rows}
        pagination={false}
        scroll={{ x: 760 }}
        data-testid="segment-members"
        columns={[
          {
            title: t('customer.customer'),
            key: 'name',
            render: (_, customer) => <Link to={`/customers/${customer.id}`}>{displayName(customer, t)}</Link>,
          },
          {
            title: t('customer.phone'),
            dataIndex: 'phone',
            width: 150,
            render: (phone: string | null) => phone || '—',
          },
          {
            title: t('customer.gender'),
            dataIndex: 'gender',
            width: 80,
            render: (gender: CustomerSummary['gender']) => genderLabel(gender, t),
          },
          {
            title: t('customer.store'),
            dataIndex: 'store_id',
            width: 160,
            render: (id: number | null) => (id ? (byId.get(id)?.name ?? `#${id}`) : '—'),
          },
          {
            title: t('customer.memberNo'),
            dataIndex: 'member_no',
            width: 130,
            render: (no: string | null) => no || '—',
          },
          {
            title: t('customer.createdAt'),
            dataIndex: 'created_at',
            width: 170,
            render: (at: string) => format.dateTime(at),
          },
        ]}
      />
    );
  }

  return (
    <Card
      title={t('segments.members.title')}
      extra={
        total !== undefined ? (
          <Typography.Text type="secondary" data-testid="segment-members-total">
            {t('segments.members.total', { count: format.number(total) })}
          </Typography.Text>
        ) : null
      }
    >
      <Typography.Paragraph type="secondary" style={{ marginTop: -4 }}>
        {t('segments.members.hint')}
      </Typography.Paragraph>
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
  );
}
