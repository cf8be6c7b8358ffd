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
  | 'pii'
  | 'analytics.read'
  | 'tags.read'
  | 'tags.manage'
  | 'tags.apply'
  | 'segments.read'
  | 'segments.manage'
  | 'segments.export'
  | 'loyalty.read'
  | 'loyalty.manage'
  | 'loyalty.operate'
  | 'loyalty.adjust'
  | 'coupons.issue'
  | 'coupons.redeem'
  | 'wecom.read'
  | 'wecom.manage'
  | 'wecom.transfer'
  | 'wecom.mass_send'
  | 'wecom.config'
  | 'webhooks.manage';

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
  /** The RFM class; single reads only, null without an order in the RFM period. */
  rfm?: CustomerRfm | null;
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

export interface LoyaltyStats {
  from: string;
  to: string;
  /** Orders the loyalty programme recorded in the range, and their amount net of refunds (分). */
  orders: number;
  revenue: number;
  members_total: number;
  members_new: number;
  by_day: { date: string; orders: number; revenue: number }[];
  new_members_by_channel: { channel: string; count: number }[];
  members_by_tier: { tier_id: number | null; name: string | null; level: number | null; count: number }[];
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

export const RFM_CLASSES = [
  'important_value',
  'important_develop',
  'important_keep',
  'important_retain',
  'general_value',
  'general_develop',
  'general_keep',
  'general_retain',
] as const;

export type RfmClass = (typeof RFM_CLASSES)[number];

/** Money in minor units; recency in days since the last order. */
export interface CustomerRfm {
  code: RfmClass;
  name: string;
  recency_days: number;
  frequency: number;
  monetary: number;
}

/** A customer as lists of segment members and previews show it: no identifiers, PII masked without `pii`. */
export interface CustomerSummary {
  id: number;
  name: string | null;
  phone: string | null;
  email: string | null;
  gender: Gender;
  birthday: string | null;
  store_id: number | null;
  member_no: string | null;
  created_at: string;
}

/** A segment rule: one JSON condition (docs/segments.md). */
export type SegmentRule = Record<string, unknown>;

export interface Segment {
  id: number;
  name: string;
  description: string;
  rule: SegmentRule | null;
  /** Current members; for store roles, of their stores only. */
  size: number;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface SegmentInput {
  name: string;
  description?: string;
  rule: SegmentRule;
}

export interface SegmentPreview {
  count: number;
  sample: CustomerSummary[];
}

export interface SegmentMemberPage extends Page<CustomerSummary> {
  total: number;
}

export interface SegmentSizes {
  segment_id: number;
  from: string;
  to: string;
  data: { date: string; size: number }[];
}

export interface CustomerSegments {
  customer_id: number;
  data: { id: number; name: string }[];
}

export const SEGMENT_EXPORT_FIELDS = [
  'id',
  'name',
  'phone',
  'email',
  'gender',
  'birthday',
  'store_id',
  'member_no',
  'created_at',
] as const;

export type SegmentExportField = (typeof SEGMENT_EXPORT_FIELDS)[number];

export type ThresholdSource = 'setting' | 'mean';

export interface RfmSummary {
  period_days: number;
  customers_with_orders: number;
  /** Minor units. */
  monetary_total: number;
  thresholds: {
    recency_days: number;
    frequency: number;
    /** Minor units. */
    monetary: number;
    source: { recency_days: ThresholdSource; frequency: ThresholdSource; monetary: ThresholdSource };
  };
  classes: {
    code: RfmClass;
    name: string;
    customers: number;
    share: number;
    monetary: number;
    monetary_share: number;
  }[];
}

/** Thresholds null: the tenant's mean. Monetary in minor units. */
export interface RfmSettings {
  period_days: number;
  recency_days: number | null;
  frequency: number | null;
  monetary: number | null;
}

export interface TagGroup {
  id: number;
  name: string;
  /** `#RRGGBB`, or null for the default colour. */
  color: string | null;
  sort_order: number;
  /** The WeCom corp tag group id, once synchronised. */
  wecom_group_id: string | null;
  tag_count: number;
  created_at: string;
  updated_at: string;
}

export interface TagGroupInput {
  name?: string;
  color?: string | null;
  sort_order?: number;
  wecom_group_id?: string | null;
}

export type TagKind = 'manual' | 'rule';

export interface Tag {
  id: number;
  group_id: number;
  name: string;
  kind: TagKind;
  color: string | null;
  sort_order: number;
  description: string;
  /** A segment rule: customers matching it hold the tag; null for tags applied explicitly. */
  rule: SegmentRule | null;
  wecom_tag_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface TagInput {
  group_id?: number;
  name?: string;
  color?: string | null;
  sort_order?: number;
  description?: string;
  rule?: SegmentRule | null;
  wecom_tag_id?: string | null;
}

export type TagSource = 'manual' | 'rule' | 'import' | 'questionnaire' | 'api';

export const TAG_SOURCES: readonly TagSource[] = ['manual', 'rule', 'import', 'questionnaire', 'api'];

/** Who did something: a console user, an API key, the CLI or siyu itself. */
export interface Actor {
  type: string;
  id: number | null;
  name: string;
}

/** A tag a customer holds, with where it came from; rule tags carry no actor or time. */
export interface CustomerTag {
  tag_id: number;
  name: string;
  group_id: number;
  color: string | null;
  kind: TagKind;
  source: TagSource;
  applied_by: Actor | null;
  applied_at: string | null;
  /** The record holding it: the customer, or one merged into it. */
  customer_id: number;
}

export interface CustomerTags {
  customer_id: number;
  data: CustomerTag[];
}

export interface TagHistoryEntry {
  id: number;
  customer_id: number;
  tag_id: number;
  tag_name: string;
  action: 'added' | 'removed';
  source: TagSource;
  actor: Actor;
  job_id: number | null;
  at: string;
}

export interface QuestionChoice {
  id?: string;
  label: string;
  tag_ids: number[];
  codes: string[];
}

export type QuestionType = 'single' | 'multiple';

export interface Question {
  id?: string;
  title: string;
  type: QuestionType;
  required: boolean;
  choices: QuestionChoice[];
}

export interface Questionnaire {
  id: number;
  name: string;
  description: string;
  questions: Question[];
  created_at: string;
  updated_at: string;
}

export interface QuestionnaireInput {
  name?: string;
  description?: string;
  questions?: Question[];
}

export interface QuestionnaireAnswer {
  id: number;
  questionnaire_id: number;
  questionnaire_name: string;
  customer_id: number;
  answers: { question_id: string; question: string; choice_ids: string[]; choices: string[] }[];
  tag_ids: number[];
  codes: string[];
  submitted_by: Actor;
  submitted_at: string;
}

export type TagBulkAction = 'add' | 'remove';

export interface TagBulkInput {
  action: TagBulkAction;
  tag_ids: number[];
  customer_ids?: number[];
  segment_id?: number;
}

/** The answer of tagging up to 1,000 listed customers at once. */
export interface TagBulkResult {
  action: TagBulkAction;
  tag_ids: number[];
  customers: number;
  changed: number;
  unchanged: number;
}

export type TagBulkStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** A bulk tagging job running in the background (segments and long customer lists). */
export interface TagBulkJob {
  id: number;
  status: TagBulkStatus;
  action: TagBulkAction;
  tag_ids: number[];
  segment_id: number | null;
  progress: { total: number; processed: number; changed: number; skipped: number; percent: number };
  error: string | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface QuestionnaireAnswerInput {
  customer_id: number;
  answers: { question_id: string; choice_ids: string[] }[];
}
