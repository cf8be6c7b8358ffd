import { api } from './client';
import type { Customer, CustomerFilters, CustomerInput, Page } from './types';

export const customersApi = {
  list: (filters: CustomerFilters, cursor: string | null, limit: number) =>
    api.get<Page<Customer>>('/customers', { ...filters, cursor, limit }),
  get: (id: number) => api.get<Customer>(`/customers/${id}`),
  create: (input: CustomerInput) => api.post<Customer>('/customers', input),
  update: (id: number, input: CustomerInput) => api.patch<Customer>(`/customers/${id}`, input),
  remove: (id: number) => api.delete(`/customers/${id}`),
};
