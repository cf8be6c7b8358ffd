import { useCallback } from 'react';
import { Card, Empty, Skeleton, Table, Typography } from 'antd';
import { identityApi } from '../../api/identity';
import type { IdentityConflict } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeader } from '../../components/PageHeader';
import { PagerBar } from '../../components/PagerBar';
import { useFormat } from '../../format';
import { useCursorPager } from '../../hooks/useCursorPager';
import { useT } from '../../i18n';
import { CustomerRef } from './CustomerRef';
import { identifierTypeLabel } from './display';

/** Identifier conflicts that kept two customers apart, newest first. */
export function ConflictsPage() {
  const t = useT();
  const format = useFormat();
  const fetchPage = useCallback((cursor: string | null, limit: number) => identityApi.conflicts(cursor, limit), []);
  const pager = useCursorPager<IdentityConflict>(fetchPage, 'conflicts', 20);
  const { state } = pager;

  let body;
  if (state.loading && !state.data) body = <Skeleton active paragraph={{ rows: 6 }} />;
  else if (!state.loading && !state.error && pager.rows.length === 0 && pager.pageIndex === 0) {
    body = <Empty description={t('conflicts.empty')} data-testid="conflicts-empty" style={{ padding: '32px 0' }} />;
  } else {
    body = (
      <Table<IdentityConflict>
        size="middle"
        rowKey="id"
        loading={state.loading}
        dataSource={pager.rows}
        pagination={false}
        scroll={{ x: 820 }}
        data-testid="conflicts-table"
        columns={[
          { title: t('conflicts.at'), dataIndex: 'at', width: 170, render: (at: string) => format.dateTime(at) },
          {
            title: t('conflicts.customer'),
            dataIndex: 'customer_id',
            render: (id: number) => <CustomerRef id={id} />,
          },
          {
            title: t('conflicts.other'),
            dataIndex: 'other_customer_id',
            render: (id: number, conflict) =>
              id === conflict.customer_id ? (
                <Typography.Text type="secondary">{t('conflicts.sameCustomer')}</Typography.Text>
              ) : (
                <CustomerRef id={id} />
              ),
          },
          {
            title: t('conflicts.identifierType'),
            dataIndex: 'identifier_type',
            width: 160,
            render: (type: string) => identifierTypeLabel(type, t),
          },
          {
            title: t('conflicts.messageId'),
            dataIndex: 'message_id',
            width: 220,
            render: (id: string) => (
              <Typography.Text
                copyable={{ text: id, tooltips: [t('common.copy'), t('common.copied')] }}
                ellipsis
                style={{ maxWidth: 200, fontSize: 12 }}
              >
                {id}
              </Typography.Text>
            ),
          },
        ]}
      />
    );
  }

  return (
    <>
      <PageHeader title={t('nav.customers.conflicts')} subtitle={t('conflicts.subtitle')} />
      <Card>
        {state.error ? <ErrorAlert error={state.error} onRetry={state.reload} /> : null}
        {body}
        {pager.hasPrev || pager.hasNext ? (
          <PagerBar
            pageIndex={pager.pageIndex}
            hasPrev={pager.hasPrev}
            hasNext={pager.hasNext}
            onPrev={pager.prev}
            onNext={pager.next}
          />
        ) : null}
      </Card>
    </>
  );
}
