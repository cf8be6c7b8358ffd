export type Role = 'owner' | 'admin' | 'operator' | 'analyst' | 'store_manager' | 'guide';

export const ROLES: readonly Role[] = ['owner', 'admin', 'operator', 'analyst', 'store_manager', 'guide'];

/** Roles that work only within their assigned stores. */
export const STORE_SCOPED_ROLES: readonly Role[] = ['store_manager', 'guide'];

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
  /** Attributes computed from the customer's events; single reads only, not lists. */
  computed?: ComputedAttributes;
  /** Customers merged into this one; single reads only. */
  merged_ids?: number[];
  created_at: string;
  updated_at: string;
}

export type LifecycleStage = 'prospect' | 'registered' | 'first_purchase' | 'repurchase' | 'loyal' | 'dormant';

export const LIFECYCLE_STAGES: readonly LifecycleStage[] = [
  'prospect',
  'registered',
  'first_purchase',
  'repurchase',
  'loyal',
  'dormant',
];

/** Money in minor units (分) of the tenant's currency; times RFC 3339 or null before any event. */
export interface ComputedAttributes {
  first_seen: string | null;
  last_seen: string | null;
  order_count: number;
  total_spent: number;
  average_order_value: number;
  last_order_at: string | null;
  refund_count: number;
  refund_total: number;
  lifecycle_stage: LifecycleStage;
}

export type EventType = 'track' | 'identify' | 'page' | 'screen' | 'alias' | 'group';

export interface CustomerEvent {
  id: number;
  /** The customer the event was first stored on; differs from the read customer after merges. */
  customer_id: number;
  message_id: string;
  type: EventType | string;
  event: string;
  timestamp: string;
  received_at: string;
  properties: Record<string, unknown>;
  context: Record<string, unknown>;
  revenue: number | null;
  currency: string | null;
}

export interface CustomerEventFilters {
  event?: string;
  from?: string;
  to?: string;
}

export interface CustomerMerge {
  id: number;
  survivor_id: number;
  merged_id: number;
  reason: string;
  message_id: string;
  at: string;
  undone_at: string | null;
}

export interface IdentityConflict {
  id: number;
  customer_id: number;
  other_customer_id: number;
  identifier_type: string;
  message_id: string;
  at: string;
}

export interface EventCount {
  event: string;
  events: number;
  customers: number;
}

export interface EventCounts {
  from: string;
  to: string;
  data: EventCount[];
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
