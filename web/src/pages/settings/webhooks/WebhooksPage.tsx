import { useCallback, useState } from 'react';
import { App, Button, Card, Flex, Form, Input, Modal, Select, Space, Switch, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { PlusOutlined } from '@ant-design/icons';
import { outboxApi, webhooksApi } from '../../../api/wecom';
import type { OutboxMessage, OutboxPage, Webhook } from '../../../api/wecomTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { PageHeader } from '../../../components/PageHeader';
import { SecretOnce } from '../../../components/SecretOnce';
import { useFormat } from '../../../format';
import { toApiError } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useT } from '../../../i18n';
import { EmptyState, PagedTable } from '../../wecom/shared';

const EVENT_SUGGESTIONS = [
  '*',
  'identify',
  'WeCom Contact Added',
  'WeCom Contact Lost',
  'WeCom Contact Edited',
  'Group Joined',
  'Group Left',
  'Live Code Scanned',
  'Message Clicked',
  'Mass Message Sent',
  'Order Completed',
];

/** Webhooks: subscriptions (signing secret shown once), test deliveries and the outbox's dead letters. */
export default function WebhooksPage() {
  const t = useT();
  const format = useFormat();
  const { modal, message } = App.useApp();
  const fetchPage = useCallback((cursor: string | null, limit: number) => webhooksApi.list(cursor, limit), []);
  const pager = useCursorPager<Webhook>(fetchPage, 'all', 20);
  const [editing, setEditing] = useState<{ hook?: Webhook } | null>(null);
  const [secret, setSecret] = useState<string | null>(null);

  const test = async (hook: Webhook) => {
    try {
      const queued = await webhooksApi.test(hook.id);
      message.success(t('webhooks.tested', { id: queued.id }));
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    }
  };
  const toggle = async (hook: Webhook, active: boolean) => {
    try {
      await webhooksApi.update(hook.id, { active });
      pager.state.reload();
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    }
  };
  const confirmDelete = (hook: Webhook) =>
    modal.confirm({
      title: t('webhooks.deleteTitle', { url: hook.url }),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await webhooksApi.remove(hook.id);
          message.success(t('webhooks.deleted'));
          pager.state.reload();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  const columns: ColumnsType<Webhook> = [
    {
      title: t('webhooks.url'),
      dataIndex: 'url',
      render: (url: string, hook) => (
        <Flex vertical>
          <Typography.Text style={{ wordBreak: 'break-all' }}>{url}</Typography.Text>
          {hook.description ? (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {hook.description}
            </Typography.Text>
          ) : null}
        </Flex>
      ),
    },
    {
      title: t('webhooks.events'),
      dataIndex: 'events',
      width: 260,
      render: (events: string[]) => (
        <Flex wrap gap={4}>
          {events.map((e) => (
            <Tag key={e} style={{ marginInlineEnd: 0 }}>
              {e}
            </Tag>
          ))}
        </Flex>
      ),
    },
    {
      title: t('webhooks.active'),
      dataIndex: 'active',
      width: 80,
      render: (active: boolean, hook) => <Switch size="small" checked={active} onChange={(v) => toggle(hook, v)} />,
    },
    { title: t('common.createdAt'), dataIndex: 'created_at', width: 160, render: (v: string) => format.dateTime(v) },
    {
      title: t('common.actions'),
      key: 'actions',
      width: 190,
      render: (_, hook) => (
        <Space size={0}>
          <Button type="link" size="small" onClick={() => test(hook)} data-testid="webhook-test">
            {t('webhooks.test')}
          </Button>
          <Button type="link" size="small" onClick={() => setEditing({ hook })}>
            {t('common.edit')}
          </Button>
          <Button type="link" size="small" danger onClick={() => confirmDelete(hook)}>
            {t('common.delete')}
          </Button>
        </Space>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title={t('nav.settings.webhooks')}
        subtitle={t('webhooks.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({})} data-testid="webhook-create">
            {t('webhooks.create')}
          </Button>
        }
      />
      <Card style={{ marginBottom: 16 }}>
        <PagedTable<Webhook>
          pager={pager}
          columns={columns}
          rowKey="id"
          scrollX={900}
          testId="webhook-table"
          empty={
            <EmptyState
              text={t('webhooks.empty')}
              action={
                <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({})}>
                  {t('webhooks.create')}
                </Button>
              }
            />
          }
        />
      </Card>
      <DeadLetters />
      <WebhookModal
        target={editing}
        onClose={() => setEditing(null)}
        onSaved={(hook) => {
          setEditing(null);
          if (hook.secret) setSecret(hook.secret);
          pager.state.reload();
        }}
      />
      <Modal
        open={secret !== null}
        title={t('webhooks.secretTitle')}
        onCancel={() => setSecret(null)}
        footer={
          <Button type="primary" onClick={() => setSecret(null)}>
            {t('common.done')}
          </Button>
        }
      >
        {secret ? <SecretOnce secret={secret} hint={t('webhooks.secretHint')} /> : null}
      </Modal>
    </>
  );
}

interface Values {
  url: string;
  events: string[];
  description?: string;
  active: boolean;
}

function WebhookModal({
  target,
  onClose,
  onSaved,
}: {
  target: { hook?: Webhook } | null;
  onClose: () => void;
  onSaved: (hook: Webhook) => void;
}) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const editing = target?.hook;
  const save = async (values: Values) => {
    setSaving(true);
    const input = {
      url: values.url.trim(),
      events: values.events,
      description: values.description?.trim() ?? '',
      active: values.active,
    };
    try {
      onSaved(editing ? await webhooksApi.update(editing.id, input) : await webhooksApi.create(input));
      message.success(t('webhooks.saved'));
    } catch (reason) {
      const error = toApiError(reason);
      if (!applyFieldError(form, error, ['url', 'events', 'description', 'active'], t)) {
        message.error(describeError(error, t));
      }
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal
      open={target !== null}
      title={t(editing ? 'webhooks.editTitle' : 'webhooks.createTitle')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={saving}
      destroyOnHidden
    >
      {target ? (
        <Form<Values>
          form={form}
          layout="vertical"
          onFinish={save}
          preserve={false}
          initialValues={
            editing
              ? { url: editing.url, events: editing.events, description: editing.description, active: editing.active }
              : { events: ['*'], active: true }
          }
          data-testid="webhook-form"
        >
          <Form.Item
            name="url"
            label={t('webhooks.url')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <Input placeholder="https://example.com/siyu/webhook" />
          </Form.Item>
          <Form.Item
            name="events"
            label={t('webhooks.events')}
            extra={t('webhooks.eventsHint')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <Select mode="tags" options={EVENT_SUGGESTIONS.map((value) => ({ value, label: value }))} />
          </Form.Item>
          <Form.Item name="description" label={t('webhooks.description')}>
            <Input />
          </Form.Item>
          <Form.Item name="active" label={t('webhooks.active')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Form>
      ) : null}
    </Modal>
  );
}

function DeadLetters() {
  const t = useT();
  const format = useFormat();
  const { message } = App.useApp();
  const fetchPage = useCallback((cursor: string | null, limit: number) => outboxApi.list('dead', cursor, limit), []);
  const pager = useCursorPager<OutboxMessage>(fetchPage, 'dead', 20);
  const counts = (pager.state.data as OutboxPage | undefined)?.counts;
  const retry = async (row: OutboxMessage) => {
    try {
      await outboxApi.retry(row.id);
      message.success(t('outbox.retried'));
      pager.state.reload();
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    }
  };
  return (
    <Card
      title={t('outbox.title')}
      extra={counts ? <Typography.Text type="secondary">{t('outbox.counts', { ...counts })}</Typography.Text> : null}
    >
      <Typography.Paragraph type="secondary">{t('outbox.hint')}</Typography.Paragraph>
      <PagedTable<OutboxMessage>
        pager={pager}
        rowKey="id"
        testId="dead-letter-table"
        scrollX={800}
        empty={<EmptyState text={t('outbox.empty')} />}
        columns={[
          { title: t('outbox.kind'), dataIndex: 'kind', width: 160, render: (v: string) => <Tag>{v}</Tag> },
          {
            title: t('outbox.error'),
            dataIndex: 'last_error',
            render: (v: string | null) => <Typography.Text type="danger">{v ?? '—'}</Typography.Text>,
          },
          {
            title: t('outbox.attempts'),
            key: 'attempts',
            width: 80,
            align: 'right',
            render: (_, row) => `${row.attempts}/${row.max_attempts}`,
          },
          {
            title: t('outbox.updatedAt'),
            dataIndex: 'updated_at',
            width: 160,
            render: (v: string) => format.dateTime(v),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 80,
            render: (_, row) => (
              <Button type="link" size="small" onClick={() => retry(row)}>
                {t('outbox.retry')}
              </Button>
            ),
          },
        ]}
      />
    </Card>
  );
}
