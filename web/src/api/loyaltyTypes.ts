/** The loyalty programme as the API answers it (docs/coupons.md, docs/stored-value.md). Money is in 分. */

export type PointsExpiry = 'year_end_next' | 'days' | 'never';
export type TierBasis = 'points' | 'spend';

export interface LoyaltySettings {
  member_no_prefix: string;
  member_no_digits: number;
  points_expiry: PointsExpiry;
  points_expiry_days: number;
  points_expiring_notice_days: number;
  cash_points_per_yuan: number;
  max_cash_share_pct: number;
  tier_basis: TierBasis;
  tier_window_days: number;
  downgrade_grace_days: number;
  coupon_expiring_notice_days: number;
  paid_expiring_notice_days: number;
  auto_enroll: boolean;
}

export interface Tier {
  id: number;
  name: string;
  level: number;
  threshold: number;
  multiplier: number;
  benefits: string[];
  created_at: string;
  updated_at: string;
}

export interface TierInput {
  name?: string;
  level?: number;
  threshold?: number;
  multiplier?: number;
  benefits?: string[];
}

export type RuleKind = 'spend' | 'multiplier' | 'bonus';
export type BonusTrigger = 'registration' | 'first_order' | 'order' | 'birthday' | 'questionnaire';
export type CapPeriod = 'day' | 'month' | 'year' | 'lifetime';

export interface RuleConfig {
  points?: number;
  per_yuan?: number;
  multiplier_pct?: number;
  trigger?: BonusTrigger;
  stores?: number[];
  products?: string[];
  categories?: string[];
  tiers?: number[];
  days_of_week?: number[];
  starts_at?: string;
  ends_at?: string;
  min_amount?: number;
  cap_per_order?: number;
  cap_per_customer?: { points: number; period: CapPeriod };
  [key: string]: unknown;
}

export interface EarningRule {
  id: number;
  name: string;
  kind: RuleKind;
  config: RuleConfig;
  active: boolean;
  priority: number;
  created_at: string;
  updated_at: string;
}

export interface EarningRuleInput {
  name?: string;
  kind?: RuleKind;
  config?: RuleConfig;
  active?: boolean;
  priority?: number;
}

export interface OrderLineInput {
  product_id: string;
  category?: string;
  price: number;
  quantity?: number;
}

export interface OrderPreviewInput {
  customer_id: number;
  order_id: string;
  amount: number;
  store_id?: number;
  lines?: OrderLineInput[];
}

export interface EarnPart {
  rule_id: number | null;
  rule: string;
  kind: 'spend' | 'multiplier' | 'tier' | 'bonus';
  points: number;
  capped: boolean;
}

export interface OrderPreview {
  points: number;
  order_points?: number;
  parts: EarnPart[];
  bonuses: EarnPart[];
}

export interface MemberRow {
  customer_id: number;
  member_no: string;
  channel: string;
  store_id: number | null;
  registered_at: string;
  tier_id: number | null;
  tier: string | null;
  points: number;
  stored_value: number;
  name: string | null;
  phone: string | null;
}

export interface CardCoupon {
  id: number;
  code: string;
  template_id: number;
  name: string;
  type: CouponType;
  valid_from: string;
  valid_to: string;
}

export interface MemberCard {
  customer_id: number;
  member_no: string;
  channel: string;
  store_id: number | null;
  registered_at: string;
  tier_id: number | null;
  tier_since: string | null;
  points: number;
  points_held: number;
  points_debt: number;
  points_earned: number;
  stored_value: number;
  stored_value_principal: number;
  stored_value_bonus: number;
  tier: Tier | null;
  next_tier: { id: number; name: string; threshold: number; needed: number } | null;
  tier_basis: TierBasis;
  qualifying_value: number;
  points_next_expiry: { points: number; at: string } | null;
  coupons: CardCoupon[];
  paid_membership: { plan_id: number; plan: string; starts_at: string; ends_at: string; active: boolean } | null;
}

/** One movement of the points ledger (docs/loyalty.md, 积分流水), newest first. */
export interface PointsEntry {
  id: number;
  type: PointsEntryType;
  /** Change of the available balance (negative for spending, holds, expiry). */
  amount: number;
  held_delta: number;
  debt_delta: number;
  balance_after: number;
  held_after: number;
  debt_after: number;
  reason: string;
  /** order, refund, refund_restore, order_cash, rule, campaign, operator, mall, expiry, import, … */
  source_type: string;
  source_id: string;
  operator: string;
  ref_entry_id: number | null;
  at: string;
}

export type PointsEntryType = 'earn' | 'redeem' | 'hold' | 'release' | 'reverse' | 'expire' | 'adjust' | 'transfer';

/** One change of a member's tier, newest first. */
export interface TierChange {
  id: number;
  from_tier_id: number | null;
  from_tier: string | null;
  to_tier_id: number | null;
  to_tier: string | null;
  /** upgrade, downgrade, manual, import */
  reason: string;
  /** The qualifying value at the change: points, or spend in 分 (tier_basis). */
  value: number;
  at: string;
}

/** A member whose paid membership ends within the asked days, soonest first. */
export interface ExpiringPaidMember {
  customer_id: number;
  name: string;
  member_no: string;
  store_id: number | null;
  plan_id: number;
  plan_name: string;
  ends_at: string;
  days_left: number;
}

export type CouponType = 'cash_off' | 'threshold' | 'percent' | 'exchange' | 'free_shipping';
export type TemplateStatus = 'active' | 'paused' | 'archived';

export interface CouponValidity {
  type: 'fixed' | 'relative';
  from?: string | null;
  to?: string | null;
  days?: number;
}

export interface CouponTemplate {
  id: number;
  name: string;
  type: CouponType;
  note: string;
  description: string;
  amount: number;
  min_order_amount: number;
  percent_off: number;
  max_discount: number | null;
  gift: string;
  exchange_product_id: string | null;
  validity: CouponValidity;
  per_customer_limit: number | null;
  total_stock: number | null;
  issued: number;
  remaining_stock: number | null;
  store_ids: number[];
  product_ids: string[];
  categories: string[];
  min_tier_level: number | null;
  stacks_with_coupons: boolean;
  stacks_with_points: boolean;
  reversible: boolean;
  status: TemplateStatus;
  created_at: string;
  updated_at: string;
}

export type CouponTemplateInput = Partial<
  Omit<CouponTemplate, 'id' | 'description' | 'issued' | 'remaining_stock' | 'created_at' | 'updated_at'>
>;

export interface CouponStats {
  template_id: number;
  name: string;
  issued: number;
  cancelled: number;
  redeemed: number;
  expired: number;
  unused: number;
  reversed: number;
  redemption_rate: number;
  discount_total: number;
  revenue: number;
  remaining_stock: number | null;
}

export interface CouponJob {
  id: number;
  template_id: number;
  segment_id: number | null;
  status: 'queued' | 'running' | 'done' | 'failed' | string;
  progress: { total: number; issued: number; skipped: number; percent: number };
  error: string | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export type CouponStatus = 'issued' | 'redeemed' | 'expired' | 'void';

export interface Coupon {
  id: number;
  code: string;
  code_display: string;
  template_id: number;
  template_name: string;
  type: CouponType;
  description: string;
  customer_id: number;
  status: CouponStatus;
  usable: boolean;
  source: string;
  source_id: string;
  valid_from: string;
  valid_to: string;
  issued_at: string;
  redemption: {
    order_id: string | null;
    order_amount: number | null;
    discount: number | null;
    store_id: number | null;
    redeemed_by: string | null;
    redeemed_at: string | null;
  } | null;
}

export interface CouponLookup extends Coupon {
  template: CouponTemplate;
  customer: {
    id: number;
    name: string | null;
    phone: string | null;
    store_id: number | null;
    tier_level: number | null;
    masked: boolean;
  } | null;
}

/** Issuing to listed customers: the coupons issued and the customers skipped with the reason. */
export interface IssueResult {
  template_id: number;
  issued: Coupon[];
  skipped: { customer_id: number; reason: string }[];
}

export interface RedeemInput {
  code: string;
  order_id: string;
  order_amount: number;
  store_id?: number;
  shipping_fee?: number;
  lines?: OrderLineInput[];
}

export interface RedeemResult {
  code?: string;
  discount?: number;
  [key: string]: unknown;
}

export type MallKind = 'gift' | 'coupon' | 'limited';

export interface MallItem {
  id: number;
  name: string;
  kind: MallKind;
  description: string;
  image_url: string | null;
  points_price: number;
  stock: number | null;
  per_customer_limit: number | null;
  coupon_template_id: number | null;
  valid_from: string | null;
  valid_to: string | null;
  status: 'active' | 'paused' | 'archived' | string;
  created_at: string;
  updated_at: string;
}

export type MallItemInput = Partial<Omit<MallItem, 'id' | 'created_at' | 'updated_at'>>;

export interface MallExchange {
  id: number;
  item_id: number;
  item_name: string;
  kind: MallKind;
  customer_id: number;
  quantity: number;
  points: number;
  status: string;
  coupon_ids: number[];
  created_at: string;
  cancelled_at: string | null;
}

export interface TopupOffer {
  id: number;
  name: string;
  pay_amount: number;
  bonus_amount: number;
  active: boolean;
  valid_from: string | null;
  valid_to: string | null;
  created_at: string;
  updated_at: string;
}

export type TopupOfferInput = Partial<
  Pick<TopupOffer, 'name' | 'pay_amount' | 'bonus_amount' | 'active' | 'valid_from' | 'valid_to'>
>;

export interface PaidPlan {
  id: number;
  name: string;
  price: number;
  duration_days: number;
  benefits: string[];
  active: boolean;
  created_at: string;
  updated_at: string;
}

export type PaidPlanInput = Partial<Pick<PaidPlan, 'name' | 'price' | 'duration_days' | 'benefits' | 'active'>>;
