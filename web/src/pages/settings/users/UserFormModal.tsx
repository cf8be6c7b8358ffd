import { useEffect, useState } from 'react';
import { App, Form, Input, Modal, Select, Switch } from 'antd';
import type { Role, User } from '../../../api/types';
import { usersApi, type UserCreateInput, type UserUpdateInput } from '../../../api/users';
import { applyFieldError, describeError } from '../../../components/errors';
import { StoreSelect } from '../../../components/StoreSelect';
import { toApiError } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';
import { useSession } from '../../../session/SessionContext';
import { roleOptions, STORE_SCOPED_ROLES } from '../roles';

interface Values {
  email: string;
  name: string;
  role: Role;
  store_ids?: number[];
  password?: string;
  disabled?: boolean;
}

interface Props {
  open: boolean;
  user?: User;
  onClose: () => void;
  onSaved: (user: User) => void;
}

const FIELDS = ['email', 'name', 'role', 'store_ids', 'password', 'disabled'] as const;

function updateInput(values: Values, user: User): UserUpdateInput {
  const input: UserUpdateInput = {};
  if (values.name !== user.name) input.name = values.name;
  if (values.role !== user.role) input.role = values.role;
  const stores = values.store_ids ?? [];
  if (JSON.stringify([...stores].sort()) !== JSON.stringify([...user.store_ids].sort())) input.store_ids = stores;
  if (Boolean(values.disabled) !== user.disabled) input.disabled = Boolean(values.disabled);
  if (values.password) input.password = values.password;
  return input;
}

function createInput(values: Values): UserCreateInput {
  return {
    email: values.email.trim(),
    name: values.name.trim(),
    role: values.role,
    ...(values.password ? { password: values.password } : {}),
    ...(values.store_ids?.length ? { store_ids: values.store_ids } : {}),
  };
}

export function UserFormModal({ open, user, onClose, onSaved }: Props) {
  const t = useT();
  const { message } = App.useApp();
  const session = useSession();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const role = Form.useWatch('role', form);
  const isSelf = user?.id === session.user?.id;

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    form.setFieldsValue(user ? { ...user, password: undefined } : { role: 'operator', store_ids: [] });
  }, [open, user, form]);

  const save = async (values: Values) => {
    setSaving(true);
    try {
      const saved = user
        ? await usersApi.update(user.id, updateInput(values, user))
        : await usersApi.create(createInput(values));
      message.success(t(user ? 'users.saved' : 'users.created'));
      onSaved(saved);
    } catch (error) {
      if (!applyFieldError(form, error, FIELDS, t)) message.error(describeError(toApiError(error), t));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={t(user ? 'users.editTitle' : 'users.createTitle')}
      open={open}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={saving}
      destroyOnHidden
    >
      <Form<Values> form={form} layout="vertical" onFinish={save} data-testid="user-form">
        <Form.Item
          name="email"
          label={t('users.email')}
          rules={[
            { required: true, message: t('validation.required') },
            { type: 'email', message: t('validation.email') },
          ]}
        >
          <Input disabled={Boolean(user)} autoComplete="off" />
        </Form.Item>
        <Form.Item
          name="name"
          label={t('users.name')}
          rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="role" label={t('users.role')} rules={[{ required: true, message: t('validation.required') }]}>
          <Select options={roleOptions(t, session.role === 'owner')} disabled={isSelf} />
        </Form.Item>
        <Form.Item
          name="store_ids"
          label={t('users.stores')}
          extra={t(STORE_SCOPED_ROLES.includes(role) ? 'users.storesScoped' : 'users.storesInfo')}
          rules={[
            {
              validator: async (_, value?: number[]) => {
                if (STORE_SCOPED_ROLES.includes(role) && !value?.length) throw new Error(t('users.storesRequired'));
              },
            },
          ]}
        >
          <StoreSelect multiple />
        </Form.Item>
        <Form.Item
          name="password"
          label={t(user ? 'users.newPassword' : 'users.password')}
          extra={t(user ? 'users.newPasswordHint' : 'users.passwordHint')}
          rules={[{ min: 8, max: 128, message: t('validation.passwordLength') }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        {user ? (
          <Form.Item
            name="disabled"
            label={t('users.disabled')}
            valuePropName="checked"
            extra={t('users.disabledHint')}
          >
            <Switch disabled={isSelf} />
          </Form.Item>
        ) : null}
      </Form>
    </Modal>
  );
}
