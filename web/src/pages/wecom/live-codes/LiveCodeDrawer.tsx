import { useEffect, useState } from 'react';
import { App, Col, DatePicker, Divider, Drawer, Form, Input, InputNumber, Radio, Row, Select, Switch } from 'antd';
import type { Dayjs } from 'dayjs';
import dayjs from 'dayjs';
import { loyaltyApi } from '../../../api/loyalty';
import { wecomApi } from '../../../api/wecom';
import {
  ASSIGN_MODES,
  LIVE_CODE_CHANNELS,
  type AssignMode,
  type LiveCode,
  type LiveCodeChannel,
  type LiveCodeInput,
} from '../../../api/wecomTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { TagSelect } from '../../../components/TagSelect';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT, type MessageKey } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import {
  applyAttachmentError,
  AttachmentsEditor,
  fromWelcomeAttachment,
  toWelcomeAttachment,
  type AttachmentValues,
} from '../attachments';
import { StaffSelect } from '../shared';
import { DrawerFooter } from '../../../components/DrawerFooter';

interface Values {
  name: string;
  channel: LiveCodeChannel;
  staff_ids: number[];
  assign_mode: AssignMode;
  daily_cap?: number | null;
  tag_ids?: number[];
  welcome_text?: string;
  attachments?: AttachmentValues[];
  coupon_template_id?: number | null;
  skip_verify: boolean;
  validity?: [Dayjs | null, Dayjs | null];
  status: 'active' | 'disabled';
}

const FIELDS = [
  'name',
  'channel',
  'staff_ids',
  'assign_mode',
  'daily_cap',
  'tag_ids',
  'coupon_template_id',
  'skip_verify',
  'status',
] as const;

function toInput(values: Values): LiveCodeInput {
  const [from, to] = values.validity ?? [null, null];
  return {
    name: values.name.trim(),
    channel: values.channel,
    staff_ids: values.staff_ids,
    assign_mode: values.assign_mode,
    daily_cap: values.assign_mode === 'round_robin' ? null : (values.daily_cap ?? null),
    tag_ids: values.tag_ids ?? [],
    welcome: { text: values.welcome_text ?? '', attachments: (values.attachments ?? []).map(toWelcomeAttachment) },
    coupon_template_id: values.coupon_template_id ?? null,
    skip_verify: values.skip_verify,
    valid_from: from ? from.startOf('day').toISOString() : null,
    valid_to: to ? to.add(1, 'day').startOf('day').toISOString() : null,
    status: values.status,
  };
}

function toValues(code: LiveCode): Values {
  return {
    name: code.name,
    channel: code.channel,
    staff_ids: code.staff.map((member) => member.staff_id),
    assign_mode: code.assign_mode,
    daily_cap: code.daily_cap,
    tag_ids: code.tag_ids,
    welcome_text: code.welcome.text ?? '',
    attachments: (code.welcome.attachments ?? []).map(fromWelcomeAttachment),
    coupon_template_id: code.coupon_template_id,
    skip_verify: code.skip_verify,
    validity:
      code.valid_from || code.valid_to
        ? [
            code.valid_from ? dayjs(code.valid_from) : null,
            code.valid_to ? dayjs(code.valid_to).subtract(1, 'day') : null,
          ]
        : undefined,
    status: code.status,
  };
}

interface Props {
  target: { code?: LiveCode } | null;
  onClose: () => void;
  onSaved: (code: LiveCode) => void;
}

/** Creates or edits a channel live code: staff pool and assignment, tags, welcome message, validity. */
export function LiveCodeDrawer({ target, onClose, onSaved }: Props) {
  const t = useT();
  const can = useCan();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const mode = Form.useWatch('assign_mode', form) ?? 'round_robin';
  const editing = target?.code;
  const coupons = useAsync(
    () =>
      can('loyalty.read') ? loyaltyApi.templates('active', null, 100).then((page) => page.data) : Promise.resolve([]),
    [],
  );

  useEffect(() => {
    if (!target) return;
    form.resetFields();
    form.setFieldsValue(
      target.code
        ? toValues(target.code)
        : { channel: 'poster', assign_mode: 'round_robin', skip_verify: true, status: 'active', attachments: [] },
    );
  }, [target, form]);

  const save = async (values: Values) => {
    setSaving(true);
    try {
      const input = toInput(values);
      const saved = editing ? await wecomApi.updateLiveCode(editing.id, input) : await wecomApi.createLiveCode(input);
      message.success(t('liveCodes.saved'));
      onSaved(saved);
    } catch (reason) {
      const error = toApiError(reason);
      const field = error.field ?? '';
      const detail = error.message.replace(/^[\w.[\]]+: /, '');
      if (applyAttachmentError(form, error)) return;
      if (field === 'welcome.text') form.setFields([{ name: 'welcome_text', errors: [detail] }]);
      else if (field === 'valid_from' || field === 'valid_to') form.setFields([{ name: 'validity', errors: [detail] }]);
      else if (!applyFieldError(form, error, FIELDS, t)) message.error(describeError(error, t));
    } finally {
      setSaving(false);
    }
  };

  const required = [{ required: true, message: t('validation.required') }];
  return (
    <Drawer
      title={t(editing ? 'liveCodes.editTitle' : 'liveCodes.createTitle')}
      open={target !== null}
      onClose={onClose}
      width={isMobile ? '100%' : 680}
      destroyOnHidden
      footer={
        <DrawerFooter onCancel={onClose} onSave={() => form.submit()} saving={saving} saveTestId="live-code-save" />
      }
    >
      <Form<Values> form={form} layout="vertical" onFinish={save} data-testid="live-code-form">
        <Row gutter={16}>
          <Col xs={24} sm={14}>
            <Form.Item
              name="name"
              label={t('liveCodes.name')}
              rules={[...required, { max: 64, message: t('validation.maxLength', { max: 64 }) }]}
            >
              <Input placeholder={t('liveCodes.namePlaceholder')} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={10}>
            <Form.Item name="status" label={t('liveCodes.status')}>
              <Radio.Group
                optionType="button"
                options={['active', 'disabled'].map((value) => ({
                  value,
                  label: t(`wecom.status.${value}` as MessageKey),
                }))}
              />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="channel" label={t('liveCodes.channel')} rules={required}>
          <Radio.Group
            optionType="button"
            options={LIVE_CODE_CHANNELS.map((value) => ({ value, label: t(`channel.${value}` as MessageKey) }))}
            data-testid="live-code-channel"
          />
        </Form.Item>
        <Form.Item
          name="staff_ids"
          label={t('liveCodes.staffPool')}
          extra={t('liveCodes.staffPoolHint')}
          rules={required}
        >
          <StaffSelect multiple testId="live-code-staff" />
        </Form.Item>
        <Row gutter={16}>
          <Col xs={24} sm={14}>
            <Form.Item name="assign_mode" label={t('liveCodes.mode')} extra={t(`assign.${mode}Hint` as MessageKey)}>
              <Select options={ASSIGN_MODES.map((value) => ({ value, label: t(`assign.${value}` as MessageKey) }))} />
            </Form.Item>
          </Col>
          {mode !== 'round_robin' ? (
            <Col xs={24} sm={10}>
              <Form.Item name="daily_cap" label={t('liveCodes.dailyCap')} extra={t('liveCodes.dailyCapHint')}>
                <InputNumber min={1} max={10000} precision={0} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          ) : null}
        </Row>
        <Form.Item name="tag_ids" label={t('liveCodes.tags')}>
          <TagSelect multiple explicitOnly style={{ width: '100%' }} />
        </Form.Item>
        <Divider orientation="left" plain>
          {t('liveCodes.welcome')}
        </Divider>
        <Form.Item
          name="welcome_text"
          label={t('liveCodes.welcomeText')}
          extra={t('liveCodes.welcomeTextHint')}
          rules={[{ max: 1300, message: t('validation.maxLength', { max: 1300 }) }]}
        >
          <Input.TextArea rows={3} placeholder={t('liveCodes.welcomePlaceholder')} showCount />
        </Form.Item>
        <AttachmentsEditor />
        <Row gutter={16}>
          <Col xs={24} sm={12}>
            <Form.Item name="coupon_template_id" label={t('liveCodes.coupon')} extra={t('liveCodes.couponHint')}>
              <Select
                allowClear
                placeholder={t('liveCodes.noCoupon')}
                loading={coupons.loading}
                options={(coupons.data ?? []).map((tpl) => ({ value: tpl.id, label: tpl.name }))}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="validity" label={t('liveCodes.validity')} extra={t('liveCodes.validityHint')}>
              <DatePicker.RangePicker allowEmpty={[true, true]} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item
          name="skip_verify"
          label={t('liveCodes.skipVerify')}
          extra={t('liveCodes.skipVerifyHint')}
          valuePropName="checked"
        >
          <Switch />
        </Form.Item>
      </Form>
    </Drawer>
  );
}
