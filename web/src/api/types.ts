export type Role = 'owner' | 'admin' | 'operator' | 'analyst' | 'store_manager' | 'guide';

export const ROLES: readonly Role[] = ['owner', 'admin', 'operator', 'analyst', 'store_manager', 'guide'];

export type Permission =
  | 'tenant.read'
  | 'tenant.write'
  | 'users.read'
  | 'users.write'
  | 'apikeys.manage'
  | 'audit.read'
  | 'stores.read'
  | 'stores.write'
  | 'customers.read'
  | 'customers.write'
  | 'customers.delete'
  | 'pii';

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Tenant {
  id: number;
  name: string;
  time_zone: string;
  currency: string;
  demo: boolean;
  created_at: string;
}

export interface TenantMembership {
  id: number;
  name: string;
  role: Role;
  demo: boolean;
}

export interface SessionUser {
  id: number;
  email: string;
  name: string;
}

export interface SessionInfo {
  user: SessionUser | null;
  tenant: Tenant;
  role: Role;
  permissions: string[];
  store_ids: number[];
  tenants: TenantMembership[];
}

export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  store_ids: number[];
  disabled: boolean;
  created_at: string;
  last_login_at: string | null;
  password?: string;
}

export type ApiKeyKind = 'secret' | 'write';

export interface ApiKey {
  id: number;
  name: string;
  kind: ApiKeyKind;
  role: Role | null;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  key?: string;
}

export type StoreKind = 'hq' | 'region' | 'store';

export interface Store {
  id: number;
  parent_id: number | null;
  kind: StoreKind;
  code: string;
  name: string;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
  created_at: string;
  updated_at: string;
}

export interface StoreInput {
  code?: string;
  name?: string;
  kind?: StoreKind;
  parent_id?: number | null;
  city?: string | null;
  latitude?: number | null;
  longitude?: number | null;
}

export type Gender = 'male' | 'female' | 'unknown';

export interface Identifier {
  type: string;
  value: string;
  created_at?: string;
}

export type Traits = Record<string, unknown>;

export interface Customer {
  id: number;
  name: string | null;
  phone: string | null;
  email: string | null;
  gender: Gender | null;
  birthday: string | null;
  store_id: number | null;
  member_no: string | null;
  traits: Traits | null;
  identifiers: Identifier[];
  created_at: string;
  updated_at: string;
}

export interface CustomerInput {
  name?: string | null;
  phone?: string | null;
  email?: string | null;
  gender?: Gender | null;
  birthday?: string | null;
  store_id?: number | null;
  member_no?: string | null;
  traits?: Traits | null;
  identifiers?: Identifier[];
}

export interface CustomerFilters {
  q?: string;
  name?: string;
  phone?: string;
  store_id?: number;
  created_from?: string;
  created_to?: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor_type: 'user' | 'api_key' | 'cli' | 'system';
  actor_id: number | null;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | number | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

export interface OverviewStats {
  customers_total: number;
  customers_new: number;
  from: string;
  to: string;
  new_by_day: { date: string; count: number }[];
  by_store: { store_id: number | null; name: string | null; count: number }[];
  by_gender: Record<Gender, number>;
}

export const IDENTIFIER_TYPES = [
  'phone',
  'email',
  'member_no',
  'user_id',
  'anonymous_id',
  'wecom_external_userid',
  'wechat_unionid',
  'wechat_openid',
  'taobao_ouid',
] as const;
