import { useEffect, useState } from 'react';
import { App, Button, Card, Col, Form, Input, InputNumber, Radio, Row, Skeleton, Switch } from 'antd';
import { loyaltyApi } from '../../../api/loyalty';
import type { LoyaltySettings } from '../../../api/loyaltyTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';

const FIELDS: readonly (keyof LoyaltySettings)[] = [
  'member_no_prefix',
  'member_no_digits',
  'points_expiry',
  'points_expiry_days',
  'points_expiring_notice_days',
  'cash_points_per_yuan',
  'max_cash_share_pct',
  'tier_basis',
  'tier_window_days',
  'downgrade_grace_days',
  'coupon_expiring_notice_days',
  'paid_expiring_notice_days',
  'auto_enroll',
];

export default function LoyaltySettingsPage() {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<LoyaltySettings>();
  const { data, error, loading, reload } = useAsync(() => loyaltyApi.settings(), []);
  const [saving, setSaving] = useState(false);
  const expiry = Form.useWatch('points_expiry', form);

  useEffect(() => {
    if (data) form.setFieldsValue(data);
  }, [data, form]);

  const save = async (values: LoyaltySettings) => {
    setSaving(true);
    try {
      form.setFieldsValue(await loyaltyApi.updateSettings(values));
      message.success(t('loyaltySettings.saved'));
    } catch (reason) {
      if (!applyFieldError(form, reason, FIELDS, t)) message.error(describeError(toApiError(reason), t));
    } finally {
      setSaving(false);
    }
  };

  const number = (name: keyof LoyaltySettings, label: string, suffix?: string, extra?: string) => (
    <Col xs={24} sm={12} lg={8}>
      <Form.Item
        name={name}
        label={label}
        extra={extra}
        rules={[{ required: true, message: t('validation.required') }]}
      >
        <InputNumber min={0} precision={0} suffix={suffix} style={{ width: '100%' }} />
      </Form.Item>
    </Col>
  );

  return (
    <>
      <PageHeader title={t('nav.loyalty.settings')} subtitle={t('loyaltySettings.subtitle')} />
      {error ? <ErrorAlert error={error} onRetry={reload} /> : null}
      {loading && !data ? (
        <Skeleton active paragraph={{ rows: 10 }} />
      ) : (
        <Form<LoyaltySettings> form={form} layout="vertical" onFinish={save} data-testid="loyalty-settings-form">
          <Card title={t('loyaltySettings.members')} style={{ marginBottom: 16 }}>
            <Row gutter={16}>
              <Col xs={24} sm={12} lg={8}>
                <Form.Item name="member_no_prefix" label={t('loyaltySettings.prefix')}>
                  <Input maxLength={10} />
                </Form.Item>
              </Col>
              {number('member_no_digits', t('loyaltySettings.digits'))}
              <Col xs={24} sm={12} lg={8}>
                <Form.Item
                  name="auto_enroll"
                  label={t('loyaltySettings.autoEnroll')}
                  valuePropName="checked"
                  extra={t('loyaltySettings.autoEnrollHint')}
                >
                  <Switch />
                </Form.Item>
              </Col>
            </Row>
          </Card>
          <Card title={t('loyaltySettings.points')} style={{ marginBottom: 16 }}>
            <Row gutter={16}>
              <Col xs={24} lg={16}>
                <Form.Item name="points_expiry" label={t('loyaltySettings.expiry')}>
                  <Radio.Group
                    options={[
                      { value: 'year_end_next', label: t('loyaltySettings.expiry.year_end_next') },
                      { value: 'days', label: t('loyaltySettings.expiry.days') },
                      { value: 'never', label: t('loyaltySettings.expiry.never') },
                    ]}
                  />
                </Form.Item>
              </Col>
              {expiry === 'days'
                ? number('points_expiry_days', t('loyaltySettings.expiryDays'), t('coupons.days'))
                : null}
              {number('points_expiring_notice_days', t('loyaltySettings.expiringNotice'), t('coupons.days'))}
              {number(
                'cash_points_per_yuan',
                t('loyaltySettings.cashRatio'),
                undefined,
                t('loyaltySettings.cashRatioHint'),
              )}
              {number('max_cash_share_pct', t('loyaltySettings.maxCashShare'), '%')}
            </Row>
          </Card>
          <Card title={t('loyaltySettings.tiers')} style={{ marginBottom: 16 }}>
            <Row gutter={16}>
              <Col xs={24} sm={12} lg={8}>
                <Form.Item name="tier_basis" label={t('loyaltySettings.basis')}>
                  <Radio.Group
                    optionType="button"
                    options={[
                      { value: 'points', label: t('loyaltySettings.basis.points') },
                      { value: 'spend', label: t('loyaltySettings.basis.spend') },
                    ]}
                  />
                </Form.Item>
              </Col>
              {number('tier_window_days', t('loyaltySettings.window'), t('coupons.days'))}
              {number('downgrade_grace_days', t('loyaltySettings.grace'), t('coupons.days'))}
            </Row>
          </Card>
          <Card title={t('loyaltySettings.reminders')} style={{ marginBottom: 16 }}>
            <Row gutter={16}>
              {number('coupon_expiring_notice_days', t('loyaltySettings.couponNotice'), t('coupons.days'))}
              {number('paid_expiring_notice_days', t('loyaltySettings.paidNotice'), t('coupons.days'))}
            </Row>
          </Card>
          <Button type="primary" htmlType="submit" loading={saving} data-testid="loyalty-settings-save">
            {t('common.save')}
          </Button>
        </Form>
      )}
    </>
  );
}
