import { lazy, type ComponentType, type LazyExoticComponent, type ReactNode } from 'react';
import {
  CrownOutlined,
  DashboardOutlined,
  SettingOutlined,
  TagsOutlined,
  TeamOutlined,
  WechatWorkOutlined,
} from '@ant-design/icons';
import type { Permission, SessionInfo } from './api/types';
import type { MessageKey } from './i18n';
import { hasPermission, isTenantWide } from './session/SessionContext';
import { AUDIENCE_PAGES } from './pages/audience/nav';
import { CUSTOMERS_PAGES } from './pages/customers/nav';
import { LOYALTY_PAGES } from './pages/loyalty/nav';
import { SETTINGS_PAGES } from './pages/settings/nav';
import { WECOM_PAGES } from './pages/wecom/nav';

export interface AreaChild {
  /** Path below the area's path; empty for the area's own index page. */
  path: string;
  labelKey: MessageKey;
  permission: Permission;
  /** Tenant-wide data: hidden from the store roles (store_manager, guide) whatever the permission. */
  tenantWide?: boolean;
}

/**
 * One area of the console: a folder under `pages/<area>/` whose default export renders every
 * route below `path`. An area shows in the menu when the role holds `permission`, or, for an
 * area with `children`, at least one child's permission.
 */
export interface Area {
  key: string;
  path: string;
  labelKey: MessageKey;
  icon: ReactNode;
  permission?: Permission;
  children?: readonly AreaChild[];
  component: LazyExoticComponent<ComponentType>;
}

export const AREAS: readonly Area[] = [
  {
    key: 'overview',
    path: '/overview',
    labelKey: 'nav.overview',
    icon: <DashboardOutlined />,
    permission: 'customers.read',
    component: lazy(() => import('./pages/overview')),
  },
  {
    key: 'customers',
    path: '/customers',
    labelKey: 'nav.customers',
    icon: <TeamOutlined />,
    permission: 'customers.read',
    children: CUSTOMERS_PAGES,
    component: lazy(() => import('./pages/customers')),
  },
  {
    key: 'audience',
    path: '/audience',
    labelKey: 'nav.audience',
    icon: <TagsOutlined />,
    children: AUDIENCE_PAGES,
    component: lazy(() => import('./pages/audience')),
  },
  {
    key: 'loyalty',
    path: '/loyalty',
    labelKey: 'nav.loyalty',
    icon: <CrownOutlined />,
    children: LOYALTY_PAGES,
    component: lazy(() => import('./pages/loyalty')),
  },
  {
    key: 'wecom',
    path: '/wecom',
    labelKey: 'nav.wecom',
    icon: <WechatWorkOutlined />,
    children: WECOM_PAGES,
    component: lazy(() => import('./pages/wecom')),
  },
  {
    key: 'settings',
    path: '/settings',
    labelKey: 'nav.settings',
    icon: <SettingOutlined />,
    children: SETTINGS_PAGES.map((page) => ({ path: page.key, labelKey: page.labelKey, permission: page.permission })),
    component: lazy(() => import('./pages/settings')),
  },
];

export function canSeeChild(child: AreaChild, session: SessionInfo): boolean {
  return hasPermission(session, child.permission) && (!child.tenantWide || isTenantWide(session));
}

export function visibleChildren(area: Area, session: SessionInfo): AreaChild[] {
  return (area.children ?? []).filter((child) => canSeeChild(child, session));
}

/** The full path of an area's sub-page. */
export function childPath(area: Area, child: AreaChild): string {
  return child.path ? `${area.path}/${child.path}` : area.path;
}

export function canSeeArea(area: Area, session: SessionInfo): boolean {
  if (area.permission && !hasPermission(session, area.permission)) return false;
  return !area.children || visibleChildren(area, session).length > 0;
}

export function visibleAreas(session: SessionInfo): Area[] {
  return AREAS.filter((area) => canSeeArea(area, session));
}

/** Where a user lands after signing in without a page to return to. */
export function homePath(session: SessionInfo): string {
  const [first] = visibleAreas(session);
  if (!first) return '/forbidden';
  const [child] = visibleChildren(first, session);
  return child ? childPath(first, child) : first.path;
}
