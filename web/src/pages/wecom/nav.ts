import type { AreaChild } from '../../areas';

/**
 * The pages of 企微运营 in menu order. Live codes, per-item codes and mass sends are tenant-wide
 * operations, hidden from the store roles; staff, loss alerts and customer groups are scoped by
 * the API to the caller's stores (a guide: their own staff member), and store managers transfer
 * the customers of their stores' staff.
 */
export const WECOM_PAGES = [
  { path: 'live-codes', labelKey: 'nav.wecom.liveCodes', permission: 'wecom.read', tenantWide: true },
  { path: 'groups', labelKey: 'nav.wecom.groups', permission: 'wecom.read' },
  { path: 'item-codes', labelKey: 'nav.wecom.itemCodes', permission: 'wecom.read', tenantWide: true },
  { path: 'staff', labelKey: 'nav.wecom.staff', permission: 'wecom.read' },
  { path: 'alerts', labelKey: 'nav.wecom.alerts', permission: 'wecom.read' },
  { path: 'mass-sends', labelKey: 'nav.wecom.massSends', permission: 'wecom.read', tenantWide: true },
  { path: 'transfers', labelKey: 'nav.wecom.transfers', permission: 'wecom.transfer' },
] as const satisfies readonly AreaChild[];

export type WecomPagePath = (typeof WECOM_PAGES)[number]['path'];
