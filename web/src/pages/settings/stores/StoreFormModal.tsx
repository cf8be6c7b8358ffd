import { useEffect, useState } from 'react';
import { App, Col, Form, Input, InputNumber, Modal, Row, Select } from 'antd';
import { storesApi } from '../../../api/stores';
import type { Store, StoreInput, StoreKind } from '../../../api/types';
import { applyFieldError, describeError } from '../../../components/errors';
import { StoreSelect } from '../../../components/StoreSelect';
import { toApiError } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';
import { parentKinds } from '../../../domain/storeTree';

interface Values {
  code: string;
  name: string;
  kind: StoreKind;
  parent_id?: number | null;
  city?: string;
  latitude?: number | null;
  longitude?: number | null;
}

export type StoreFormTarget = { mode: 'create'; parent?: Store; kind: StoreKind } | { mode: 'edit'; store: Store };

interface Props {
  target: StoreFormTarget | null;
  onClose: () => void;
  onSaved: (store: Store) => void;
}

const FIELDS = ['code', 'name', 'kind', 'parent_id', 'city', 'latitude', 'longitude'] as const;
const CODE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

function toInput(values: Values): StoreInput {
  return {
    code: values.code.trim(),
    name: values.name.trim(),
    kind: values.kind,
    parent_id: values.parent_id ?? null,
    city: values.city?.trim() || null,
    latitude: values.latitude ?? null,
    longitude: values.longitude ?? null,
  };
}

/** Only the fields that differ from the stored store, so a PATCH changes nothing else. */
function changes(input: StoreInput, store: Store): StoreInput {
  const patch: StoreInput = {};
  for (const key of Object.keys(input) as (keyof StoreInput)[]) {
    if (input[key] !== store[key]) (patch as Record<string, unknown>)[key] = input[key];
  }
  return patch;
}

export function StoreFormModal({ target, onClose, onSaved }: Props) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const kind = Form.useWatch('kind', form) ?? 'store';
  const editing = target?.mode === 'edit' ? target.store : undefined;

  useEffect(() => {
    if (!target) return;
    form.resetFields();
    if (target.mode === 'edit') form.setFieldsValue({ ...target.store, city: target.store.city ?? undefined });
    else form.setFieldsValue({ kind: target.kind, parent_id: target.parent?.id ?? null });
  }, [target, form]);

  const save = async (values: Values) => {
    setSaving(true);
    const input = toInput(values);
    try {
      const saved = editing
        ? await storesApi.update(editing.id, changes(input, editing))
        : await storesApi.create(input);
      message.success(t(editing ? 'stores.saved' : 'stores.created'));
      onSaved(saved);
    } catch (error) {
      if (!applyFieldError(form, error, FIELDS, t)) message.error(describeError(toApiError(error), t));
    } finally {
      setSaving(false);
    }
  };

  const allowedParents = parentKinds(kind);

  return (
    <Modal
      title={t(editing ? 'stores.editTitle' : 'stores.createTitle')}
      open={target !== null}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={saving}
      destroyOnHidden
      width={600}
    >
      <Form<Values> form={form} layout="vertical" onFinish={save} data-testid="store-form">
        <Row gutter={16}>
          <Col xs={24} sm={12}>
            <Form.Item
              name="name"
              label={t('stores.name')}
              rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
            >
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item
              name="code"
              label={t('stores.code')}
              extra={t('stores.codeHint')}
              rules={[
                { required: true, message: t('validation.required') },
                { pattern: CODE_PATTERN, message: t('stores.codeInvalid') },
              ]}
            >
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item
              name="kind"
              label={t('stores.kind')}
              rules={[{ required: true, message: t('validation.required') }]}
            >
              <Select
                options={(['hq', 'region', 'store'] as const).map((value) => ({
                  value,
                  label: t(`store.kind.${value}`),
                }))}
                onChange={(next: StoreKind) => {
                  if (next === 'hq') form.setFieldValue('parent_id', null);
                }}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="parent_id" label={t('stores.parent')}>
              <StoreSelect kinds={allowedParents} excludeId={editing?.id} placeholder={t('stores.noParent')} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="city" label={t('stores.city')}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="latitude" label={t('stores.latitude')}>
              <InputNumber min={-90} max={90} step={0.000001} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="longitude" label={t('stores.longitude')}>
              <InputNumber min={-180} max={180} step={0.000001} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
      </Form>
    </Modal>
  );
}
