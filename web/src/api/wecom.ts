import { api, requestFile } from './client';
import type { Page } from './types';
import type {
  Group,
  GroupHistoryEntry,
  GroupLiveCode,
  GroupLiveCodeInput,
  GroupDetail,
  GroupSyncReport,
  InboxStats,
  ItemCode,
  ItemCodeBatch,
  ItemCodeBatchInput,
  LiveCode,
  LiveCodeInput,
  LiveCodeStatsReport,
  LossAlert,
  MassSend,
  MassSendInput,
  OutboxMessage,
  OutboxPage,
  OutboxStatus,
  Owner,
  Staff,
  StaffFilters,
  StaffPatch,
  StaffSyncReport,
  Transfer,
  TransferInput,
  Webhook,
  WebhookInput,
  WecomConfig,
  WecomConfigInput,
} from './wecomTypes';

const W = '/wecom';

export const wecomApi = {
  config: () => api.get<WecomConfig>(`${W}/config`),
  updateConfig: (input: WecomConfigInput) => api.put<WecomConfig>(`${W}/config`, input),
  inbox: (limit = 20) => api.get<InboxStats>(`${W}/inbox`, { limit }),
  retryInbox: (id: number) => api.post<void>(`${W}/inbox/${id}/retry`),

  staff: (filters: StaffFilters, cursor: string | null, limit: number) =>
    api.get<Page<Staff>>(`${W}/staff`, { ...filters, cursor, limit }),
  staffMember: (id: number) => api.get<Staff>(`${W}/staff/${id}`),
  /** The staff member linked to the signed-in user; undefined (204) when none is. */
  myStaff: () => api.get<Staff | undefined>(`${W}/staff/me`),
  updateStaff: (id: number, patch: StaffPatch) => api.patch<Staff>(`${W}/staff/${id}`, patch),
  syncStaff: () => api.post<StaffSyncReport>(`${W}/staff/sync`),
  staffCustomers: (id: number, cursor: string | null, limit: number) =>
    api.get<Page<Owner> & { staff: Staff }>(`${W}/staff/${id}/customers`, { cursor, limit }),

  alerts: (unread: boolean | undefined, cursor: string | null, limit: number) =>
    api.get<Page<LossAlert> & { unread_count: number }>(`${W}/alerts`, { unread, cursor, limit }),
  markAlertsRead: (ids: number[]) => api.post<{ marked: number }>(`${W}/alerts/read`, { ids }),

  liveCodes: (filters: { channel?: string; status?: string }, cursor: string | null, limit: number) =>
    api.get<Page<LiveCode>>(`${W}/live-codes`, { ...filters, cursor, limit }),
  liveCode: (id: number) => api.get<LiveCode>(`${W}/live-codes/${id}`),
  createLiveCode: (input: LiveCodeInput) => api.post<LiveCode>(`${W}/live-codes`, input),
  updateLiveCode: (id: number, input: LiveCodeInput) => api.patch<LiveCode>(`${W}/live-codes/${id}`, input),
  removeLiveCode: (id: number) => api.delete(`${W}/live-codes/${id}`),
  liveCodeStats: (query: { from: string; to: string; live_code_id?: number; channel?: string }) =>
    api.get<LiveCodeStatsReport>(`${W}/stats/live-codes`, query),

  groups: (filters: { q?: string; status?: string; owner?: string }, cursor: string | null, limit: number) =>
    api.get<Page<Group>>(`${W}/groups`, { ...filters, cursor, limit }),
  group: (id: number) => api.get<GroupDetail>(`${W}/groups/${id}`),
  groupHistory: (id: number, cursor: string | null, limit: number) =>
    api.get<Page<GroupHistoryEntry>>(`${W}/groups/${id}/history`, { cursor, limit }),
  syncGroups: () => api.post<GroupSyncReport>(`${W}/groups/sync`),

  groupLiveCodes: (cursor: string | null, limit: number) =>
    api.get<Page<GroupLiveCode>>(`${W}/group-live-codes`, { cursor, limit }),
  createGroupLiveCode: (input: GroupLiveCodeInput) => api.post<GroupLiveCode>(`${W}/group-live-codes`, input),
  updateGroupLiveCode: (id: number, input: GroupLiveCodeInput) =>
    api.patch<GroupLiveCode>(`${W}/group-live-codes/${id}`, input),
  removeGroupLiveCode: (id: number) => api.delete(`${W}/group-live-codes/${id}`),

  itemCodeBatches: (cursor: string | null, limit: number) =>
    api.get<Page<ItemCodeBatch>>(`${W}/item-code-batches`, { cursor, limit }),
  createItemCodeBatch: (input: ItemCodeBatchInput) => api.post<ItemCodeBatch>(`${W}/item-code-batches`, input),
  itemCodes: (id: number, cursor: string | null, limit: number) =>
    api.get<Page<ItemCode>>(`${W}/item-code-batches/${id}/codes`, { cursor, limit }),
  downloadItemCodes: (id: number, format: 'csv' | 'zip') =>
    requestFile(`${W}/item-code-batches/${id}/export.${format}`),

  transfers: (cursor: string | null, limit: number) => api.get<Page<Transfer>>(`${W}/transfers`, { cursor, limit }),
  transfer: (id: number) => api.get<Transfer>(`${W}/transfers/${id}`),
  createTransfer: (input: TransferInput) => api.post<Transfer>(`${W}/transfers`, input),
  retryTransfer: (id: number) => api.post<Transfer>(`${W}/transfers/${id}/retry`),
  /** Asks WeCom for the customers' transfer results now. */
  refreshTransfer: (id: number) => api.post<Transfer>(`${W}/transfers/${id}/refresh`),

  massSends: (cursor: string | null, limit: number) => api.get<Page<MassSend>>(`${W}/mass-sends`, { cursor, limit }),
  massSend: (id: number) => api.get<MassSend>(`${W}/mass-sends/${id}`),
  createMassSend: (input: MassSendInput) => api.post<MassSend>(`${W}/mass-sends`, input),
  /** Collects the send results from WeCom now. */
  refreshMassSend: (id: number) => api.post<MassSend>(`${W}/mass-sends/${id}/refresh`),

  customerOwners: (customerId: number) => api.get<{ data: Owner[] }>(`/customers/${customerId}/owners`),
  customerGroups: (customerId: number) =>
    api.get<{ customer_id: number; data: Group[]; history: GroupHistoryEntry[] }>(`/customers/${customerId}/groups`),
};

export const outboxApi = {
  list: (status: OutboxStatus | undefined, cursor: string | null, limit: number) =>
    api.get<OutboxPage>('/outbox', { status, cursor, limit }),
  retry: (id: number) => api.post<OutboxMessage>(`/outbox/${id}/retry`),
};

export const webhooksApi = {
  list: (cursor: string | null, limit: number) => api.get<Page<Webhook>>('/webhooks', { cursor, limit }),
  create: (input: WebhookInput) => api.post<Webhook>('/webhooks', input),
  update: (id: number, input: WebhookInput) => api.patch<Webhook>(`/webhooks/${id}`, input),
  remove: (id: number) => api.delete(`/webhooks/${id}`),
  test: (id: number) => api.post<OutboxMessage>(`/webhooks/${id}/test`),
};

/** The QR image of a per-item code, for <img> and download links. */
export function itemCodeQrUrl(batchId: number, code: string, format: 'png' | 'svg'): string {
  return `/api/v1${W}/item-code-batches/${batchId}/codes/${encodeURIComponent(code)}/qr.${format}`;
}

/** The QR image of a live code's landing /c/{key}, for posters. */
export function liveCodeQrUrl(id: number, format: 'png' | 'svg'): string {
  return `/api/v1${W}/live-codes/${id}/qr.${format}`;
}
