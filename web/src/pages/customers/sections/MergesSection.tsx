import type { ReactNode } from 'react';
import { App, Button, Card, Flex, Popconfirm, Skeleton, Table, Tag, Typography } from 'antd';
import { UndoOutlined } from '@ant-design/icons';
import { customersApi } from '../../../api/customers';
import type { CustomerMerge } from '../../../api/types';
import { describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { isMessageKey, useT, type Translate } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { CustomerRef, forgetCustomerRefs } from '../CustomerRef';
import type { CustomerSectionProps } from './types';

const TOGETHER = /^identifiers seen together in one (\w+)$/;

/** The server's merge reason, in the console's language when it is one siyu writes. */
function reasonText(reason: string, t: Translate): string {
  const match = TOGETHER.exec(reason);
  if (!match) return reason || '—';
  const key = `event.type.${match[1]}`;
  return t('merges.reason.together', { type: isMessageKey(key) ? t(key) : match[1] });
}

function MessageId({ id }: { id: string }) {
  const t = useT();
  return (
    <Typography.Text
      copyable={{ text: id, tooltips: [t('common.copy'), t('common.copied')] }}
      ellipsis
      style={{ maxWidth: 150, fontSize: 12 }}
    >
      {id}
    </Typography.Text>
  );
}

/** Merges into (and of) this customer, with undo for active merges into it. */
export function MergesSection({ customer, onChange }: CustomerSectionProps) {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const mergedIds = customer.merged_ids ?? [];
  const { data, error, loading, reload } = useAsync(
    () => customersApi.merges(customer.id),
    [customer.id, mergedIds.join(',')],
  );
  const merges = data?.data ?? [];
  const canUndo = can('customers.write');

  const undo = async (merge: CustomerMerge) => {
    try {
      const survivor = await customersApi.unmerge(customer.id, merge.id);
      forgetCustomerRefs();
      message.success(t('merges.undone', { id: merge.merged_id }));
      onChange(survivor);
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
      reload();
    }
  };

  const status = (merge: CustomerMerge) =>
    merge.undone_at ? (
      <Tag style={{ marginInlineEnd: 0 }}>{t('merges.undoneAt', { at: format.dateTime(merge.undone_at) })}</Tag>
    ) : (
      <Tag color="green" style={{ marginInlineEnd: 0 }}>
        {t('merges.active')}
      </Tag>
    );

  const undoButton = (merge: CustomerMerge): ReactNode =>
    canUndo && !merge.undone_at && merge.survivor_id === customer.id ? (
      <Popconfirm
        title={t('merges.undoTitle')}
        description={<div style={{ maxWidth: 280 }}>{t('merges.undoHint', { id: merge.merged_id })}</div>}
        okText={t('merges.undo')}
        cancelText={t('common.cancel')}
        okButtonProps={{ danger: true }}
        onConfirm={() => undo(merge)}
      >
        <Button size="small" icon={<UndoOutlined />} data-testid="merge-undo">
          {t('merges.undo')}
        </Button>
      </Popconfirm>
    ) : null;

  let body: ReactNode;
  if (!data && loading) body = <Skeleton active paragraph={{ rows: 2 }} />;
  else if (!merges.length) {
    body = error ? null : (
      <Typography.Text type="secondary" data-testid="merges-empty">
        {t('merges.empty')}
      </Typography.Text>
    );
  } else if (isMobile) {
    body = (
      <Flex vertical gap={8} data-testid="merges-list">
        {merges.map((merge) => (
          <div key={merge.id} className={`siyu-merge-item${merge.undone_at ? ' siyu-merge-undone' : ''}`}>
            <Flex justify="space-between" align="center" gap={8} wrap>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {format.dateTime(merge.at)}
              </Typography.Text>
              {status(merge)}
            </Flex>
            <div style={{ marginTop: 6 }}>
              <Typography.Text type="secondary">{t('merges.fieldLabel', { label: t('merges.merged') })}</Typography.Text>
              <CustomerRef id={merge.merged_id} />
            </div>
            <div>
              <Typography.Text type="secondary">{t('merges.fieldLabel', { label: t('merges.survivor') })}</Typography.Text>
              <CustomerRef id={merge.survivor_id} />
            </div>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {reasonText(merge.reason, t)}
            </Typography.Text>
            {undoButton(merge) ? <div style={{ marginTop: 8 }}>{undoButton(merge)}</div> : null}
          </div>
        ))}
      </Flex>
    );
  } else {
    body = (
      <Table<CustomerMerge>
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={merges}
        pagination={false}
        scroll={{ x: 860 }}
        rowClassName={(merge) => (merge.undone_at ? 'siyu-row-muted' : '')}
        columns={[
          { title: t('merges.at'), dataIndex: 'at', width: 150, render: (at: string) => format.dateTime(at) },
          { title: t('merges.survivor'), dataIndex: 'survivor_id', render: (id: number) => <CustomerRef id={id} /> },
          { title: t('merges.merged'), dataIndex: 'merged_id', render: (id: number) => <CustomerRef id={id} /> },
          { title: t('merges.reason'), dataIndex: 'reason', render: (reason: string) => reasonText(reason, t) },
          {
            title: t('merges.messageId'),
            dataIndex: 'message_id',
            width: 170,
            render: (id: string) => <MessageId id={id} />,
          },
          { title: t('merges.status'), key: 'status', width: 150, render: (_, merge) => status(merge) },
          ...(canUndo
            ? [
                {
                  title: t('common.actions'),
                  key: 'actions',
                  width: 120,
                  render: (_: unknown, merge: CustomerMerge) => undoButton(merge),
                },
              ]
            : []),
        ]}
      />
    );
  }

  return (
    <Card title={t('customer.section.merges')} data-testid="customer-merges">
      {mergedIds.length ? (
        <Flex gap={8} wrap align="baseline" style={{ marginBottom: 12 }} data-testid="customer-merged-ids">
          <Typography.Text type="secondary">{t('merges.mergedIds')}</Typography.Text>
          {mergedIds.map((id) => (
            <CustomerRef key={id} id={id} />
          ))}
        </Flex>
      ) : null}
      {error ? <ErrorAlert error={error} onRetry={reload} /> : null}
      {body}
    </Card>
  );
}
