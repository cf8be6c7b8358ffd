import { useRef, useState } from 'react';
import {
  Alert,
  Button,
  Card,
  Descriptions,
  Empty,
  Flex,
  Input,
  List,
  Result,
  Space,
  Tag,
  Typography,
  type InputRef,
} from 'antd';
import { CheckCircleOutlined, ScanOutlined, SearchOutlined } from '@ant-design/icons';
import { loyaltyApi } from '../../../api/loyalty';
import type { CouponLookup, CouponStatus, MemberCard, RedeemInput } from '../../../api/loyaltyTypes';
import type { ApiError } from '../../../api/client';
import { describeError } from '../../../components/errors';
import { StoreSelect } from '../../../components/StoreSelect';
import { useFormat } from '../../../format';
import { toApiError } from '../../../hooks/useAsync';
import { useT, type MessageKey } from '../../../i18n';
import { isTenantWide, useSession } from '../../../session/SessionContext';
import { COUPON_TYPE_COLORS, couponTypeKey, TierTag, YuanInput } from '../shared';

const STATUS_COLORS: Record<CouponStatus, string> = {
  issued: 'green',
  redeemed: 'default',
  expired: 'red',
  void: 'default',
};

/** What was typed: a coupon code (13 characters of the code alphabet), a phone, or a member number. */
function classify(text: string): { kind: 'coupon' | 'phone' | 'member_no'; value: string } {
  const compact = text.replace(/[\s-]/g, '');
  if (/^(\+?86)?1\d{10}$/.test(compact)) return { kind: 'phone', value: compact };
  if (/^[2-9A-HJ-NP-Ya-hj-np-y]{13}$/.test(compact) && /[A-Za-z]/.test(compact)) {
    return { kind: 'coupon', value: compact.toUpperCase() };
  }
  return { kind: 'member_no', value: text.trim() };
}

/** The order amount sent when staff leave it empty: the least the coupon asks for. */
function defaultOrderAmount(coupon: CouponLookup): number {
  const tpl = coupon.template;
  return Math.max(tpl.min_order_amount, tpl.type === 'cash_off' || tpl.type === 'threshold' ? tpl.amount : 0);
}

function orderNo(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `POS-${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(
    now.getMinutes(),
  )}${pad(now.getSeconds())}-${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
}

interface Redeemed {
  discount: number;
  payable: number;
  orderId: string;
  name: string;
}

/**
 * 核销 for store staff, made for a phone: type or scan a coupon code, see the coupon, press
 * 核销. A phone number or member number shows the member's card and valid coupons instead.
 */
export default function RedeemPage() {
  const t = useT();
  const format = useFormat();
  const session = useSession();
  const input = useRef<InputRef>(null);
  const [text, setText] = useState('');
  const [searching, setSearching] = useState(false);
  const [coupon, setCoupon] = useState<CouponLookup | null>(null);
  const [member, setMember] = useState<MemberCard | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [amount, setAmount] = useState<number | null>(null);
  const [storeId, setStoreId] = useState<number | null>(null);
  const [redeeming, setRedeeming] = useState(false);
  const [redeemed, setRedeemed] = useState<Redeemed | null>(null);
  const needsStore = !isTenantWide(session) && session.store_ids.length !== 1;

  const reset = () => {
    setCoupon(null);
    setMember(null);
    setError(null);
    setRedeemed(null);
    setAmount(null);
  };

  const openCoupon = async (code: string) => {
    setCoupon(await loyaltyApi.coupon(code));
  };

  const search = async (value = text) => {
    if (!value.trim()) return;
    reset();
    setSearching(true);
    try {
      const what = classify(value);
      if (what.kind === 'coupon') await openCoupon(what.value);
      else {
        try {
          setMember(await loyaltyApi.lookup(what.kind === 'phone' ? { phone: what.value } : { member_no: what.value }));
        } catch (reason) {
          // A code that is not one of ours may still be a coupon code typed with other characters.
          if (what.kind === 'member_no' && toApiError(reason).status === 404) await openCoupon(what.value);
          else throw reason;
        }
      }
    } catch (reason) {
      setError(toApiError(reason));
    } finally {
      setSearching(false);
    }
  };

  const redeem = async () => {
    if (!coupon) return;
    setRedeeming(true);
    setError(null);
    const tpl = coupon.template;
    const orderAmount = amount ?? defaultOrderAmount(coupon);
    const input: RedeemInput = { code: coupon.code, order_id: orderNo(), order_amount: orderAmount };
    if (storeId) input.store_id = storeId;
    if (tpl.product_ids.length || tpl.categories.length) {
      input.lines = [
        {
          product_id: tpl.product_ids[0] ?? 'counter',
          category: tpl.categories[0],
          price: orderAmount,
          quantity: 1,
        },
      ];
    }
    try {
      const answer = await loyaltyApi.redeem(input);
      setRedeemed({
        discount: Number(answer.discount ?? 0),
        payable: Number(answer.payable ?? orderAmount),
        orderId: input.order_id,
        name: tpl.name,
      });
      setCoupon(null);
    } catch (reason) {
      setError(toApiError(reason));
    } finally {
      setRedeeming(false);
    }
  };

  const next = () => {
    reset();
    setText('');
    input.current?.focus();
  };

  const customer = coupon?.customer;
  return (
    <div style={{ maxWidth: 560, margin: '0 auto' }} data-testid="redeem-page">
      <Typography.Title level={4} style={{ marginTop: 0 }}>
        {t('redeem.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('redeem.subtitle')}</Typography.Paragraph>
      <Space.Compact style={{ width: '100%', marginBottom: 16 }}>
        <Input
          ref={input}
          size="large"
          autoFocus
          allowClear
          prefix={<ScanOutlined />}
          value={text}
          onChange={(event) => setText(event.target.value)}
          onPressEnter={() => search()}
          placeholder={t('redeem.placeholder')}
          inputMode="text"
          autoCapitalize="characters"
          autoComplete="off"
          data-testid="redeem-input"
        />
        <Button
          size="large"
          type="primary"
          icon={<SearchOutlined />}
          loading={searching}
          onClick={() => search()}
          data-testid="redeem-lookup"
        >
          {t('redeem.lookup')}
        </Button>
      </Space.Compact>
      {needsStore ? (
        <div style={{ marginBottom: 16 }}>
          <StoreSelect
            kinds={['store']}
            scopeIds={session.store_ids}
            value={storeId}
            onChange={(value) => setStoreId(typeof value === 'number' ? value : null)}
            placeholder={t('redeem.store')}
          />
        </div>
      ) : null}
      {error ? (
        <Alert
          type="error"
          showIcon
          message={error.status === 404 ? t('redeem.notFound') : describeError(error, t)}
          style={{ marginBottom: 16 }}
          data-testid="redeem-error"
        />
      ) : null}
      {redeemed ? (
        <Card data-testid="redeem-success">
          <Result
            status="success"
            icon={<CheckCircleOutlined />}
            title={t('redeem.success', { name: redeemed.name })}
            subTitle={t('redeem.successDetail', {
              discount: format.money(redeemed.discount),
              payable: format.money(redeemed.payable),
              order: redeemed.orderId,
            })}
            extra={
              <Button type="primary" size="large" onClick={next} data-testid="redeem-next">
                {t('redeem.next')}
              </Button>
            }
            style={{ padding: '16px 0' }}
          />
        </Card>
      ) : null}
      {coupon ? (
        <Card
          title={
            <Flex gap={8} align="center" wrap>
              <Tag color={COUPON_TYPE_COLORS[coupon.type]}>{t(couponTypeKey(coupon.type))}</Tag>
              <span>{coupon.template_name}</span>
            </Flex>
          }
          extra={
            <Tag color={STATUS_COLORS[coupon.status]} data-testid="redeem-status">
              {t(`coupon.status.${coupon.status}` as MessageKey)}
            </Tag>
          }
          data-testid="redeem-coupon"
        >
          <Typography.Title level={3} style={{ marginTop: 0 }}>
            {coupon.description}
          </Typography.Title>
          <Descriptions column={1} size="small" colon={false} labelStyle={{ width: 96 }}>
            <Descriptions.Item label={t('redeem.code')}>
              <Typography.Text code>{coupon.code_display}</Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('redeem.validity')}>
              {format.dateTime(coupon.valid_from)} ~ {format.dateTime(coupon.valid_to)}
            </Descriptions.Item>
            <Descriptions.Item label={t('redeem.customer')}>
              {customer ? `${customer.name ?? '—'} ${customer.phone ?? ''}` : '—'}
            </Descriptions.Item>
            {coupon.template.note ? (
              <Descriptions.Item label={t('redeem.note')}>{coupon.template.note}</Descriptions.Item>
            ) : null}
            {coupon.redemption ? (
              <Descriptions.Item label={t('redeem.redeemedAt')}>
                {format.dateTime(coupon.redemption.redeemed_at)} · {coupon.redemption.order_id}
              </Descriptions.Item>
            ) : null}
          </Descriptions>
          {coupon.usable ? (
            <>
              <div style={{ margin: '12px 0' }}>
                <Typography.Text type="secondary">{t('redeem.amount')}</Typography.Text>
                <YuanInput
                  size="large"
                  value={amount}
                  onChange={setAmount}
                  placeholder={format.money(defaultOrderAmount(coupon))}
                />
              </div>
              <Button
                type="primary"
                size="large"
                block
                loading={redeeming}
                onClick={redeem}
                style={{ height: 52, fontSize: 18 }}
                data-testid="redeem-submit"
              >
                {t('redeem.submit')}
              </Button>
            </>
          ) : (
            <Alert type="warning" showIcon message={t(`redeem.unusable.${coupon.status}` as MessageKey)} />
          )}
        </Card>
      ) : null}
      {member ? (
        <Card
          title={
            <Flex gap={8} align="center" wrap>
              <span>{member.member_no}</span>
              <TierTag name={member.tier?.name} level={member.tier?.level} />
            </Flex>
          }
          data-testid="redeem-member"
        >
          <Flex gap={24} wrap style={{ marginBottom: 12 }}>
            <div>
              <Typography.Text type="secondary">{t('memberCard.points')}</Typography.Text>
              <Typography.Title level={4} style={{ margin: 0 }}>
                {format.number(member.points)}
              </Typography.Title>
            </div>
            <div>
              <Typography.Text type="secondary">{t('memberCard.storedValue')}</Typography.Text>
              <Typography.Title level={4} style={{ margin: 0 }}>
                {format.money(member.stored_value)}
              </Typography.Title>
            </div>
          </Flex>
          {member.coupons.length ? (
            <List
              dataSource={member.coupons}
              renderItem={(c) => (
                <List.Item
                  actions={[
                    <Button key="open" type="primary" onClick={() => search(c.code)} data-testid="redeem-pick">
                      {t('redeem.pick')}
                    </Button>,
                  ]}
                >
                  <List.Item.Meta
                    title={c.name}
                    description={t('redeem.validUntil', { date: format.date(c.valid_to) })}
                  />
                </List.Item>
              )}
            />
          ) : (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('redeem.noCoupons')} />
          )}
        </Card>
      ) : null}
    </div>
  );
}
