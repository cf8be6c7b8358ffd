import { api } from './client';
import type {
  Customer,
  CustomerEvent,
  CustomerEventFilters,
  CustomerFilters,
  CustomerInput,
  CustomerMerge,
  Page,
} from './types';

export const customersApi = {
  list: (filters: CustomerFilters, cursor: string | null, limit: number) =>
    api.get<Page<Customer>>('/customers', { ...filters, cursor, limit }),
  /** A merged id answers the surviving customer, whose `id` then differs from the one asked for. */
  get: (id: number) => api.get<Customer>(`/customers/${id}`),
  create: (input: CustomerInput) => api.post<Customer>('/customers', input),
  update: (id: number, input: CustomerInput) => api.patch<Customer>(`/customers/${id}`, input),
  remove: (id: number) => api.delete(`/customers/${id}`),
  events: (id: number, filters: CustomerEventFilters, cursor: string | null, limit: number) =>
    api.get<Page<CustomerEvent>>(`/customers/${id}/events`, { ...filters, cursor, limit }),
  merges: (id: number) => api.get<{ data: CustomerMerge[] }>(`/customers/${id}/merges`),
  /** Undoes a merge into `id`; answers the survivor afterwards. */
  unmerge: (id: number, mergeId: number) => api.post<Customer>(`/customers/${id}/unmerge`, { merge_id: mergeId }),
};
