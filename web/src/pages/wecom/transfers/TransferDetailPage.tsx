import { useState } from 'react';
import { App, Button, Card, Descriptions, Result, Skeleton, Space, Table, Tag } from 'antd';
import { ArrowLeftOutlined, RedoOutlined, ReloadOutlined } from '@ant-design/icons';
import { Link, useParams } from 'react-router-dom';
import { wecomApi } from '../../../api/wecom';
import type { TransferCustomer, TransferStatus } from '../../../api/wecomTypes';
import { describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useT, type MessageKey } from '../../../i18n';
import { acceptedCount } from './TransfersPage';

const STATUS_COLORS: Record<TransferStatus, string> = {
  accepted: 'green',
  waiting: 'processing',
  submitting: 'processing',
  refused: 'red',
  limit: 'orange',
  failed: 'red',
};

/** One transfer: each customer's status (waiting / accepted / refused / limit) and a retry. */
export default function TransferDetailPage() {
  const t = useT();
  const format = useFormat();
  const { message } = App.useApp();
  const id = Number(useParams().id);
  const { data: transfer, error, loading, reload, setData } = useAsync(() => wecomApi.transfer(id), [id]);
  const [busy, setBusy] = useState<'retry' | 'refresh' | null>(null);

  if (!Number.isInteger(id) || id <= 0) return <Result status="404" title="404" subTitle={t('status.notFound')} />;
  if (loading && !transfer) return <Skeleton active paragraph={{ rows: 8 }} />;
  if (error && !transfer) return <ErrorAlert error={error} onRetry={reload} />;
  if (!transfer) return null;

  const act = async (action: 'retry' | 'refresh') => {
    setBusy(action);
    try {
      if (action === 'retry') {
        setData(await wecomApi.retryTransfer(id));
        message.success(t('transfers.retried'));
      } else {
        setData(await wecomApi.refreshTransfer(id));
      }
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    } finally {
      setBusy(null);
    }
  };
  const statusLabel = (status: TransferStatus) => t(`transfers.cstatus.${status}` as MessageKey);
  const canRetry = transfer.customers.some((c) => c.retryable);

  return (
    <>
      <PageHeader
        title={
          <Space>
            <Link to="/wecom/transfers" aria-label={t('wecom.back')}>
              <ArrowLeftOutlined />
            </Link>
            <span>{t(`transfers.kind.${transfer.kind}` as MessageKey)}</span>
            <Tag color={transfer.status === 'running' ? 'processing' : 'default'}>
              {t(`transfers.status.${transfer.status}` as MessageKey)}
            </Tag>
          </Space>
        }
        extra={
          <>
            <Button icon={<ReloadOutlined />} loading={busy === 'refresh'} onClick={() => act('refresh')}>
              {t('wecom.refresh')}
            </Button>
            {canRetry ? (
              <Button
                type="primary"
                icon={<RedoOutlined />}
                loading={busy === 'retry'}
                onClick={() => act('retry')}
                data-testid="transfer-retry"
              >
                {t('transfers.retry')}
              </Button>
            ) : null}
          </>
        }
      />
      <Card style={{ marginBottom: 16 }}>
        <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 4 }}>
          <Descriptions.Item label={t('transfers.from')}>{transfer.handover_userid}</Descriptions.Item>
          <Descriptions.Item label={t('transfers.to')}>{transfer.takeover_userid}</Descriptions.Item>
          <Descriptions.Item label={t('transfers.customers')}>
            {t('transfers.counts', { accepted: acceptedCount(transfer), total: transfer.customers.length })}
          </Descriptions.Item>
          <Descriptions.Item label={t('common.createdAt')}>{format.dateTime(transfer.created_at)}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title={t('transfers.customers')}>
        <Table<TransferCustomer>
          size="small"
          rowKey="external_userid"
          dataSource={transfer.customers}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          data-testid="transfer-customers"
          columns={[
            {
              title: t('alerts.customer'),
              key: 'customer',
              render: (_, c) =>
                c.customer_id ? <Link to={`/customers/${c.customer_id}`}>{c.external_userid}</Link> : c.external_userid,
            },
            {
              title: t('transfers.customerStatus'),
              dataIndex: 'status',
              width: 180,
              render: (v: TransferStatus) => <Tag color={STATUS_COLORS[v]}>{statusLabel(v)}</Tag>,
            },
            {
              title: t('transfers.errmsg'),
              key: 'err',
              render: (_, c) => (c.errcode ? `${c.errcode} ${c.errmsg}` : '—'),
            },
            {
              title: t('transfers.takeoverTime'),
              dataIndex: 'takeover_time',
              width: 160,
              render: (v: string | null) => format.dateTime(v),
            },
          ]}
        />
      </Card>
    </>
  );
}
