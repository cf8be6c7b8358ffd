import { useEffect, useState } from 'react';
import {
  App,
  Button,
  Card,
  Col,
  Empty,
  Flex,
  Form,
  Input,
  InputNumber,
  Row,
  Skeleton,
  Space,
  Statistic,
  Table,
  Tag,
  Typography,
} from 'antd';
import { ReloadOutlined, ThunderboltOutlined } from '@ant-design/icons';
import { wecomApi } from '../../../api/wecom';
import type { InboxRow, WecomConfig, WecomConfigInput } from '../../../api/wecomTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useT, type MessageKey } from '../../../i18n';
import { randomAesKey } from '../../wecom/shared';

interface Values {
  corp_id: string;
  contact_secret?: string;
  agent_secret?: string;
  agent_id?: number | null;
  token?: string;
  encoding_aes_key?: string;
  api_base_url?: string;
}

const SECRETS = ['contact_secret', 'agent_secret', 'token', 'encoding_aes_key'] as const;
const SET_FLAGS: Record<(typeof SECRETS)[number], keyof WecomConfig> = {
  contact_secret: 'contact_secret_set',
  agent_secret: 'agent_secret_set',
  token: 'token_set',
  encoding_aes_key: 'encoding_aes_key_set',
};
const FIELDS = ['corp_id', 'agent_id', 'api_base_url', ...SECRETS];

/** Only what changed; secrets only when typed (empty keeps the stored one). */
function toInput(values: Values, current: WecomConfig | undefined): WecomConfigInput {
  const input: WecomConfigInput = {};
  if (values.corp_id.trim() !== (current?.corp_id ?? '')) input.corp_id = values.corp_id.trim();
  if ((values.agent_id ?? null) !== (current?.agent_id ?? null)) input.agent_id = values.agent_id ?? null;
  const base = values.api_base_url?.trim() ?? '';
  if (base !== (current?.api_base_url ?? '')) input.api_base_url = base || null;
  for (const name of SECRETS) {
    const value = values[name]?.trim();
    if (value) input[name] = value;
  }
  return input;
}

/** 企业微信配置: the WeCom connection, the callback URL to paste into WeCom, and the callback inbox. */
export default function WecomConfigPage() {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const config = useAsync(() => wecomApi.config(), []);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (!config.data) return;
    form.setFieldsValue({
      corp_id: config.data.corp_id,
      agent_id: config.data.agent_id,
      api_base_url: config.data.api_base_url,
      contact_secret: '',
      agent_secret: '',
      token: '',
      encoding_aes_key: '',
    });
  }, [config.data, form]);

  const save = async (values: Values) => {
    const input = toInput(values, config.data);
    if (Object.keys(input).length === 0) {
      message.info(t('common.noChanges'));
      return;
    }
    setSaving(true);
    try {
      config.setData(await wecomApi.updateConfig(input));
      message.success(t('wecomConfig.saved'));
    } catch (reason) {
      const error = toApiError(reason);
      if (!applyFieldError(form, error, FIELDS, t)) message.error(describeError(error, t));
    } finally {
      setSaving(false);
    }
  };

  const secretField = (name: (typeof SECRETS)[number], labelKey: MessageKey, extra?: React.ReactNode) => {
    const isSet = Boolean(config.data?.[SET_FLAGS[name]]);
    return (
      <Form.Item
        name={name}
        label={
          <Space>
            {t(labelKey)}
            <Tag color={isSet ? 'green' : 'default'} data-testid={`${name}-state`}>
              {t(isSet ? 'wecomConfig.isSet' : 'wecomConfig.notSet')}
            </Tag>
          </Space>
        }
        extra={extra}
      >
        <Input.Password
          autoComplete="new-password"
          placeholder={isSet ? t('wecomConfig.keepSecret') : undefined}
          visibilityToggle={name === 'encoding_aes_key'}
        />
      </Form.Item>
    );
  };

  return (
    <>
      <PageHeader title={t('nav.settings.wecom')} subtitle={t('wecomConfig.subtitle')} />
      {config.error && config.error.status !== 404 ? <ErrorAlert error={config.error} onRetry={config.reload} /> : null}
      {config.loading && !config.data ? (
        <Skeleton active paragraph={{ rows: 8 }} />
      ) : (
        <Card title={t('wecomConfig.connection')} style={{ marginBottom: 16 }}>
          {config.data?.callback_url ? (
            <div style={{ marginBottom: 16 }}>
              <Typography.Text strong>{t('wecomConfig.callbackUrl')}</Typography.Text>
              <Typography.Paragraph
                copyable={{ text: config.data.callback_url }}
                code
                style={{ marginBottom: 4 }}
                data-testid="wecom-callback-url"
              >
                {config.data.callback_url}
              </Typography.Paragraph>
              <Typography.Text type="secondary">{t('wecomConfig.callbackUrlHint')}</Typography.Text>
            </div>
          ) : null}
          <Form<Values>
            form={form}
            layout="vertical"
            onFinish={save}
            style={{ maxWidth: 720 }}
            data-testid="wecom-config-form"
          >
            <Row gutter={16}>
              <Col xs={24} sm={12}>
                <Form.Item
                  name="corp_id"
                  label={t('wecomConfig.corpId')}
                  rules={[{ required: true, message: t('validation.required') }]}
                >
                  <Input placeholder="ww…" />
                </Form.Item>
              </Col>
              <Col xs={24} sm={12}>
                <Form.Item name="agent_id" label={t('wecomConfig.agentId')}>
                  <InputNumber min={1} precision={0} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
              <Col xs={24} sm={12}>
                {secretField('contact_secret', 'wecomConfig.contactSecret')}
              </Col>
              <Col xs={24} sm={12}>
                {secretField('agent_secret', 'wecomConfig.agentSecret')}
              </Col>
              <Col xs={24} sm={12}>
                {secretField('token', 'wecomConfig.token')}
              </Col>
              <Col xs={24} sm={12}>
                {secretField(
                  'encoding_aes_key',
                  'wecomConfig.aesKey',
                  <Flex justify="space-between" gap={8}>
                    <span>{t('wecomConfig.aesKeyHint')}</span>
                    <Button
                      size="small"
                      icon={<ThunderboltOutlined />}
                      onClick={() => form.setFieldValue('encoding_aes_key', randomAesKey())}
                      data-testid="aes-key-generate"
                    >
                      {t('wecomConfig.generate')}
                    </Button>
                  </Flex>,
                )}
              </Col>
              <Col xs={24}>
                <Form.Item name="api_base_url" label={t('wecomConfig.apiBase')} extra={t('wecomConfig.apiBaseHint')}>
                  <Input placeholder="https://qyapi.weixin.qq.com" />
                </Form.Item>
              </Col>
            </Row>
            <Button type="primary" htmlType="submit" loading={saving} data-testid="wecom-config-save">
              {t('common.save')}
            </Button>
          </Form>
        </Card>
      )}
      <InboxCard />
    </>
  );
}

function InboxCard() {
  const t = useT();
  const format = useFormat();
  const { message } = App.useApp();
  const inbox = useAsync(() => wecomApi.inbox(20), []);
  const retry = async (row: InboxRow) => {
    try {
      await wecomApi.retryInbox(row.id);
      message.success(t('wecomConfig.retried'));
      inbox.reload();
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    }
  };
  const event = (row: InboxRow) => (row.change_type ? `${row.event} / ${row.change_type}` : row.event);
  const data = inbox.data;
  return (
    <Card
      title={t('wecomConfig.inbox')}
      extra={
        <Button size="small" icon={<ReloadOutlined />} onClick={inbox.reload}>
          {t('wecom.refresh')}
        </Button>
      }
    >
      <Typography.Paragraph type="secondary">{t('wecomConfig.inboxHint')}</Typography.Paragraph>
      {inbox.error ? <ErrorAlert error={inbox.error} onRetry={inbox.reload} /> : null}
      {inbox.loading && !data ? <Skeleton active /> : null}
      {data ? (
        <>
          <Row gutter={16} style={{ marginBottom: 16 }} data-testid="inbox-counts">
            <Col span={6}>
              <Statistic title={t('wecomConfig.pending')} value={data.pending} />
            </Col>
            <Col span={6}>
              <Statistic title={t('wecomConfig.done')} value={data.done} />
            </Col>
            <Col span={6}>
              <Statistic
                title={t('wecomConfig.failed')}
                value={data.failed}
                valueStyle={data.failed ? { color: '#cf1322' } : undefined}
              />
            </Col>
            <Col span={6}>
              <Statistic title={t('wecomConfig.duplicates')} value={data.duplicates} />
            </Col>
          </Row>
          {data.failed_rows.length ? (
            <>
              <Typography.Title level={5}>{t('wecomConfig.failedRows')}</Typography.Title>
              <Table<InboxRow>
                size="small"
                rowKey="id"
                dataSource={data.failed_rows}
                pagination={false}
                scroll={{ x: 800 }}
                style={{ marginBottom: 16 }}
                columns={[
                  { title: t('wecomConfig.event'), key: 'event', width: 240, render: (_, row) => event(row) },
                  {
                    title: t('wecomConfig.error'),
                    dataIndex: 'error',
                    render: (v: string | null) => <Typography.Text type="danger">{v}</Typography.Text>,
                  },
                  { title: t('wecomConfig.attempts'), dataIndex: 'attempts', width: 80, align: 'right' },
                  {
                    title: t('wecomConfig.receivedAt'),
                    dataIndex: 'received_at',
                    width: 160,
                    render: (v: string) => format.dateTime(v),
                  },
                  {
                    title: t('common.actions'),
                    key: 'actions',
                    width: 80,
                    render: (_, row) => (
                      <Button type="link" size="small" onClick={() => retry(row)}>
                        {t('common.retry')}
                      </Button>
                    ),
                  },
                ]}
              />
            </>
          ) : null}
          <Typography.Title level={5}>{t('wecomConfig.recent')}</Typography.Title>
          {data.recent.length ? (
            <Table<InboxRow>
              size="small"
              rowKey="id"
              dataSource={data.recent}
              pagination={false}
              scroll={{ x: 700 }}
              data-testid="inbox-recent"
              columns={[
                { title: t('wecomConfig.event'), key: 'event', render: (_, row) => event(row) },
                {
                  title: t('liveCodes.status'),
                  dataIndex: 'status',
                  width: 100,
                  render: (v: InboxRow['status']) => (
                    <Tag color={v === 'done' ? 'green' : v === 'failed' ? 'red' : 'processing'}>
                      {t(`wecomConfig.${v}` as MessageKey)}
                    </Tag>
                  ),
                },
                {
                  title: t('wecomConfig.receivedAt'),
                  dataIndex: 'received_at',
                  width: 160,
                  render: (v: string) => format.dateTime(v),
                },
              ]}
            />
          ) : (
            <Empty description={t('wecomConfig.noRecent')} />
          )}
        </>
      ) : null}
    </Card>
  );
}
