import { useState } from 'react';
import {
  App,
  Button,
  Card,
  Col,
  Empty,
  Flex,
  Form,
  Input,
  InputNumber,
  List,
  Modal,
  Progress,
  Row,
  Skeleton,
  Statistic,
  Tag,
  Typography,
} from 'antd';
import { CrownOutlined, HistoryOutlined, UnorderedListOutlined } from '@ant-design/icons';
import { loyaltyApi } from '../../../api/loyalty';
import type { MemberCard } from '../../../api/loyaltyTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { tierColor } from '../../loyalty/shared';
import { MemberHistoryDrawer, type MemberHistoryTab } from './MemberHistoryDrawer';
import type { CustomerSectionProps } from './types';

/** Progress towards the next tier, in percent of its threshold. */
function tierProgress(card: MemberCard): number {
  const next = card.next_tier;
  if (!next || next.threshold <= 0) return 100;
  return Math.min(100, Math.round((card.qualifying_value / next.threshold) * 100));
}

function AdjustModal({
  card,
  open,
  onClose,
  onDone,
}: {
  card: MemberCard;
  open: boolean;
  onClose: () => void;
  onDone: () => void;
}) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ points: number; reason: string }>();
  const [saving, setSaving] = useState(false);
  const save = async (values: { points: number; reason: string }) => {
    setSaving(true);
    try {
      await loyaltyApi.adjust(card.customer_id, values.points, values.reason.trim());
      message.success(t('memberCard.adjusted'));
      form.resetFields();
      onDone();
    } catch (reason) {
      if (!applyFieldError(form, reason, ['points', 'reason'], t)) {
        form.setFields([{ name: 'points', errors: [describeError(toApiError(reason), t)] }]);
      }
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal
      title={t('memberCard.adjustTitle')}
      open={open}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={saving}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" onFinish={save}>
        <Form.Item
          name="points"
          label={t('memberCard.adjustPoints')}
          extra={t('memberCard.adjustHint', { points: card.points })}
          rules={[{ required: true, message: t('validation.required') }]}
        >
          <InputNumber precision={0} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item
          name="reason"
          label={t('memberCard.adjustReason')}
          rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
        >
          <Input maxLength={200} placeholder={t('memberCard.adjustReasonPlaceholder')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** 会员卡: tier and progress, points with the next expiry, stored value, coupons and paid membership. */
export function LoyaltySection({ customer }: CustomerSectionProps) {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const { message } = App.useApp();
  const [adjusting, setAdjusting] = useState(false);
  const [registering, setRegistering] = useState(false);
  const [history, setHistory] = useState<MemberHistoryTab | null>(null);
  const card = useAsync(
    () =>
      loyaltyApi.card(customer.id).catch((reason) => {
        if (toApiError(reason).status === 404) return null;
        throw reason;
      }),
    [customer.id],
  );

  const register = async () => {
    setRegistering(true);
    try {
      await loyaltyApi.register(customer.id, customer.store_id);
      message.success(t('memberCard.registered'));
      card.reload();
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    } finally {
      setRegistering(false);
    }
  };

  const title = (
    <span>
      <CrownOutlined /> {t('memberCard.title')}
    </span>
  );
  if (card.loading && card.data === undefined) {
    return (
      <Card title={title}>
        <Skeleton active />
      </Card>
    );
  }
  if (card.error) {
    return (
      <Card title={title}>
        <ErrorAlert error={card.error} onRetry={card.reload} />
      </Card>
    );
  }
  const m = card.data;
  if (!m) {
    return (
      <Card title={title} data-testid="member-card">
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('memberCard.notMember')}>
          {can('loyalty.operate') ? (
            <Button type="primary" loading={registering} onClick={register} data-testid="member-register">
              {t('memberCard.register')}
            </Button>
          ) : null}
        </Empty>
      </Card>
    );
  }
  const basisValue = (value: number) => (m.tier_basis === 'spend' ? format.money(value) : format.number(value));
  return (
    <Card
      title={title}
      extra={
        <Flex gap={8} align="center">
          <Typography.Text type="secondary">{m.member_no}</Typography.Text>
          {can('loyalty.adjust') ? (
            <Button size="small" onClick={() => setAdjusting(true)} data-testid="member-adjust">
              {t('memberCard.adjust')}
            </Button>
          ) : null}
        </Flex>
      }
      data-testid="member-card"
    >
      <Row gutter={[16, 16]}>
        <Col xs={24} md={8}>
          <Typography.Text type="secondary">{t('memberCard.tier')}</Typography.Text>
          <div style={{ margin: '4px 0' }}>
            <Tag
              color={tierColor(m.tier?.level)}
              style={{ fontSize: 16, padding: '2px 10px' }}
              data-testid="member-tier"
            >
              {m.tier?.name ?? t('loyalty.noTier')}
            </Tag>
          </div>
          {m.next_tier ? (
            <>
              <Progress percent={tierProgress(m)} size="small" showInfo={false} />
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t(m.tier_basis === 'spend' ? 'memberCard.nextTierSpend' : 'memberCard.nextTierPoints', {
                  needed: basisValue(m.next_tier.needed),
                  name: m.next_tier.name,
                })}
              </Typography.Text>
            </>
          ) : (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('memberCard.topTier')}
            </Typography.Text>
          )}
          <div>
            <Button
              type="link"
              size="small"
              icon={<HistoryOutlined />}
              style={{ paddingInline: 0 }}
              onClick={() => setHistory('tiers')}
              data-testid="member-tier-history"
            >
              {t('tierHistory.open')}
            </Button>
          </div>
        </Col>
        <Col xs={12} md={8}>
          <Statistic title={t('memberCard.points')} value={format.number(m.points)} valueStyle={{ fontSize: 22 }} />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {m.points_next_expiry
              ? t('memberCard.expiry', {
                  points: format.number(m.points_next_expiry.points),
                  date: format.date(m.points_next_expiry.at),
                })
              : t('memberCard.noExpiry')}
            {m.points_held ? ` · ${t('memberCard.held', { points: format.number(m.points_held) })}` : ''}
            {m.points_debt ? ` · ${t('memberCard.debt', { points: format.number(m.points_debt) })}` : ''}
          </Typography.Text>
          <div>
            <Button
              type="link"
              size="small"
              icon={<UnorderedListOutlined />}
              style={{ paddingInline: 0 }}
              onClick={() => setHistory('points')}
              data-testid="member-ledger"
            >
              {t('ledger.open')}
            </Button>
          </div>
        </Col>
        <Col xs={12} md={8}>
          <Statistic
            title={t('memberCard.storedValue')}
            value={format.money(m.stored_value)}
            valueStyle={{ fontSize: 22 }}
          />
          {m.stored_value ? (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('memberCard.storedSplit', {
                principal: format.money(m.stored_value_principal),
                bonus: format.money(m.stored_value_bonus),
              })}
            </Typography.Text>
          ) : null}
        </Col>
      </Row>
      {m.paid_membership ? (
        <Flex gap={8} align="center" wrap style={{ marginTop: 16 }}>
          <Tag color={m.paid_membership.active ? 'gold' : 'default'}>{m.paid_membership.plan}</Tag>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t(m.paid_membership.active ? 'memberCard.paidUntil' : 'memberCard.paidEnded', {
              date: format.date(m.paid_membership.ends_at),
            })}
          </Typography.Text>
        </Flex>
      ) : null}
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('memberCard.coupons', { count: m.coupons.length })}
      </Typography.Title>
      {m.coupons.length ? (
        <List
          size="small"
          dataSource={m.coupons.slice(0, 5)}
          renderItem={(c) => (
            <List.Item>
              <Flex justify="space-between" style={{ width: '100%' }} gap={8} wrap>
                <span>{c.name}</span>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('redeem.validUntil', { date: format.date(c.valid_to) })}
                </Typography.Text>
              </Flex>
            </List.Item>
          )}
        />
      ) : (
        <Typography.Text type="secondary">{t('memberCard.noCoupons')}</Typography.Text>
      )}
      <MemberHistoryDrawer card={m} tab={history} onTabChange={setHistory} onClose={() => setHistory(null)} />
      <AdjustModal
        card={m}
        open={adjusting}
        onClose={() => setAdjusting(false)}
        onDone={() => {
          setAdjusting(false);
          card.reload();
        }}
      />
    </Card>
  );
}
