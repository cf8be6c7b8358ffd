import type { Permission } from '../../api/types';
import type { MessageKey } from '../../i18n';

export interface CustomersPage {
  /** Path below /customers; empty for the list itself. */
  path: string;
  labelKey: MessageKey;
  permission: Permission;
  /** Tenant-wide data: hidden from the store roles. */
  tenantWide?: boolean;
}

/** The customer pages in menu order; the menu shows a sub-menu when more than the list is visible. */
export const CUSTOMERS_PAGES: readonly CustomersPage[] = [
  { path: '', labelKey: 'nav.customers.list', permission: 'customers.read' },
  { path: 'conflicts', labelKey: 'nav.customers.conflicts', permission: 'customers.read', tenantWide: true },
];
