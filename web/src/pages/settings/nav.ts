import type { Permission } from '../../api/types';
import type { MessageKey } from '../../i18n';

export type SettingsPageKey = 'users' | 'api-keys' | 'stores' | 'tenant' | 'wecom' | 'webhooks' | 'audit-log';

export interface SettingsPage {
  key: SettingsPageKey;
  labelKey: MessageKey;
  permission: Permission;
}

/**
 * The settings sub-pages in menu order. Stores and tenant settings are configuration, so they
 * need the write permission; reading them is open to every role through other screens.
 */
export const SETTINGS_PAGES: readonly SettingsPage[] = [
  { key: 'users', labelKey: 'nav.settings.users', permission: 'users.read' },
  { key: 'api-keys', labelKey: 'nav.settings.apiKeys', permission: 'apikeys.manage' },
  { key: 'stores', labelKey: 'nav.settings.stores', permission: 'stores.write' },
  { key: 'tenant', labelKey: 'nav.settings.tenant', permission: 'tenant.write' },
  { key: 'wecom', labelKey: 'nav.settings.wecom', permission: 'wecom.config' },
  { key: 'webhooks', labelKey: 'nav.settings.webhooks', permission: 'webhooks.manage' },
  { key: 'audit-log', labelKey: 'nav.settings.auditLog', permission: 'audit.read' },
];
