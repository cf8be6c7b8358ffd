import { api, requestFile } from './client';
import type {
  CustomerSegments,
  Page,
  Segment,
  SegmentExportField,
  SegmentInput,
  SegmentMemberPage,
  SegmentPreview,
  SegmentRule,
  SegmentSizes,
} from './types';

export const segmentsApi = {
  list: (q: string | undefined, cursor: string | null, limit: number) =>
    api.get<Page<Segment>>('/segments', { q, cursor, limit }),
  get: (id: number) => api.get<Segment>(`/segments/${id}`),
  create: (input: SegmentInput) => api.post<Segment>('/segments', input),
  replace: (id: number, input: SegmentInput) => api.put<Segment>(`/segments/${id}`, input),
  remove: (id: number) => api.delete(`/segments/${id}`),
  /** Counts and samples the customers an unsaved rule matches; rule errors name their JSON path. */
  preview: (rule: SegmentRule) => api.post<SegmentPreview>('/segments/preview', { rule }),
  members: (id: number, cursor: string | null, limit: number) =>
    api.get<SegmentMemberPage>(`/segments/${id}/members`, { cursor, limit }),
  /** The members as CSV with the chosen columns. */
  exportCsv: (id: number, fields: readonly SegmentExportField[]) =>
    requestFile(`/segments/${id}/export`, { fields: fields.join(',') }),
  /** Daily sizes in the tenant's time zone; tenant-wide, so it needs analytics.read. */
  sizes: (id: number, from?: string, to?: string) => api.get<SegmentSizes>(`/segments/${id}/sizes`, { from, to }),
  ofCustomer: (customerId: number) => api.get<CustomerSegments>(`/customers/${customerId}/segments`),
};
