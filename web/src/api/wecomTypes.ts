/** Shapes of the WeCom (企业微信) API: docs/wecom.md, docs/scrm.md, docs/groups-and-mass-send.md, docs/outbox.md, docs/webhooks.md. */

/** The tenant's WeCom connection; secrets only as `*_set` flags. */
export interface WecomConfig {
  corp_id: string;
  agent_id: number | null;
  api_base_url: string;
  contact_secret_set: boolean;
  agent_secret_set: boolean;
  token_set: boolean;
  encoding_aes_key_set: boolean;
  /** Where WeCom posts callbacks: paste it into the WeCom admin console. */
  callback_url: string;
  created_at: string | null;
  updated_at: string | null;
}

/** A partial update: omitted secrets are kept, null clears. */
export interface WecomConfigInput {
  corp_id?: string;
  contact_secret?: string | null;
  agent_secret?: string | null;
  agent_id?: number | null;
  token?: string | null;
  encoding_aes_key?: string | null;
  api_base_url?: string | null;
}

export type InboxStatus = 'pending' | 'done' | 'failed';

export interface InboxRow {
  id: number;
  event: string;
  change_type: string;
  status: InboxStatus;
  attempts: number;
  duplicates: number;
  note: string | null;
  error: string | null;
  fields: Record<string, unknown>;
  received_at: string;
  processed_at: string | null;
}

export interface InboxStats {
  pending: number;
  done: number;
  failed: number;
  duplicates: number;
  failed_rows: InboxRow[];
  recent: InboxRow[];
}

export type OutboxStatus = 'pending' | 'done' | 'dead';

export interface OutboxMessage {
  id: number;
  kind: string;
  status: OutboxStatus;
  in_flight: boolean;
  attempts: number;
  max_attempts: number;
  created_at: string;
  updated_at: string;
  next_attempt_at: string | null;
  deadline_at: string | null;
  last_error: string | null;
  dedupe_key: string | null;
  payload: Record<string, unknown>;
  result: unknown;
}

export interface OutboxPage {
  data: OutboxMessage[];
  next_cursor: string | null;
  counts: Record<OutboxStatus, number>;
}

export interface Webhook {
  id: number;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  created_at: string;
  updated_at: string;
  /** Only in the answer of the creation, once. */
  secret?: string;
}

export interface WebhookInput {
  url?: string;
  events?: string[];
  description?: string;
  active?: boolean;
}

export type StaffStatus = 'active' | 'disabled' | 'resigned';

export interface Staff {
  id: number;
  userid: string;
  name: string;
  mobile: string | null;
  department_ids: number[];
  store_id: number | null;
  store_name: string | null;
  user_id: number | null;
  status: StaffStatus;
  source: 'wecom' | 'import' | 'callback';
  customer_count: number;
  created_at: string;
  updated_at: string;
}

export interface StaffPatch {
  store_id?: number | null;
  user_id?: number | null;
  status?: 'active' | 'disabled';
  name?: string;
}

export interface StaffFilters {
  q?: string;
  store_id?: number;
  status?: StaffStatus;
}

export interface StaffSyncReport {
  departments: number;
  created: number;
  updated: number;
  resigned: number;
}

export type OwnerStatus = 'active' | 'deleted_by_staff' | 'deleted_by_customer' | 'transferred';

/** A relationship between a staff member and a customer (an external contact). */
export interface Owner {
  id: number;
  customer_id: number;
  customer_name: string | null;
  staff: { id: number; userid: string; name: string; store_id: number | null };
  external_userid: string;
  added_at: string;
  add_way: number | null;
  state: string | null;
  live_code_id: number | null;
  remark: string | null;
  status: OwnerStatus;
  ended_at: string | null;
}

export interface LossAlert {
  id: number;
  staff: { id: number; userid: string; name: string };
  customer_id: number | null;
  customer_name: string | null;
  external_userid: string;
  reason: 'deleted_by_staff' | 'deleted_by_customer';
  created_at: string;
  read_at: string | null;
  unread: boolean;
}

export const LIVE_CODE_CHANNELS = ['poster', 'store', 'package', 'ad', 'event'] as const;
export type LiveCodeChannel = (typeof LIVE_CODE_CHANNELS)[number];

export const ASSIGN_MODES = ['round_robin', 'least_loaded', 'nearest_store'] as const;
export type AssignMode = (typeof ASSIGN_MODES)[number];

export type SyncStatus = 'pending' | 'ready' | 'failed';

export type WelcomeAttachment =
  | { type: 'link'; title: string; url: string; desc?: string; picurl?: string }
  | { type: 'image'; media_id?: string; pic_url?: string }
  | { type: 'miniprogram'; title: string; appid: string; page: string; pic_media_id: string };

export interface WelcomeMessage {
  text?: string;
  attachments?: WelcomeAttachment[];
}

/** A pool member of a live code with its own WeCom contact way (config_id, qr_code). */
export interface LiveCodeStaff {
  staff_id: number;
  userid: string;
  name: string;
  staff_status: StaffStatus;
  position: number;
  config_id: string | null;
  qr_code: string | null;
  sync_status: SyncStatus;
  sync_error: string | null;
}

export interface LiveCode {
  id: number;
  key: string;
  name: string;
  channel: LiveCodeChannel;
  assign_mode: AssignMode;
  daily_cap: number | null;
  tag_ids: number[];
  welcome: WelcomeMessage;
  coupon_template_id: number | null;
  skip_verify: boolean;
  valid_from: string | null;
  valid_to: string | null;
  status: 'active' | 'disabled';
  sync_status: SyncStatus;
  staff_ids: number[];
  staff: LiveCodeStaff[];
  /** The public landing /c/{key}: picks a staff member, counts a scan and redirects to their QR code. */
  landing_url: string;
  created_at: string;
  updated_at: string;
}

export interface LiveCodeInput {
  name?: string;
  channel?: LiveCodeChannel;
  staff_ids?: number[];
  assign_mode?: AssignMode;
  daily_cap?: number | null;
  tag_ids?: number[];
  welcome?: WelcomeMessage;
  coupon_template_id?: number | null;
  skip_verify?: boolean;
  valid_from?: string | null;
  valid_to?: string | null;
  status?: 'active' | 'disabled';
}

export interface DayCounts {
  day: string;
  scans: number;
  adds: number;
  losses: number;
  net_adds: number;
}

/** `from` and `to` are local days of the tenant, both included. */
export interface LiveCodeStatsReport {
  from: string;
  to: string;
  time_zone: string;
  live_codes: { live_code_id: number; name: string; channel: LiveCodeChannel; days: DayCounts[]; total: DayCounts }[];
  channels: { channel: LiveCodeChannel; days: DayCounts[]; total: DayCounts }[];
  total: DayCounts;
}

export interface Group {
  id: number;
  chat_id: string;
  name: string;
  owner_userid: string | null;
  owner_staff_id: number | null;
  notice: string | null;
  member_count: number;
  customer_count: number;
  status: 'active' | 'dismissed';
  created_at: string | null;
  dismissed_at: string | null;
  synced_at: string | null;
  updated_at: string;
}

export type GroupMemberType = 'staff' | 'customer';

export interface GroupMember {
  member_id: string;
  type: GroupMemberType;
  customer_id: number | null;
  unionid: string | null;
  name: string | null;
  join_time: string | null;
  /** 1 invited directly, 2 by link, 3 scanned the group QR code. */
  join_scene: number | null;
  invitor: string | null;
}

/** A group with its members, as one group is read. */
export interface GroupDetail extends Group {
  members: GroupMember[];
}

export interface GroupHistoryEntry {
  id: number;
  group_id: number;
  chat_id: string;
  group_name: string;
  member_id: string;
  type: GroupMemberType;
  customer_id: number | null;
  action: 'joined' | 'left';
  join_scene: number | null;
  quit_scene: number | null;
  invitor: string | null;
  at: string;
}

export interface GroupSyncReport {
  groups: number;
  created: number;
  joined: number;
  left: number;
  dismissed: number;
}

export interface GroupLiveCodeEntry {
  group_id: number;
  qr_url: string;
  chat_id: string;
  group_name: string;
  member_count: number;
  group_status: string;
  scans: number;
  full: boolean;
}

export interface GroupLiveCode {
  id: number;
  key: string;
  /** The public /g/{key} that sends a scanner to the current group. */
  url: string;
  name: string;
  member_limit: number;
  scans: number;
  full_scans: number;
  /** Every group was full at the last scan. */
  all_full: boolean;
  all_full_at: string | null;
  groups: GroupLiveCodeEntry[];
  created_at: string;
  updated_at: string;
}

export interface GroupLiveCodeInput {
  name?: string;
  member_limit?: number;
  groups?: { group_id: number; qr_url: string }[];
}

export interface ItemCodeBatch {
  id: number;
  name: string;
  count: number;
  target_type: 'live_code' | 'url';
  target: string;
  /** Where a scan leads: the live code's landing or the URL. */
  target_url: string;
  live_code_id: number | null;
  created_at: string;
  created_by: string;
  used_codes: number;
  scans: number;
}

export interface ItemCodeBatchInput {
  name: string;
  count: number;
  live_code_id?: number;
  target_url?: string;
}

export interface ItemCode {
  code: string;
  /** The public /s/{code} printed as the QR code. */
  url: string;
  used: boolean;
  scans: number;
  first_scanned_at: string | null;
  last_scanned_at: string | null;
}

export type TransferKind = 'on_job' | 'resigned';

export const TRANSFER_STATUSES = ['submitting', 'waiting', 'accepted', 'refused', 'limit', 'failed'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

export interface TransferCustomer {
  external_userid: string;
  customer_id: number | null;
  status: TransferStatus;
  errcode: number | null;
  errmsg: string | null;
  takeover_time: string | null;
  submissions: number;
  /** Failed in a way WeCom allows to submit again. */
  retryable: boolean;
}

export interface Transfer {
  id: number;
  kind: TransferKind;
  handover_userid: string;
  takeover_userid: string;
  transfer_msg: string | null;
  status: 'running' | 'finished';
  /** Customers per status. */
  counts: Record<TransferStatus, number>;
  customers: TransferCustomer[];
  groups: { chat_id: string; status: string; errcode: number | null; errmsg: string | null }[];
  created_by: string;
  created_at: string;
  updated_at: string;
  polled_at: string | null;
}

export interface TransferInput {
  kind: TransferKind;
  handover_userid: string;
  takeover_userid: string;
  external_userids?: string[];
  all_customers?: boolean;
  include_groups?: boolean;
  transfer_msg?: string;
}

export interface MassSendChunk {
  id: number;
  staff_id: number | null;
  userid: string;
  target_count: number;
  status: 'pending' | 'submitting' | 'created' | 'failed';
  msgid: string | null;
  fail_list: string[];
  error: string | null;
  sent: number;
  unsent: number;
  not_friend: number;
  already_received: number;
  failed: number;
}

export interface ShortLink {
  code: string;
  url: string;
  short_url: string;
  clicks: number;
  unique_clickers: number;
}

export interface MassSend {
  id: number;
  name: string;
  segment_id: number;
  text: string;
  original_text: string;
  attachments: Record<string, unknown>[];
  scheduled_at: string | null;
  status: 'scheduled' | 'sending' | 'sent' | 'failed';
  month: string | null;
  target_count: number;
  skipped_monthly_limit: number;
  skipped_no_owner: number;
  created_at: string;
  created_by: string;
  dispatched_at: string | null;
  polled_at: string | null;
  sent: number;
  unsent: number;
  not_friend: number;
  already_received: number;
  failed: number;
  clicks: number;
  unique_clickers: number;
  /** unique clickers / sent; null before anything was sent. */
  click_through_rate: number | null;
  chunks: MassSendChunk[];
  links: ShortLink[];
}

export interface MassSendInput {
  name: string;
  segment_id: number;
  text: string;
  attachments?: Record<string, unknown>[];
  scheduled_at?: string;
}
