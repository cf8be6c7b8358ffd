import { useCallback, useState } from 'react';
import { App, Button, Card, Drawer, Form, Input, Radio, Select, Switch, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { SwapOutlined } from '@ant-design/icons';
import { Link, useNavigate } from 'react-router-dom';
import { wecomApi } from '../../../api/wecom';
import type { Transfer, TransferKind } from '../../../api/wecomTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT, type MessageKey } from '../../../i18n';
import { EmptyState, PagedTable, StaffSelect } from '../shared';
import { DrawerFooter } from '../../../components/DrawerFooter';

export function acceptedCount(transfer: Transfer): number {
  return transfer.counts.accepted;
}

/** 转接: on-the-job transfers and resigned-staff inheritance with each customer's status. */
export default function TransfersPage() {
  const t = useT();
  const format = useFormat();
  const navigate = useNavigate();
  const fetchPage = useCallback((cursor: string | null, limit: number) => wecomApi.transfers(cursor, limit), []);
  const pager = useCursorPager<Transfer>(fetchPage, 'all', 20);
  const [creating, setCreating] = useState(false);

  const columns: ColumnsType<Transfer> = [
    {
      title: t('transfers.kind'),
      dataIndex: 'kind',
      width: 110,
      render: (v: TransferKind, tr) => (
        <Link to={`/wecom/transfers/${tr.id}`}>{t(`transfers.kind.${v}` as MessageKey)}</Link>
      ),
    },
    { title: t('transfers.from'), dataIndex: 'handover_userid', width: 140 },
    { title: t('transfers.to'), dataIndex: 'takeover_userid', width: 140 },
    {
      title: t('transfers.customers'),
      key: 'customers',
      width: 140,
      render: (_, tr) => t('transfers.counts', { accepted: acceptedCount(tr), total: tr.customers.length }),
    },
    {
      title: t('transfers.status'),
      dataIndex: 'status',
      width: 100,
      render: (v: Transfer['status']) => (
        <Tag color={v === 'running' ? 'processing' : 'default'}>{t(`transfers.status.${v}` as MessageKey)}</Tag>
      ),
    },
    { title: t('common.createdAt'), dataIndex: 'created_at', width: 160, render: (v: string) => format.dateTime(v) },
  ];

  return (
    <>
      <PageHeader
        title={t('nav.wecom.transfers')}
        subtitle={t('transfers.subtitle')}
        extra={
          <Button
            type="primary"
            icon={<SwapOutlined />}
            onClick={() => setCreating(true)}
            data-testid="transfer-create"
          >
            {t('transfers.create')}
          </Button>
        }
      />
      <Card>
        <PagedTable<Transfer>
          pager={pager}
          columns={columns}
          rowKey="id"
          scrollX={800}
          testId="transfer-table"
          empty={
            <EmptyState
              text={t('transfers.empty')}
              action={
                <Button type="primary" icon={<SwapOutlined />} onClick={() => setCreating(true)}>
                  {t('transfers.create')}
                </Button>
              }
            />
          }
        />
      </Card>
      <TransferDrawer
        open={creating}
        onClose={() => setCreating(false)}
        onSaved={(transfer) => {
          setCreating(false);
          navigate(`/wecom/transfers/${transfer.id}`);
        }}
      />
    </>
  );
}

interface Values {
  kind: TransferKind;
  handover_userid: string;
  takeover_userid: string;
  scope: 'all' | 'chosen';
  external_userids?: string[];
  include_groups: boolean;
  transfer_msg?: string;
}

function TransferDrawer({
  open,
  onClose,
  onSaved,
}: {
  open: boolean;
  onClose: () => void;
  onSaved: (transfer: Transfer) => void;
}) {
  const t = useT();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const kind = Form.useWatch('kind', form) ?? 'on_job';
  const scope = Form.useWatch('scope', form) ?? 'all';
  const handover = Form.useWatch('handover_userid', form);
  // The handing-over staff member's customers, to choose from.
  const customers = useAsync(async () => {
    if (!handover || scope !== 'chosen') return [];
    const staff = await wecomApi.staff({ q: handover }, null, 20);
    const member = staff.data.find((s) => s.userid === handover);
    return member ? (await wecomApi.staffCustomers(member.id, null, 200)).data : [];
  }, [handover, scope]);

  const save = async (values: Values) => {
    setSaving(true);
    try {
      const transfer = await wecomApi.createTransfer({
        kind: values.kind,
        handover_userid: values.handover_userid,
        takeover_userid: values.takeover_userid,
        ...(values.scope === 'all' ? { all_customers: true } : { external_userids: values.external_userids ?? [] }),
        include_groups: values.include_groups,
        ...(values.kind === 'on_job' && values.transfer_msg?.trim()
          ? { transfer_msg: values.transfer_msg.trim() }
          : {}),
      });
      message.success(t('transfers.started'));
      form.resetFields();
      onSaved(transfer);
    } catch (reason) {
      const error = toApiError(reason);
      const fields = ['handover_userid', 'takeover_userid', 'external_userids', 'transfer_msg', 'kind'];
      if (!applyFieldError(form, error, fields, t)) message.error(describeError(error, t));
    } finally {
      setSaving(false);
    }
  };
  const required = [{ required: true, message: t('validation.required') }];
  return (
    <Drawer
      title={t('transfers.createTitle')}
      open={open}
      onClose={onClose}
      width={isMobile ? '100%' : 560}
      footer={
        <DrawerFooter onCancel={onClose} onSave={() => form.submit()} saving={saving} saveTestId="transfer-save" />
      }
    >
      <Form<Values>
        form={form}
        layout="vertical"
        onFinish={save}
        initialValues={{ kind: 'on_job', scope: 'all', include_groups: false }}
      >
        <Form.Item name="kind" label={t('transfers.kind')}>
          <Radio.Group
            optionType="button"
            options={(['on_job', 'resigned'] as const).map((value) => ({
              value,
              label: t(`transfers.kind.${value}` as MessageKey),
            }))}
          />
        </Form.Item>
        <Form.Item name="handover_userid" label={t('transfers.from')} rules={required}>
          <StaffSelect byUserid includeInactive={kind === 'resigned'} testId="transfer-from" />
        </Form.Item>
        <Form.Item
          name="takeover_userid"
          label={t('transfers.to')}
          dependencies={['handover_userid']}
          rules={[
            ...required,
            ({ getFieldValue }) => ({
              validator: (_, value) =>
                value && value === getFieldValue('handover_userid')
                  ? Promise.reject(new Error(t('transfers.sameStaff')))
                  : Promise.resolve(),
            }),
          ]}
        >
          <StaffSelect byUserid testId="transfer-to" />
        </Form.Item>
        <Form.Item name="scope" label={t('transfers.scope')}>
          <Radio.Group
            options={[
              { value: 'all', label: t('transfers.scope.all') },
              { value: 'chosen', label: t('transfers.scope.chosen') },
            ]}
          />
        </Form.Item>
        {scope === 'chosen' ? (
          <Form.Item
            name="external_userids"
            label={t('transfers.customers')}
            extra={t('transfers.customersHint')}
            rules={required}
          >
            <Select
              mode="multiple"
              loading={customers.loading}
              optionFilterProp="label"
              options={(customers.data ?? [])
                .filter((owner) => owner.status === 'active')
                .map((owner) => ({
                  value: owner.external_userid,
                  label: owner.customer_name || t('wecom.unnamedCustomer', { id: owner.customer_id }),
                }))}
            />
          </Form.Item>
        ) : null}
        <Form.Item name="include_groups" label={t('transfers.includeGroups')} valuePropName="checked">
          <Switch />
        </Form.Item>
        {kind === 'on_job' ? (
          <Form.Item name="transfer_msg" label={t('transfers.message')} extra={t('transfers.messageHint')}>
            <Input.TextArea rows={2} maxLength={200} showCount />
          </Form.Item>
        ) : null}
      </Form>
    </Drawer>
  );
}
