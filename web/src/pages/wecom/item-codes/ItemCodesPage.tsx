import { useCallback, useState } from 'react';
import {
  App,
  Button,
  Card,
  Drawer,
  Flex,
  Form,
  Image,
  Input,
  InputNumber,
  Modal,
  Progress,
  Radio,
  Select,
  Space,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { DownloadOutlined, PlusOutlined, QrcodeOutlined } from '@ant-design/icons';
import { itemCodeQrUrl, wecomApi } from '../../../api/wecom';
import type { ItemCode, ItemCodeBatch } from '../../../api/wecomTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { EmptyState, PagedTable } from '../shared';
import { DrawerFooter } from '../../../components/DrawerFooter';

/** How often a download asks again for an export being prepared (about ten minutes). */
const MAX_EXPORT_POLLS = 120;

function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  URL.revokeObjectURL(url);
}

/** 一物一码: batches of unique per-item codes, their use, downloads for the printer and QR previews. */
export default function ItemCodesPage() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const { message } = App.useApp();
  const canManage = can('wecom.manage');
  const fetchPage = useCallback((cursor: string | null, limit: number) => wecomApi.itemCodeBatches(cursor, limit), []);
  const pager = useCursorPager<ItemCodeBatch>(fetchPage, 'all', 20);
  const [creating, setCreating] = useState(false);
  const [viewing, setViewing] = useState<ItemCodeBatch | null>(null);

  // A large batch's ZIP is prepared in the background: the API answers 202 until it is ready.
  const download = async (batch: ItemCodeBatch, kind: 'csv' | 'zip') => {
    const key = `download-${batch.id}-${kind}`;
    try {
      for (let attempt = 0; attempt < MAX_EXPORT_POLLS; attempt += 1) {
        const file = await wecomApi.downloadItemCodes(batch.id, kind);
        if (file.status !== 202) {
          message.destroy(key);
          saveBlob(file.blob, file.filename ?? `item-codes-${batch.id}.${kind}`);
          return;
        }
        message.loading({ key, content: t('itemCodes.preparing', { count: format.number(batch.count) }), duration: 0 });
        await new Promise((resolve) => window.setTimeout(resolve, (file.retryAfter ?? 5) * 1000));
      }
      message.warning({ key, content: t('itemCodes.stillPreparing') });
    } catch (reason) {
      message.destroy(key);
      message.error(describeError(toApiError(reason), t));
    }
  };

  const columns: ColumnsType<ItemCodeBatch> = [
    { title: t('itemCodes.name'), dataIndex: 'name', width: 200 },
    {
      title: t('itemCodes.target'),
      key: 'target',
      width: 220,
      render: (_, b) => (
        <Typography.Text ellipsis style={{ maxWidth: 200 }} title={b.target_url}>
          {t(`itemCodes.target.${b.target_type}`)}：{b.target_url}
        </Typography.Text>
      ),
    },
    {
      title: t('itemCodes.count'),
      dataIndex: 'count',
      width: 90,
      align: 'right',
      render: (v: number) => format.number(v),
    },
    {
      title: t('itemCodes.used'),
      key: 'used',
      width: 150,
      render: (_, b) => (
        <Progress
          size="small"
          percent={b.count ? Math.round((b.used_codes / b.count) * 1000) / 10 : 0}
          format={() => format.number(b.used_codes)}
        />
      ),
    },
    {
      title: t('itemCodes.scans'),
      dataIndex: 'scans',
      width: 90,
      align: 'right',
      render: (v: number) => format.number(v),
    },
    { title: t('itemCodes.createdAt'), dataIndex: 'created_at', width: 160, render: (v: string) => format.dateTime(v) },
    {
      title: t('common.actions'),
      key: 'actions',
      width: 300,
      fixed: 'right',
      render: (_, b) => (
        <Space size={0}>
          <Button type="link" size="small" icon={<QrcodeOutlined />} onClick={() => setViewing(b)}>
            {t('itemCodes.codes')}
          </Button>
          <Button type="link" size="small" icon={<DownloadOutlined />} onClick={() => download(b, 'csv')}>
            {t('itemCodes.csv')}
          </Button>
          <Button type="link" size="small" onClick={() => download(b, 'zip')}>
            {t('itemCodes.zip')}
          </Button>
        </Space>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title={t('nav.wecom.itemCodes')}
        subtitle={t('itemCodes.subtitle')}
        extra={
          canManage ? (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              onClick={() => setCreating(true)}
              data-testid="item-batch-create"
            >
              {t('itemCodes.create')}
            </Button>
          ) : null
        }
      />
      <Card>
        <PagedTable<ItemCodeBatch>
          pager={pager}
          columns={columns}
          rowKey="id"
          scrollX={1150}
          testId="item-batch-table"
          empty={
            <EmptyState
              testId="item-batches-empty"
              text={t(canManage ? 'itemCodes.empty' : 'itemCodes.emptyReadOnly')}
              action={
                canManage ? (
                  <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
                    {t('itemCodes.create')}
                  </Button>
                ) : null
              }
            />
          }
        />
      </Card>
      <BatchDrawer
        open={creating}
        onClose={() => setCreating(false)}
        onSaved={(batch) => {
          setCreating(false);
          message.success(t('itemCodes.saved', { count: format.number(batch.count) }));
          pager.state.reload();
        }}
      />
      <CodesModal batch={viewing} onClose={() => setViewing(null)} />
    </>
  );
}

interface BatchValues {
  name: string;
  count: number;
  target: 'live_code' | 'url';
  live_code_id?: number;
  target_url?: string;
}

function BatchDrawer({
  open,
  onClose,
  onSaved,
}: {
  open: boolean;
  onClose: () => void;
  onSaved: (batch: ItemCodeBatch) => void;
}) {
  const t = useT();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const [form] = Form.useForm<BatchValues>();
  const [saving, setSaving] = useState(false);
  const target = Form.useWatch('target', form) ?? 'live_code';
  const liveCodes = useAsync(
    () => (open ? wecomApi.liveCodes({ status: 'active' }, null, 100).then((page) => page.data) : Promise.resolve([])),
    [open],
  );
  const save = async (values: BatchValues) => {
    setSaving(true);
    try {
      const batch = await wecomApi.createItemCodeBatch({
        name: values.name.trim(),
        count: values.count,
        ...(values.target === 'live_code'
          ? { live_code_id: values.live_code_id }
          : { target_url: values.target_url?.trim() }),
      });
      form.resetFields();
      onSaved(batch);
    } catch (reason) {
      const error = toApiError(reason);
      if (!applyFieldError(form, error, ['name', 'count', 'live_code_id', 'target_url'], t)) {
        message.error(describeError(error, t));
      }
    } finally {
      setSaving(false);
    }
  };
  const required = [{ required: true, message: t('validation.required') }];
  return (
    <Drawer
      title={t('itemCodes.createTitle')}
      open={open}
      onClose={onClose}
      width={isMobile ? '100%' : 520}
      footer={
        <DrawerFooter onCancel={onClose} onSave={() => form.submit()} saving={saving} saveTestId="item-batch-save" />
      }
    >
      <Form<BatchValues>
        form={form}
        layout="vertical"
        onFinish={save}
        initialValues={{ count: 1000, target: 'live_code' }}
        data-testid="item-batch-form"
      >
        <Form.Item name="name" label={t('itemCodes.name')} rules={required}>
          <Input placeholder={t('itemCodes.namePlaceholder')} />
        </Form.Item>
        <Form.Item name="count" label={t('itemCodes.count')} extra={t('itemCodes.countHint')} rules={required}>
          <InputNumber min={1} max={100000} precision={0} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="target" label={t('itemCodes.target')}>
          <Radio.Group
            optionType="button"
            options={[
              { value: 'live_code', label: t('itemCodes.target.live_code') },
              { value: 'url', label: t('itemCodes.target.url') },
            ]}
          />
        </Form.Item>
        {target === 'live_code' ? (
          <Form.Item name="live_code_id" label={t('itemCodes.liveCode')} rules={required}>
            <Select
              showSearch
              optionFilterProp="label"
              loading={liveCodes.loading}
              options={(liveCodes.data ?? []).map((code) => ({ value: code.id, label: code.name }))}
            />
          </Form.Item>
        ) : (
          <Form.Item
            name="target_url"
            label={t('itemCodes.url')}
            rules={[...required, { type: 'url', message: t('itemCodes.url') }]}
          >
            <Input placeholder="https://" />
          </Form.Item>
        )}
      </Form>
    </Drawer>
  );
}

/** The codes of a batch, scan counts, and a QR preview (PNG, with the SVG a click away). */
function CodesModal({ batch, onClose }: { batch: ItemCodeBatch | null; onClose: () => void }) {
  const t = useT();
  const format = useFormat();
  const id = batch?.id ?? 0;
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) =>
      id ? wecomApi.itemCodes(id, cursor, limit) : Promise.resolve({ data: [], next_cursor: null }),
    [id],
  );
  const pager = useCursorPager<ItemCode>(fetchPage, String(id), 10);
  const [preview, setPreview] = useState<ItemCode | null>(null);
  return (
    <Modal open={batch !== null} title={batch?.name} onCancel={onClose} footer={null} width={720} destroyOnHidden>
      <Flex gap={16} wrap>
        <div style={{ flex: '1 1 380px', minWidth: 0 }}>
          <PagedTable<ItemCode>
            pager={pager}
            rowKey="code"
            testId="item-code-table"
            empty={<EmptyState text={t('itemCodes.empty')} />}
            columns={[
              {
                title: t('itemCodes.code'),
                dataIndex: 'code',
                render: (code: string, row) => (
                  <Button type="link" size="small" onClick={() => setPreview(row)} style={{ padding: 0 }}>
                    <Typography.Text code>{code}</Typography.Text>
                  </Button>
                ),
              },
              { title: t('itemCodes.scans'), dataIndex: 'scans', width: 80, align: 'right' },
              {
                title: t('itemCodes.firstScan'),
                dataIndex: 'first_scanned_at',
                width: 160,
                render: (v: string | null) => (v ? format.dateTime(v) : t('itemCodes.notScanned')),
              },
            ]}
          />
        </div>
        {preview && batch ? (
          <Flex vertical align="center" gap={8} style={{ width: 200 }}>
            <Typography.Text strong>{t('itemCodes.preview')}</Typography.Text>
            <Image src={itemCodeQrUrl(batch.id, preview.code, 'png')} width={180} data-testid="item-code-qr" />
            <Typography.Text code>{preview.code}</Typography.Text>
            <Space>
              <a href={itemCodeQrUrl(batch.id, preview.code, 'png')} target="_blank" rel="noreferrer">
                PNG
              </a>
              <a href={itemCodeQrUrl(batch.id, preview.code, 'svg')} target="_blank" rel="noreferrer">
                SVG
              </a>
            </Space>
          </Flex>
        ) : null}
      </Flex>
    </Modal>
  );
}
