import { useCallback, useEffect, useState } from 'react';
import {
  Alert,
  App,
  Button,
  Card,
  Drawer,
  Flex,
  Form,
  Image,
  Input,
  InputNumber,
  List,
  Select,
  Space,
  Tag,
  Typography,
} from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { wecomApi } from '../../../api/wecom';
import type { GroupLiveCode, GroupLiveCodeEntry } from '../../../api/wecomTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { EmptyState, PagedTable } from '../shared';
import { DrawerFooter } from '../../../components/DrawerFooter';

/** The entry new members are sent to: the first active group below the member limit. */
function currentEntry(code: GroupLiveCode): GroupLiveCodeEntry | undefined {
  return code.groups.find((g) => !g.full && g.group_status === 'active');
}

export function GroupLiveCodesTab() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const { modal, message } = App.useApp();
  const canManage = can('wecom.manage');
  const fetchPage = useCallback((cursor: string | null, limit: number) => wecomApi.groupLiveCodes(cursor, limit), []);
  const pager = useCursorPager<GroupLiveCode>(fetchPage, 'all', 20);
  const [editing, setEditing] = useState<{ code?: GroupLiveCode } | null>(null);

  const confirmDelete = (code: GroupLiveCode) =>
    modal.confirm({
      title: t('groupCodes.deleteTitle', { name: code.name }),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await wecomApi.removeGroupLiveCode(code.id);
          message.success(t('groupCodes.deleted'));
          pager.state.reload();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  return (
    <Card
      extra={
        canManage ? (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({})} data-testid="group-code-create">
            {t('groupCodes.create')}
          </Button>
        ) : null
      }
    >
      <PagedTable<GroupLiveCode>
        pager={pager}
        rowKey="id"
        testId="group-code-table"
        scrollX={900}
        columns={[
          {
            title: t('groupCodes.name'),
            dataIndex: 'name',
            width: 220,
            render: (name: string, code) => (
              <Flex vertical>
                <span>{name}</span>
                <Typography.Text copyable={{ text: code.url }} type="secondary" style={{ fontSize: 12 }}>
                  {code.url}
                </Typography.Text>
              </Flex>
            ),
          },
          {
            title: t('groupCodes.groups'),
            key: 'groups',
            render: (_, code) => {
              const current = currentEntry(code);
              return (
                <Flex vertical gap={4}>
                  {code.groups.map((g) => (
                    <Space key={g.group_id} size={4}>
                      <span>{g.group_name || g.chat_id}</span>
                      <Typography.Text type="secondary">
                        {g.member_count}/{code.member_limit}
                      </Typography.Text>
                      {g === current ? <Tag color="green">{t('groupCodes.current')}</Tag> : null}
                      {g.full ? <Tag>{t('groupCodes.full')}</Tag> : null}
                    </Space>
                  ))}
                  {!current || code.all_full ? (
                    <Typography.Text type="danger">{t('groupCodes.allFull')}</Typography.Text>
                  ) : null}
                </Flex>
              );
            },
          },
          {
            title: t('groupCodes.scans'),
            dataIndex: 'scans',
            width: 90,
            align: 'right',
            render: (v: number) => format.number(v),
          },
          ...(canManage
            ? [
                {
                  title: t('common.actions'),
                  key: 'actions',
                  width: 130,
                  render: (_: unknown, code: GroupLiveCode) => (
                    <Space size={0}>
                      <Button type="link" size="small" onClick={() => setEditing({ code })}>
                        {t('common.edit')}
                      </Button>
                      <Button type="link" size="small" danger onClick={() => confirmDelete(code)}>
                        {t('common.delete')}
                      </Button>
                    </Space>
                  ),
                },
              ]
            : []),
        ]}
        empty={
          <EmptyState
            text={t('groupCodes.empty')}
            action={
              canManage ? (
                <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({})}>
                  {t('groupCodes.create')}
                </Button>
              ) : null
            }
          />
        }
      />
      <GroupLiveCodeDrawer
        target={editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          pager.state.reload();
        }}
      />
    </Card>
  );
}

interface Values {
  name: string;
  member_limit: number;
  groups: { group_id?: number; qr_url?: string }[];
}

function GroupLiveCodeDrawer({
  target,
  onClose,
  onSaved,
}: {
  target: { code?: GroupLiveCode } | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const t = useT();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const groups = useAsync(() => wecomApi.groups({ status: 'active' }, null, 200).then((page) => page.data), [target]);
  const editing = target?.code;

  useEffect(() => {
    if (!target) return;
    form.resetFields();
    form.setFieldsValue(
      target.code
        ? {
            name: target.code.name,
            member_limit: target.code.member_limit,
            groups: target.code.groups.map((g) => ({ group_id: g.group_id, qr_url: g.qr_url })),
          }
        : { member_limit: 200, groups: [{}] },
    );
  }, [target, form]);

  const save = async (values: Values) => {
    setSaving(true);
    const input = {
      name: values.name.trim(),
      member_limit: values.member_limit,
      groups: values.groups.map((g) => ({ group_id: g.group_id ?? 0, qr_url: g.qr_url?.trim() ?? '' })),
    };
    try {
      if (editing) await wecomApi.updateGroupLiveCode(editing.id, input);
      else await wecomApi.createGroupLiveCode(input);
      message.success(t('groupCodes.saved'));
      onSaved();
    } catch (reason) {
      const error = toApiError(reason);
      if (!applyFieldError(form, error, ['name', 'member_limit', 'groups'], t)) message.error(describeError(error, t));
    } finally {
      setSaving(false);
    }
  };

  const required = [{ required: true, message: t('validation.required') }];
  return (
    <Drawer
      title={t(editing ? 'groupCodes.editTitle' : 'groupCodes.createTitle')}
      open={target !== null}
      onClose={onClose}
      width={isMobile ? '100%' : 600}
      destroyOnHidden
      footer={<DrawerFooter onCancel={onClose} onSave={() => form.submit()} saving={saving} />}
    >
      <Form<Values> form={form} layout="vertical" onFinish={save}>
        <Form.Item name="name" label={t('groupCodes.name')} rules={required}>
          <Input />
        </Form.Item>
        <Form.Item name="member_limit" label={t('groupCodes.memberLimit')} extra={t('groupCodes.memberLimitHint')}>
          <InputNumber min={1} max={500} precision={0} style={{ width: '100%' }} />
        </Form.Item>
        <Typography.Text>{t('groupCodes.groups')}</Typography.Text>
        <Alert type="info" showIcon message={t('groupCodes.groupsHint')} style={{ margin: '8px 0' }} />
        <Form.List name="groups">
          {(fields, { add, remove }) => (
            <List
              dataSource={fields}
              renderItem={(field, index) => (
                <Card size="small" style={{ marginBottom: 8 }} key={field.key}>
                  <Flex justify="space-between" align="center">
                    <Typography.Text strong>#{index + 1}</Typography.Text>
                    {fields.length > 1 ? (
                      <Button type="text" size="small" icon={<DeleteOutlined />} onClick={() => remove(field.name)} />
                    ) : null}
                  </Flex>
                  <Form.Item name={[field.name, 'group_id']} label={t('groupCodes.group')} rules={required}>
                    <Select
                      showSearch
                      optionFilterProp="label"
                      loading={groups.loading}
                      options={(groups.data ?? []).map((g) => ({
                        value: g.id,
                        label: `${g.name || g.chat_id} (${g.member_count})`,
                      }))}
                    />
                  </Form.Item>
                  <Form.Item
                    name={[field.name, 'qr_url']}
                    label={t('groupCodes.qrUrl')}
                    rules={[...required, { type: 'url', message: t('groupCodes.qrUrl') }]}
                  >
                    <Input placeholder="https://" />
                  </Form.Item>
                  <Form.Item noStyle shouldUpdate>
                    {() => {
                      const url = form.getFieldValue(['groups', field.name, 'qr_url']) as string | undefined;
                      return url && /^https?:\/\//.test(url) ? <Image src={url} width={96} /> : null;
                    }}
                  </Form.Item>
                </Card>
              )}
              footer={
                <Button type="dashed" block icon={<PlusOutlined />} onClick={() => add({})}>
                  {t('groupCodes.addGroup')}
                </Button>
              }
            />
          )}
        </Form.List>
      </Form>
    </Drawer>
  );
}
