import { useCallback, useState } from 'react';
import { App, Button, Card, Flex, Form, Input, Modal, Select, Skeleton, Space, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { SyncOutlined } from '@ant-design/icons';
import { Link, Navigate } from 'react-router-dom';
import { usersApi } from '../../../api/users';
import { wecomApi } from '../../../api/wecom';
import type { Staff, StaffStatus } from '../../../api/wecomTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { StoreSelect } from '../../../components/StoreSelect';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT, type MessageKey } from '../../../i18n';
import { useCan, useSession } from '../../../session/SessionContext';
import { EmptyState, PagedTable, StaffStatusTag } from '../shared';

interface Filters {
  q?: string;
  store_id?: number;
  status?: StaffStatus;
}

/**
 * 员工: WeCom members synced into siyu, their store and console user, and customer counts. A
 * guide sees only their own customers, so the page takes them to their own staff member.
 */
export default function StaffPage() {
  const session = useSession();
  return session.role === 'guide' ? <MyStaff /> : <StaffList />;
}

function MyStaff() {
  const t = useT();
  const mine = useAsync(() => wecomApi.myStaff(), []);
  if (mine.data) return <Navigate to={`/wecom/staff/${mine.data.id}`} replace />;
  if (mine.loading) return <Skeleton active paragraph={{ rows: 6 }} />;
  return (
    <>
      <PageHeader title={t('nav.wecom.staff')} />
      <Card>
        {mine.error ? (
          <ErrorAlert error={mine.error} onRetry={mine.reload} />
        ) : (
          <EmptyState testId="staff-unlinked" text={t('staff.unlinked')} />
        )}
      </Card>
    </>
  );
}

function StaffList() {
  const t = useT();
  const can = useCan();
  const session = useSession();
  const format = useFormat();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const canManage = can('wecom.manage');
  const [filters, setFilters] = useState<Filters>({});
  const [syncing, setSyncing] = useState(false);
  const [editing, setEditing] = useState<Staff | null>(null);
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) => wecomApi.staff(filters, cursor, limit),
    [filters],
  );
  const pager = useCursorPager<Staff>(fetchPage, JSON.stringify(filters), 20);
  const users = useAsync(
    () => (can('users.read') ? usersApi.list(null, 200).then((page) => page.data) : Promise.resolve([])),
    [session.tenant.id],
  );
  const userName = (id: number | null) => {
    if (id === null) return null;
    const user = users.data?.find((u) => u.id === id);
    return user ? user.name || user.email : `#${id}`;
  };

  const sync = async () => {
    setSyncing(true);
    try {
      const report = await wecomApi.syncStaff();
      message.success(t('staff.synced', { ...report }));
      pager.state.reload();
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    } finally {
      setSyncing(false);
    }
  };

  const columns: ColumnsType<Staff> = [
    {
      title: t('staff.name'),
      dataIndex: 'name',
      width: 160,
      render: (name: string, staff) => (
        <Flex vertical>
          <Link to={`/wecom/staff/${staff.id}`} data-testid="staff-link">
            {name}
          </Link>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {staff.userid}
          </Typography.Text>
        </Flex>
      ),
    },
    { title: t('staff.mobile'), dataIndex: 'mobile', width: 130, render: (v: string | null) => v ?? '—' },
    {
      title: t('staff.store'),
      dataIndex: 'store_name',
      width: 150,
      render: (v: string | null) => v ?? <Typography.Text type="secondary">{t('staff.noStore')}</Typography.Text>,
    },
    {
      title: t('staff.user'),
      dataIndex: 'user_id',
      width: 150,
      render: (v: number | null) =>
        v === null ? <Typography.Text type="secondary">{t('staff.noUser')}</Typography.Text> : userName(v),
    },
    {
      title: t('staff.customers'),
      dataIndex: 'customer_count',
      width: 90,
      align: 'right',
      render: (v: number, staff) => <Link to={`/wecom/staff/${staff.id}`}>{format.number(v)}</Link>,
    },
    {
      title: t('staff.status'),
      dataIndex: 'status',
      width: 90,
      render: (v: StaffStatus) => <StaffStatusTag status={v} />,
    },
    {
      title: t('staff.source'),
      dataIndex: 'source',
      width: 100,
      render: (v: string) => <Tag>{t(`staff.source.${v}` as MessageKey)}</Tag>,
    },
  ];
  if (canManage) {
    columns.push({
      title: t('common.actions'),
      key: 'actions',
      width: 80,
      fixed: 'right',
      render: (_, staff) => (
        <Button type="link" size="small" onClick={() => setEditing(staff)} data-testid="staff-edit">
          {t('common.edit')}
        </Button>
      ),
    });
  }

  const filtered = Boolean(filters.q || filters.store_id || filters.status);
  return (
    <>
      <PageHeader
        title={t('nav.wecom.staff')}
        subtitle={t('staff.subtitle')}
        extra={
          canManage ? (
            <Button icon={<SyncOutlined spin={syncing} />} loading={syncing} onClick={sync} data-testid="staff-sync">
              {t('staff.sync')}
            </Button>
          ) : null
        }
      />
      <Card>
        <Flex gap={12} wrap style={{ marginBottom: 16 }}>
          <Input.Search
            allowClear
            placeholder={t('staff.search')}
            onSearch={(q) => setFilters((f) => ({ ...f, q: q.trim() || undefined }))}
            style={{ width: isMobile ? '100%' : 240 }}
          />
          <div style={{ width: isMobile ? '100%' : 200 }}>
            <StoreSelect
              kinds={['store']}
              value={filters.store_id ?? null}
              onChange={(v) => setFilters((f) => ({ ...f, store_id: (v as number | null) ?? undefined }))}
              scopeIds={session.store_ids}
            />
          </div>
          <Select
            allowClear
            placeholder={t('staff.status')}
            value={filters.status}
            onChange={(status: StaffStatus | undefined) => setFilters((f) => ({ ...f, status }))}
            style={{ width: 130 }}
            options={(['active', 'disabled', 'resigned'] as const).map((value) => ({
              value,
              label: t(`wecom.status.${value}` as MessageKey),
            }))}
          />
        </Flex>
        <PagedTable<Staff>
          pager={pager}
          columns={columns}
          rowKey="id"
          scrollX={950}
          testId="staff-table"
          mobileCard={(staff) => (
            <Card key={staff.id} size="small" style={{ marginBottom: 8 }}>
              <Flex justify="space-between" align="center">
                <Link to={`/wecom/staff/${staff.id}`}>{staff.name}</Link>
                <StaffStatusTag status={staff.status} />
              </Flex>
              <Typography.Text type="secondary">
                {staff.store_name ?? t('staff.noStore')} · {t('staff.customers')} {format.number(staff.customer_count)}
              </Typography.Text>
            </Card>
          )}
          empty={
            <EmptyState
              testId="staff-empty"
              text={t(filtered ? 'staff.emptyFiltered' : canManage ? 'staff.empty' : 'staff.emptyReadOnly')}
              action={
                canManage && !filtered ? (
                  <Button type="primary" icon={<SyncOutlined />} loading={syncing} onClick={sync}>
                    {t('staff.sync')}
                  </Button>
                ) : null
              }
            />
          }
        />
      </Card>
      <StaffEditModal
        staff={editing}
        users={users.data ?? []}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          pager.state.reload();
        }}
      />
    </>
  );
}

interface EditValues {
  name: string;
  store_id: number | null;
  user_id: number | null;
  status: 'active' | 'disabled';
}

function StaffEditModal({
  staff,
  users,
  onClose,
  onSaved,
}: {
  staff: Staff | null;
  users: { id: number; name: string; email: string }[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<EditValues>();
  const [saving, setSaving] = useState(false);
  const save = async (values: EditValues) => {
    if (!staff) return;
    setSaving(true);
    try {
      await wecomApi.updateStaff(staff.id, {
        name: values.name.trim(),
        store_id: values.store_id ?? null,
        user_id: values.user_id ?? null,
        ...(staff.status === 'resigned' ? {} : { status: values.status }),
      });
      message.success(t('staff.saved'));
      onSaved();
    } catch (reason) {
      const error = toApiError(reason);
      if (!applyFieldError(form, error, ['name', 'store_id', 'user_id', 'status'], t)) {
        message.error(describeError(error, t));
      }
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal
      open={staff !== null}
      title={staff ? t('staff.editTitle', { name: staff.name }) : ''}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={saving}
      destroyOnHidden
    >
      {staff ? (
        <Form<EditValues>
          form={form}
          layout="vertical"
          onFinish={save}
          preserve={false}
          initialValues={{
            name: staff.name,
            store_id: staff.store_id,
            user_id: staff.user_id,
            status: staff.status === 'disabled' ? 'disabled' : 'active',
          }}
          data-testid="staff-form"
        >
          <Form.Item
            name="name"
            label={t('staff.name')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <Input />
          </Form.Item>
          <Form.Item name="store_id" label={t('staff.store')}>
            <StoreSelect kinds={['store']} />
          </Form.Item>
          <Form.Item name="user_id" label={t('staff.user')}>
            <Select
              allowClear
              showSearch
              optionFilterProp="label"
              options={users.map((u) => ({ value: u.id, label: `${u.name} <${u.email}>` }))}
            />
          </Form.Item>
          {staff.status !== 'resigned' ? (
            <Form.Item name="status" label={t('staff.status')}>
              <Select
                options={(['active', 'disabled'] as const).map((value) => ({
                  value,
                  label: t(`wecom.status.${value}` as MessageKey),
                }))}
              />
            </Form.Item>
          ) : null}
          <Space />
        </Form>
      ) : null}
    </Modal>
  );
}
