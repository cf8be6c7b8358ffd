import { api } from './client';
import type { Tenant } from './types';

export interface TenantUpdateInput {
  name?: string;
  time_zone?: string;
  currency?: string;
}

export const tenantApi = {
  get: () => api.get<Tenant>('/tenant'),
  update: (input: TenantUpdateInput) => api.patch<Tenant>('/tenant', input),
};
