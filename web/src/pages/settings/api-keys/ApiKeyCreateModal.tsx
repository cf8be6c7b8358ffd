import { useEffect, useState } from 'react';
import { App, Form, Input, Modal, Radio, Select } from 'antd';
import { apiKeysApi, type ApiKeyCreateInput } from '../../../api/apiKeys';
import type { ApiKey, ApiKeyKind, Role } from '../../../api/types';
import { applyFieldError, describeError } from '../../../components/errors';
import { toApiError } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';
import { roleOptions } from '../roles';

interface Values {
  name: string;
  kind: ApiKeyKind;
  role?: Role;
}

interface Props {
  open: boolean;
  onClose: () => void;
  onCreated: (key: ApiKey) => void;
}

const FIELDS = ['name', 'kind', 'role'] as const;

export function ApiKeyCreateModal({ open, onClose, onCreated }: Props) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const kind = Form.useWatch('kind', form);

  useEffect(() => {
    if (open) form.setFieldsValue({ name: '', kind: 'secret', role: 'admin' });
  }, [open, form]);

  const save = async (values: Values) => {
    setSaving(true);
    const input: ApiKeyCreateInput = { name: values.name.trim(), kind: values.kind };
    if (values.kind === 'secret' && values.role) input.role = values.role;
    try {
      onCreated(await apiKeysApi.create(input));
    } catch (error) {
      if (!applyFieldError(form, error, FIELDS, t)) message.error(describeError(toApiError(error), t));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={t('apiKeys.createTitle')}
      open={open}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('apiKeys.create')}
      cancelText={t('common.cancel')}
      confirmLoading={saving}
      destroyOnHidden
    >
      <Form<Values> form={form} layout="vertical" onFinish={save} data-testid="api-key-form">
        <Form.Item
          name="name"
          label={t('apiKeys.name')}
          rules={[
            { required: true, whitespace: true, message: t('validation.required') },
            { max: 100, message: t('validation.maxLength', { max: 100 }) },
          ]}
          extra={t('apiKeys.nameHint')}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="kind" label={t('apiKeys.kind')}>
          <Radio.Group
            optionType="button"
            options={[
              { value: 'secret', label: t('apiKeys.kind.secret') },
              { value: 'write', label: t('apiKeys.kind.write') },
            ]}
          />
        </Form.Item>
        <Form.Item noStyle>
          <div style={{ color: 'rgba(0,0,0,0.45)', marginTop: -12, marginBottom: 16 }}>
            {t(kind === 'write' ? 'apiKeys.kindHint.write' : 'apiKeys.kindHint.secret')}
          </div>
        </Form.Item>
        {kind === 'write' ? null : (
          <Form.Item name="role" label={t('apiKeys.role')} extra={t('apiKeys.roleHint')}>
            <Select options={roleOptions(t, false)} />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}
