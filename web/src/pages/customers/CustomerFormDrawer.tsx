import { useEffect, useState } from 'react';
import { App, AutoComplete, Button, Col, DatePicker, Divider, Drawer, Flex, Form, Input, Row, Select } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { customersApi } from '../../api/customers';
import { IDENTIFIER_TYPES, type Customer } from '../../api/types';
import { applyFieldError, describeError } from '../../components/errors';
import { StoreSelect } from '../../components/StoreSelect';
import { toApiError } from '../../hooks/useAsync';
import { useIsMobile } from '../../hooks/useMediaQuery';
import { useT } from '../../i18n';
import { useSession } from '../../session/SessionContext';
import {
  CUSTOMER_FORM_FIELDS,
  customerToValues,
  valuesToCreateInput,
  valuesToPatch,
  type CustomerFormValues,
} from './customerForm';
import { identifierTypeLabel } from './display';

interface Props {
  open: boolean;
  /** The customer to edit; without one the drawer creates a new customer. */
  customer?: Customer;
  onClose: () => void;
  onSaved: (customer: Customer) => void;
}

/** Keeps a form value that has no input of its own. */
function HiddenValue(_: { value?: unknown }) {
  return null;
}

const PHONE_PATTERN = /^\+?[\d\s()-]{5,24}$/;
const CUSTOM_TYPE_PATTERN = /^custom:[a-z0-9_]{1,32}$/;

export function CustomerFormDrawer({ open, customer, onClose, onSaved }: Props) {
  const t = useT();
  const { message } = App.useApp();
  const session = useSession();
  const isMobile = useIsMobile();
  const [form] = Form.useForm<CustomerFormValues>();
  const [saving, setSaving] = useState(false);
  const editing = Boolean(customer);
  /** Without `pii` an existing customer's phone and email arrive masked and cannot be edited. */
  const piiLocked = editing && !session.permissions.includes('pii');

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    if (customer) form.setFieldsValue(customerToValues(customer));
    else if (session.store_ids.length === 1) form.setFieldsValue({ store_id: session.store_ids[0] });
  }, [open, customer, form, session.store_ids]);

  const save = async (values: CustomerFormValues) => {
    const patch = customer ? valuesToPatch(values, customer) : null;
    if (customer && patch && !Object.keys(patch).length) {
      message.info(t('common.noChanges'));
      onClose();
      return;
    }
    setSaving(true);
    try {
      const saved =
        customer && patch
          ? await customersApi.update(customer.id, patch)
          : await customersApi.create(valuesToCreateInput(values));
      message.success(t(customer ? 'customer.saved' : 'customer.created'));
      onSaved(saved);
    } catch (error) {
      if (!applyFieldError(form, error, CUSTOMER_FORM_FIELDS, t)) message.error(describeError(toApiError(error), t));
    } finally {
      setSaving(false);
    }
  };

  const needsOne = ({ getFieldsValue }: { getFieldsValue: () => CustomerFormValues }) => ({
    validator: async () => {
      const values = getFieldsValue();
      const identified = [values.name, values.phone, values.email, values.member_no].some((value) => value?.trim());
      const hasIdentifier = (values.identifiers ?? []).some((row) => row.value?.trim());
      if (!identified && !hasIdentifier) throw new Error(t('customer.validation.needOne'));
    },
  });

  const typeOptions = IDENTIFIER_TYPES.filter((type) => !['phone', 'email', 'member_no'].includes(type)).map(
    (type) => ({
      value: type,
      label: identifierTypeLabel(type, t),
    }),
  );

  return (
    <Drawer
      title={t(editing ? 'customer.editTitle' : 'customer.createTitle')}
      open={open}
      onClose={onClose}
      width={isMobile ? '100%' : 560}
      destroyOnHidden
      extra={
        <Flex gap={8}>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={saving} onClick={() => form.submit()} data-testid="customer-save">
            {t('common.save')}
          </Button>
        </Flex>
      }
    >
      <Form<CustomerFormValues>
        form={form}
        layout="vertical"
        onFinish={save}
        scrollToFirstError
        data-testid="customer-form"
      >
        <Row gutter={16}>
          <Col xs={24} sm={12}>
            <Form.Item
              name="name"
              label={t('customer.name')}
              dependencies={['phone', 'email', 'member_no', 'identifiers']}
              rules={[{ max: 100, message: t('validation.maxLength', { max: 100 }) }, needsOne]}
            >
              <Input placeholder={t('customer.namePlaceholder')} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item
              name="phone"
              label={t('customer.phone')}
              rules={piiLocked ? [] : [{ pattern: PHONE_PATTERN, message: t('validation.phone') }]}
              extra={piiLocked ? t('customer.piiLocked') : editing ? undefined : t('customer.phoneHint')}
            >
              <Input placeholder="138 1234 5678" inputMode="tel" disabled={piiLocked} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item
              name="email"
              label={t('customer.email')}
              rules={piiLocked ? [] : [{ type: 'email', message: t('validation.email') }]}
            >
              <Input placeholder="name@example.com" inputMode="email" disabled={piiLocked} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item
              name="member_no"
              label={t('customer.memberNo')}
              rules={[{ max: 64, message: t('validation.maxLength', { max: 64 }) }]}
            >
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="gender" label={t('customer.gender')}>
              <Select
                allowClear
                options={(['female', 'male', 'unknown'] as const).map((gender) => ({
                  value: gender,
                  label: t(`gender.${gender}`),
                }))}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="birthday" label={t('customer.birthday')}>
              <DatePicker style={{ width: '100%' }} disabledDate={(day) => day.isAfter(dayjs(), 'day')} />
            </Form.Item>
          </Col>
          <Col xs={24}>
            <Form.Item name="store_id" label={t('customer.store')}>
              <StoreSelect scopeIds={session.store_ids} />
            </Form.Item>
          </Col>
        </Row>
        {editing ? null : (
          <>
            <Divider orientation="left" plain>
              {t('customer.identifiers')}
            </Divider>
            <Form.List name="identifiers">
              {(fields, { add, remove }) => (
                <>
                  {fields.map((field) => (
                    <Flex key={field.key} gap={8} align="start">
                      <Form.Item
                        name={[field.name, 'type']}
                        style={{ flex: '0 0 42%' }}
                        rules={[
                          { required: true, message: t('validation.required') },
                          {
                            validator: async (_, value?: string) => {
                              const known = (IDENTIFIER_TYPES as readonly string[]).includes(value ?? '');
                              if (value && !known && !CUSTOM_TYPE_PATTERN.test(value))
                                throw new Error(t('customer.validation.identifierType'));
                            },
                          },
                        ]}
                      >
                        <AutoComplete options={typeOptions} placeholder={t('customer.identifierType')} />
                      </Form.Item>
                      <Form.Item
                        name={[field.name, 'value']}
                        style={{ flex: 1 }}
                        rules={[{ required: true, message: t('validation.required') }]}
                      >
                        <Input placeholder={t('customer.identifierValue')} />
                      </Form.Item>
                      <Button
                        type="text"
                        icon={<DeleteOutlined />}
                        onClick={() => remove(field.name)}
                        aria-label={t('common.remove')}
                      />
                    </Flex>
                  ))}
                  <Button type="dashed" block icon={<PlusOutlined />} onClick={() => add({})}>
                    {t('customer.addIdentifier')}
                  </Button>
                </>
              )}
            </Form.List>
          </>
        )}
        <Divider orientation="left" plain>
          {t('customer.traits')}
        </Divider>
        <Form.List name="traits">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field) => (
                <Flex key={field.key} gap={8} align="start">
                  <Form.Item
                    name={[field.name, 'key']}
                    style={{ flex: '0 0 36%' }}
                    rules={[{ required: true, message: t('validation.required') }]}
                  >
                    <Input placeholder={t('customer.traitKey')} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'value']} style={{ flex: 1 }}>
                    <Input placeholder={t('customer.traitValue')} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'json']} hidden>
                    <HiddenValue />
                  </Form.Item>
                  <Button
                    type="text"
                    icon={<DeleteOutlined />}
                    onClick={() => remove(field.name)}
                    aria-label={t('common.remove')}
                  />
                </Flex>
              ))}
              <Button type="dashed" block icon={<PlusOutlined />} onClick={() => add({})}>
                {t('customer.addTrait')}
              </Button>
            </>
          )}
        </Form.List>
      </Form>
    </Drawer>
  );
}
