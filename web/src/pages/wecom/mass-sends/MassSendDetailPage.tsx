import { useState } from 'react';
import { Alert, App, Button, Card, Col, Result, Row, Skeleton, Space, Statistic, Table, Tag, Typography } from 'antd';
import { ArrowLeftOutlined, ReloadOutlined } from '@ant-design/icons';
import { Link, useLocation, useParams } from 'react-router-dom';
import { wecomApi } from '../../../api/wecom';
import type { MassSendChunk, ShortLink } from '../../../api/wecomTypes';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat } from '../../../format';
import { describeError } from '../../../components/errors';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useT, type MessageKey } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { clickThrough, MASS_SEND_COLORS } from './MassSendsPage';

/** One mass send: who was left out, per-staff chunks with their results, and link clicks. */
export default function MassSendDetailPage() {
  const t = useT();
  const format = useFormat();
  const id = Number(useParams().id);
  const created = Boolean((useLocation().state as { created?: boolean } | null)?.created);
  const { data: send, error, loading, reload, setData } = useAsync(() => wecomApi.massSend(id), [id]);
  const can = useCan();
  const { message } = App.useApp();
  const [refreshing, setRefreshing] = useState(false);

  if (!Number.isInteger(id) || id <= 0) return <Result status="404" title="404" subTitle={t('status.notFound')} />;
  if (loading && !send) return <Skeleton active paragraph={{ rows: 8 }} />;
  if (error && !send) return <ErrorAlert error={error} onRetry={reload} />;
  if (!send) return null;

  const refresh = async () => {
    setRefreshing(true);
    try {
      setData(await wecomApi.refreshMassSend(id));
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    } finally {
      setRefreshing(false);
    }
  };
  const stats: { key: MessageKey; value: number | string }[] = [
    { key: 'massSends.targets', value: send.target_count },
    { key: 'massSends.sent', value: send.sent },
    { key: 'massSends.unsent', value: send.unsent },
    { key: 'massSends.failed', value: send.failed },
    { key: 'massSends.notFriend', value: send.not_friend },
    { key: 'massSends.alreadyReceived', value: send.already_received },
    { key: 'massSends.skippedLimit', value: send.skipped_monthly_limit },
    { key: 'massSends.skippedNoOwner', value: send.skipped_no_owner },
    { key: 'massSends.clicks', value: send.clicks },
    { key: 'massSends.ctr', value: clickThrough(send) },
  ];

  return (
    <>
      <PageHeader
        title={
          <Space>
            <Link to="/wecom/mass-sends" aria-label={t('wecom.back')}>
              <ArrowLeftOutlined />
            </Link>
            <span>{send.name}</span>
            <Tag color={MASS_SEND_COLORS[send.status]}>{t(`massSends.status.${send.status}` as MessageKey)}</Tag>
          </Space>
        }
        extra={
          can('wecom.mass_send') ? (
            <Button icon={<ReloadOutlined />} loading={refreshing} onClick={refresh} data-testid="mass-send-refresh">
              {t('massSends.refresh')}
            </Button>
          ) : null
        }
      />
      {created ? (
        <Alert
          type="success"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="mass-send-created"
          message={t('massSends.createdResult', {
            targets: format.number(send.target_count),
            skipped: format.number(send.skipped_monthly_limit),
            noOwner: format.number(send.skipped_no_owner),
          })}
        />
      ) : null}
      <Card style={{ marginBottom: 16 }}>
        <Row gutter={[16, 16]}>
          {stats.map((s) => (
            <Col xs={12} sm={8} lg={4} key={s.key}>
              <Statistic title={t(s.key)} value={typeof s.value === 'number' ? format.number(s.value) : s.value} />
            </Col>
          ))}
        </Row>
        <Typography.Paragraph style={{ marginTop: 16, whiteSpace: 'pre-wrap' }} type="secondary">
          {send.text}
        </Typography.Paragraph>
      </Card>
      <Card title={t('massSends.chunks')} style={{ marginBottom: 16 }}>
        <Table<MassSendChunk>
          size="small"
          rowKey="id"
          dataSource={send.chunks}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          scroll={{ x: 900 }}
          columns={[
            { title: t('alerts.staff'), dataIndex: 'userid' },
            {
              title: t('massSends.status'),
              dataIndex: 'status',
              render: (v: MassSendChunk['status'], chunk) => (
                <Tag
                  color={v === 'failed' ? 'red' : v === 'created' ? 'green' : 'default'}
                  title={chunk.error ?? undefined}
                >
                  {t(`massSends.chunkStatus.${v}` as MessageKey)}
                </Tag>
              ),
            },
            { title: t('massSends.targets'), dataIndex: 'target_count', align: 'right' },
            { title: t('massSends.sent'), dataIndex: 'sent', align: 'right' },
            { title: t('massSends.failed'), dataIndex: 'failed', align: 'right' },
            { title: t('massSends.notFriend'), dataIndex: 'not_friend', align: 'right' },
            { title: t('massSends.alreadyReceived'), dataIndex: 'already_received', align: 'right' },
            { title: t('massSends.msgid'), dataIndex: 'msgid', render: (v: string | null) => v || '—' },
          ]}
        />
      </Card>
      {send.links.length ? (
        <Card title={t('massSends.links')}>
          <Table<ShortLink>
            size="small"
            rowKey="code"
            dataSource={send.links}
            pagination={false}
            columns={[
              { title: t('liveCodes.attachment.url'), dataIndex: 'url', ellipsis: true },
              {
                title: 'URL',
                dataIndex: 'short_url',
                render: (v: string) => <Typography.Text copyable>{v}</Typography.Text>,
              },
              { title: t('massSends.clicks'), dataIndex: 'clicks', align: 'right' },
            ]}
          />
        </Card>
      ) : null}
    </>
  );
}
