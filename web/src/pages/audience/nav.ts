import type { AreaChild } from '../../areas';

/**
 * The pages of 标签与分群 in menu order. Tag groups, tags and questionnaires are configuration,
 * so they need tags.manage (roles that only apply tags do so on the customer page); RFM figures
 * are tenant-wide.
 */
export const AUDIENCE_PAGES = [
  { path: 'segments', labelKey: 'nav.audience.segments', permission: 'segments.read' },
  { path: 'tags', labelKey: 'nav.audience.tags', permission: 'tags.manage' },
  { path: 'questionnaires', labelKey: 'nav.audience.questionnaires', permission: 'tags.manage' },
  { path: 'rfm', labelKey: 'nav.audience.rfm', permission: 'analytics.read', tenantWide: true },
] as const satisfies readonly AreaChild[];

export type AudiencePagePath = (typeof AUDIENCE_PAGES)[number]['path'];
