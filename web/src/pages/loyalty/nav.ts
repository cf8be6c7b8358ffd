import type { AreaChild } from '../../areas';

/**
 * The pages of 会员与营销 in menu order. Programme configuration (tiers, rules, coupons, the
 * mall, stored value, settings) is tenant-wide, so the store roles do not see it; they keep the
 * member list (their stores' members), the redeem page (核销) and the paid memberships about to
 * end (their stores' task list).
 */
export const LOYALTY_PAGES = [
  { path: 'members', labelKey: 'nav.loyalty.members', permission: 'loyalty.read' },
  { path: 'redeem', labelKey: 'nav.loyalty.redeem', permission: 'coupons.redeem' },
  { path: 'paid-expiring', labelKey: 'nav.loyalty.paidExpiring', permission: 'loyalty.read' },
  { path: 'tiers', labelKey: 'nav.loyalty.tiers', permission: 'loyalty.read', tenantWide: true },
  { path: 'rules', labelKey: 'nav.loyalty.rules', permission: 'loyalty.read', tenantWide: true },
  { path: 'coupons', labelKey: 'nav.loyalty.coupons', permission: 'loyalty.read', tenantWide: true },
  { path: 'mall', labelKey: 'nav.loyalty.mall', permission: 'loyalty.read', tenantWide: true },
  { path: 'stored-value', labelKey: 'nav.loyalty.storedValue', permission: 'loyalty.read', tenantWide: true },
  { path: 'settings', labelKey: 'nav.loyalty.settings', permission: 'loyalty.manage', tenantWide: true },
] as const satisfies readonly AreaChild[];

export type LoyaltyPagePath = (typeof LOYALTY_PAGES)[number]['path'];
