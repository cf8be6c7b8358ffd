import { api, request } from './client';
import type {
  CustomerTags,
  Page,
  Questionnaire,
  QuestionnaireAnswer,
  QuestionnaireAnswerInput,
  QuestionnaireInput,
  Tag,
  TagGroup,
  TagBulkInput,
  TagBulkJob,
  TagBulkResult,
  TagGroupInput,
  TagHistoryEntry,
  TagInput,
  TagKind,
} from './types';

export interface TagFilters {
  group_id?: number;
  kind?: TagKind;
  q?: string;
}

export const tagsApi = {
  groups: () => api.get<{ data: TagGroup[] }>('/tag-groups'),
  createGroup: (input: TagGroupInput) => api.post<TagGroup>('/tag-groups', input),
  updateGroup: (id: number, input: TagGroupInput) => api.patch<TagGroup>(`/tag-groups/${id}`, input),
  /** With `force` the group's tags are deleted too; without it a group with tags is refused. */
  removeGroup: (id: number, force = false) => api.delete(`/tag-groups/${id}`, { force: force || undefined }),
  list: (filters: TagFilters = {}) => api.get<{ data: Tag[] }>('/tags', { ...filters }),
  create: (input: TagInput) => api.post<Tag>('/tags', input),
  update: (id: number, input: TagInput) => api.patch<Tag>(`/tags/${id}`, input),
  remove: (id: number) => api.delete(`/tags/${id}`),
  /** Explicit tags with their source and time, and the rule tags the customer matches. */
  ofCustomer: (customerId: number) => api.get<CustomerTags>(`/customers/${customerId}/tags`),
  /** Answers the customer's tags afterwards. */
  apply: (customerId: number, tagIds: number[]) =>
    api.post<CustomerTags>(`/customers/${customerId}/tags`, { tag_ids: tagIds }),
  /** Takes one tag off the customer (and off customers merged into it); answers the tags afterwards. */
  unapply: (customerId: number, tagId: number) =>
    request<CustomerTags>('DELETE', `/customers/${customerId}/tags/${tagId}`),
  /** Tags listed customers at once (200), or a segment's members and long lists as a job (202). */
  bulk: (input: TagBulkInput) => api.post<TagBulkResult | TagBulkJob>('/tags/bulk', input),
  bulkJob: (id: number) => api.get<TagBulkJob>(`/tags/bulk/${id}`),
  history: (customerId: number, cursor: string | null, limit: number) =>
    api.get<Page<TagHistoryEntry>>(`/customers/${customerId}/tag-history`, { cursor, limit }),
};

export const questionnairesApi = {
  list: (cursor: string | null, limit: number) => api.get<Page<Questionnaire>>('/questionnaires', { cursor, limit }),
  get: (id: number) => api.get<Questionnaire>(`/questionnaires/${id}`),
  create: (input: QuestionnaireInput) => api.post<Questionnaire>('/questionnaires', input),
  update: (id: number, input: QuestionnaireInput) => api.patch<Questionnaire>(`/questionnaires/${id}`, input),
  remove: (id: number) => api.delete(`/questionnaires/${id}`),
  /** Stores a customer's answers and applies the tags their choices map to. */
  submit: (id: number, input: QuestionnaireAnswerInput) =>
    api.post<QuestionnaireAnswer>(`/questionnaires/${id}/answers`, input),
  answersOf: (customerId: number, cursor: string | null, limit: number) =>
    api.get<Page<QuestionnaireAnswer>>(`/customers/${customerId}/questionnaire-answers`, { cursor, limit }),
};
