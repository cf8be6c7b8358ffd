import { useCallback, useState } from 'react';
import { Alert, App, Button, Card, Drawer, Form, Input, Select, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { PlusOutlined } from '@ant-design/icons';
import { Link, useNavigate } from 'react-router-dom';
import { segmentsApi } from '../../../api/segments';
import { wecomApi } from '../../../api/wecom';
import type { MassSend } from '../../../api/wecomTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT, type MessageKey } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { applyAttachmentError, AttachmentsEditor, toMessageAttachment, type AttachmentValues } from '../attachments';
import { EmptyState, PagedTable } from '../shared';
import { DrawerFooter } from '../../../components/DrawerFooter';

export const MASS_SEND_COLORS: Record<MassSend['status'], string> = {
  scheduled: 'default',
  sending: 'processing',
  sent: 'green',
  failed: 'red',
};

export function clickThrough(send: MassSend): string {
  return send.click_through_rate === null ? '—' : `${(send.click_through_rate * 100).toFixed(1)}%`;
}

/** 群发: mass messages to segments with their delivery and click-through. */
export default function MassSendsPage() {
  const t = useT();
  const format = useFormat();
  const can = useCan();
  const fetchPage = useCallback((cursor: string | null, limit: number) => wecomApi.massSends(cursor, limit), []);
  const pager = useCursorPager<MassSend>(fetchPage, 'all', 20);
  const [creating, setCreating] = useState(false);
  const navigate = useNavigate();
  const canSend = can('wecom.mass_send');

  const columns: ColumnsType<MassSend> = [
    {
      title: t('massSends.name'),
      dataIndex: 'name',
      width: 200,
      render: (name: string, send) => <Link to={`/wecom/mass-sends/${send.id}`}>{name}</Link>,
    },
    {
      title: t('massSends.status'),
      dataIndex: 'status',
      width: 90,
      render: (v: MassSend['status']) => (
        <Tag color={MASS_SEND_COLORS[v]}>{t(`massSends.status.${v}` as MessageKey)}</Tag>
      ),
    },
    {
      title: t('massSends.targets'),
      dataIndex: 'target_count',
      width: 90,
      align: 'right',
      render: (v: number) => format.number(v),
    },
    {
      title: t('massSends.sent'),
      dataIndex: 'sent',
      width: 80,
      align: 'right',
      render: (v: number) => format.number(v),
    },
    {
      title: t('massSends.skippedLimit'),
      dataIndex: 'skipped_monthly_limit',
      width: 140,
      align: 'right',
      render: (v: number) => format.number(v),
    },
    {
      title: t('massSends.clicks'),
      dataIndex: 'clicks',
      width: 80,
      align: 'right',
      render: (v: number) => format.number(v),
    },
    { title: t('massSends.ctr'), key: 'ctr', width: 90, align: 'right', render: (_, send) => clickThrough(send) },
    { title: t('common.createdAt'), dataIndex: 'created_at', width: 160, render: (v: string) => format.dateTime(v) },
  ];

  return (
    <>
      <PageHeader
        title={t('nav.wecom.massSends')}
        subtitle={t('massSends.subtitle')}
        extra={
          canSend ? (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              onClick={() => setCreating(true)}
              data-testid="mass-send-create"
            >
              {t('massSends.create')}
            </Button>
          ) : null
        }
      />
      <Card>
        <PagedTable<MassSend>
          pager={pager}
          columns={columns}
          rowKey="id"
          scrollX={1000}
          testId="mass-send-table"
          empty={
            <EmptyState
              testId="mass-sends-empty"
              text={t(canSend ? 'massSends.empty' : 'massSends.emptyReadOnly')}
              action={
                canSend ? (
                  <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
                    {t('massSends.create')}
                  </Button>
                ) : null
              }
            />
          }
        />
      </Card>
      <MassSendDrawer
        open={creating}
        onClose={() => setCreating(false)}
        onSaved={(send) => {
          setCreating(false);
          navigate(`/wecom/mass-sends/${send.id}`, { state: { created: true } });
        }}
      />
    </>
  );
}

interface Values {
  name: string;
  segment_id: number;
  text?: string;
  attachments?: AttachmentValues[];
}

function MassSendDrawer({
  open,
  onClose,
  onSaved,
}: {
  open: boolean;
  onClose: () => void;
  onSaved: (send: MassSend) => void;
}) {
  const t = useT();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const [segmentQuery, setSegmentQuery] = useState('');
  const segments = useAsync(
    () =>
      open ? segmentsApi.list(segmentQuery || undefined, null, 50).then((page) => page.data) : Promise.resolve([]),
    [open, segmentQuery],
  );
  const save = async (values: Values) => {
    setSaving(true);
    try {
      const send = await wecomApi.createMassSend({
        name: values.name.trim(),
        segment_id: values.segment_id,
        text: values.text ?? '',
        attachments: (values.attachments ?? []).map(toMessageAttachment),
      });
      form.resetFields();
      onSaved(send);
    } catch (reason) {
      const error = toApiError(reason);
      if (!applyAttachmentError(form, error) && !applyFieldError(form, error, ['name', 'segment_id', 'text'], t)) {
        message.error(describeError(error, t));
      }
    } finally {
      setSaving(false);
    }
  };
  const required = [{ required: true, message: t('validation.required') }];
  return (
    <Drawer
      title={t('massSends.createTitle')}
      open={open}
      onClose={onClose}
      width={isMobile ? '100%' : 560}
      footer={
        <DrawerFooter onCancel={onClose} onSave={() => form.submit()} saving={saving} saveTestId="mass-send-save" />
      }
    >
      <Form<Values> form={form} layout="vertical" onFinish={save} data-testid="mass-send-form">
        <Form.Item name="name" label={t('massSends.name')} rules={required}>
          <Input placeholder={t('massSends.namePlaceholder')} />
        </Form.Item>
        <Form.Item name="segment_id" label={t('massSends.segment')} rules={required}>
          <Select
            showSearch
            filterOption={false}
            onSearch={setSegmentQuery}
            loading={segments.loading}
            options={(segments.data ?? []).map((segment) => ({
              value: segment.id,
              label: `${segment.name}（${segment.size}）`,
            }))}
          />
        </Form.Item>
        <Form.Item name="text" label={t('massSends.text')} extra={t('massSends.textHint')}>
          <Input.TextArea rows={6} showCount maxLength={4000} />
        </Form.Item>
        <AttachmentsEditor />
        <Alert type="info" showIcon message={t('massSends.subtitle')} />
      </Form>
    </Drawer>
  );
}
