import { useEffect, useState } from 'react';
import { App, Col, Form, Input, InputNumber, Modal, Row } from 'antd';
import { tagsApi } from '../../../api/tags';
import type { TagGroup, TagGroupInput } from '../../../api/types';
import { ColorField } from '../../../components/ColorField';
import { applyFieldError, describeError } from '../../../components/errors';
import { toApiError } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';

interface Values {
  name: string;
  color?: string | null;
  sort_order?: number | null;
  wecom_group_id?: string;
}

interface Props {
  /** The group to edit, `'new'` to create one, or null when closed. */
  target: TagGroup | 'new' | null;
  onClose: () => void;
  onSaved: (group: TagGroup) => void;
}

const FIELDS = ['name', 'color', 'sort_order', 'wecom_group_id'] as const;

export function TagGroupModal({ target, onClose, onSaved }: Props) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const editing = target && target !== 'new' ? target : undefined;

  useEffect(() => {
    if (!target) return;
    form.resetFields();
    form.setFieldsValue(
      editing ? { ...editing, wecom_group_id: editing.wecom_group_id ?? undefined } : { color: null, sort_order: 0 },
    );
  }, [target, editing, form]);

  const save = async (values: Values) => {
    const input: TagGroupInput = {
      name: values.name.trim(),
      color: values.color ?? null,
      sort_order: values.sort_order ?? 0,
      wecom_group_id: values.wecom_group_id?.trim() || null,
    };
    setSaving(true);
    try {
      const saved = editing ? await tagsApi.updateGroup(editing.id, input) : await tagsApi.createGroup(input);
      message.success(t(editing ? 'tagGroups.saved' : 'tagGroups.created'));
      onSaved(saved);
    } catch (error) {
      if (!applyFieldError(form, error, FIELDS, t)) message.error(describeError(toApiError(error), t));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={t(editing ? 'tagGroups.editTitle' : 'tagGroups.createTitle')}
      open={target !== null}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={saving}
      okButtonProps={{ 'data-testid': 'tag-group-save' }}
      destroyOnHidden
    >
      <Form<Values> form={form} layout="vertical" onFinish={save} data-testid="tag-group-form">
        <Form.Item
          name="name"
          label={t('tagGroups.name')}
          rules={[
            { required: true, whitespace: true, message: t('validation.required') },
            { max: 50, message: t('validation.maxLength', { max: 50 }) },
          ]}
        >
          <Input placeholder={t('tagGroups.namePlaceholder')} />
        </Form.Item>
        <Row gutter={16}>
          <Col xs={24} sm={12}>
            <Form.Item name="color" label={t('tags.color')} extra={t('tagGroups.colorHint')}>
              <ColorField id="group" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="sort_order" label={t('tags.sortOrder')} extra={t('tags.sortOrderHint')}>
              <InputNumber precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="wecom_group_id" label={t('tagGroups.wecomId')} extra={t('tagGroups.wecomIdHint')}>
          <Input allowClear />
        </Form.Item>
      </Form>
    </Modal>
  );
}
