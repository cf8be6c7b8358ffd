import { api, request } from './client';
import type { Page } from './types';
import type {
  CouponJob,
  CouponLookup,
  CouponStats,
  CouponTemplate,
  CouponTemplateInput,
  Coupon,
  CouponStatus,
  EarningRule,
  ExpiringPaidMember,
  EarningRuleInput,
  IssueResult,
  LoyaltySettings,
  MallExchange,
  MallItem,
  MallItemInput,
  MemberCard,
  MemberRow,
  OrderPreview,
  OrderPreviewInput,
  PaidPlan,
  PaidPlanInput,
  PointsEntry,
  RedeemInput,
  RedeemResult,
  TemplateStatus,
  Tier,
  TierChange,
  TierInput,
  TopupOffer,
  TopupOfferInput,
} from './loyaltyTypes';

const L = '/loyalty';

/** A fresh Idempotency-Key for a POST that moves value, so a retried click changes nothing twice. */
function idempotencyKey(): string {
  return typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export const loyaltyApi = {
  settings: () => api.get<LoyaltySettings>(`${L}/settings`),
  updateSettings: (patch: Partial<LoyaltySettings>) => api.put<LoyaltySettings>(`${L}/settings`, patch),

  tiers: () => api.get<{ data: Tier[] }>(`${L}/tiers`),
  createTier: (input: TierInput) => api.post<Tier>(`${L}/tiers`, input),
  updateTier: (id: number, input: TierInput) => api.patch<Tier>(`${L}/tiers/${id}`, input),
  removeTier: (id: number) => api.delete(`${L}/tiers/${id}`),

  rules: () => api.get<{ data: EarningRule[] }>(`${L}/earning-rules`),
  createRule: (input: EarningRuleInput) => api.post<EarningRule>(`${L}/earning-rules`, input),
  updateRule: (id: number, input: EarningRuleInput) => api.patch<EarningRule>(`${L}/earning-rules/${id}`, input),
  removeRule: (id: number) => api.delete(`${L}/earning-rules/${id}`),
  preview: (input: OrderPreviewInput) => api.post<OrderPreview>(`${L}/orders/preview`, input),

  members: (tierId: number | undefined, cursor: string | null, limit: number) =>
    api.get<Page<MemberRow>>(`${L}/members`, { tier_id: tierId, cursor, limit }),
  register: (customerId: number, storeId?: number | null) =>
    api.post<MemberCard>(`${L}/members`, { customer_id: customerId, channel: 'store', store_id: storeId ?? undefined }),
  lookup: (by: { phone?: string; member_no?: string }) => api.get<MemberCard>(`${L}/members/lookup`, by),
  card: (customerId: number) => api.get<MemberCard>(`${L}/members/${customerId}`),
  tierHistory: (customerId: number) => api.get<{ data: TierChange[] }>(`${L}/members/${customerId}/tier-history`),
  entries: (customerId: number, cursor: string | null, limit: number) =>
    api.get<Page<PointsEntry>>(`${L}/members/${customerId}/points/entries`, { cursor, limit }),
  adjust: (customerId: number, points: number, reason: string) =>
    request<MemberCard>('POST', `${L}/members/${customerId}/points/adjust`, {
      body: { points, reason },
      headers: { 'Idempotency-Key': idempotencyKey() },
    }),
  memberCoupons: (customerId: number, status: CouponStatus | undefined, cursor: string | null, limit: number) =>
    api.get<Page<Coupon>>(`${L}/members/${customerId}/coupons`, { status, cursor, limit }),
  memberExchanges: (customerId: number, cursor: string | null, limit: number) =>
    api.get<Page<MallExchange>>(`${L}/members/${customerId}/exchanges`, { cursor, limit }),

  templates: (status: TemplateStatus | undefined, cursor: string | null, limit: number) =>
    api.get<Page<CouponTemplate>>(`${L}/coupon-templates`, { status, cursor, limit }),
  template: (id: number) => api.get<CouponTemplate>(`${L}/coupon-templates/${id}`),
  createTemplate: (input: CouponTemplateInput) => api.post<CouponTemplate>(`${L}/coupon-templates`, input),
  updateTemplate: (id: number, input: CouponTemplateInput) =>
    api.patch<CouponTemplate>(`${L}/coupon-templates/${id}`, input),
  archiveTemplate: (id: number) => api.delete(`${L}/coupon-templates/${id}`),
  templateStats: (id: number) => api.get<CouponStats>(`${L}/coupon-templates/${id}/stats`),
  /** One customer or a list answers at once; a segment answers 202 with a job to follow. */
  issue: (id: number, target: { customer_ids: number[] } | { segment_id: number }) =>
    request<IssueResult | CouponJob>('POST', `${L}/coupon-templates/${id}/issue`, {
      body: target,
      headers: { 'Idempotency-Key': idempotencyKey() },
    }),
  job: (id: number) => api.get<CouponJob>(`${L}/coupon-jobs/${id}`),
  coupon: (code: string) => api.get<CouponLookup>(`${L}/coupons/${encodeURIComponent(code)}`),
  redeem: (input: RedeemInput) =>
    request<RedeemResult>('POST', `${L}/coupons/redeem`, {
      body: input,
      headers: { 'Idempotency-Key': idempotencyKey() },
    }),

  mallItems: (status: string | undefined, cursor: string | null, limit: number) =>
    api.get<Page<MallItem>>(`${L}/mall/items`, { status, cursor, limit }),
  createMallItem: (input: MallItemInput) => api.post<MallItem>(`${L}/mall/items`, input),
  updateMallItem: (id: number, input: MallItemInput) => api.patch<MallItem>(`${L}/mall/items/${id}`, input),
  archiveMallItem: (id: number) => api.delete(`${L}/mall/items/${id}`),
  exchange: (itemId: number, customerId: number, quantity = 1) =>
    request<MallExchange>('POST', `${L}/mall/items/${itemId}/exchange`, {
      body: { customer_id: customerId, quantity },
      headers: { 'Idempotency-Key': idempotencyKey() },
    }),
  cancelExchange: (id: number, reason: string) =>
    api.post<MallExchange>(`${L}/mall/exchanges/${id}/cancel`, { reason }),

  offers: () => api.get<{ data: TopupOffer[] }>(`${L}/topup-offers`),
  createOffer: (input: TopupOfferInput) => api.post<TopupOffer>(`${L}/topup-offers`, input),
  updateOffer: (id: number, input: TopupOfferInput) => api.patch<TopupOffer>(`${L}/topup-offers/${id}`, input),
  removeOffer: (id: number) => api.delete(`${L}/topup-offers/${id}`),

  plans: () => api.get<{ data: PaidPlan[] }>(`${L}/paid-plans`),
  createPlan: (input: PaidPlanInput) => api.post<PaidPlan>(`${L}/paid-plans`, input),
  updatePlan: (id: number, input: PaidPlanInput) => api.patch<PaidPlan>(`${L}/paid-plans/${id}`, input),
  withdrawPlan: (id: number) => api.delete(`${L}/paid-plans/${id}`),
  /** Store roles get their stores' members only. */
  expiringPaid: (days: number, cursor: string | null, limit: number) =>
    api.get<Page<ExpiringPaidMember> & { days: number }>(`${L}/paid-memberships/expiring`, { days, cursor, limit }),
};
