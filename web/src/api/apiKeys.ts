import { api } from './client';
import type { ApiKey, ApiKeyKind, Role } from './types';

export interface ApiKeyCreateInput {
  name: string;
  kind: ApiKeyKind;
  role?: Role;
}

export const apiKeysApi = {
  list: () => api.get<{ data: ApiKey[] }>('/api-keys'),
  create: (input: ApiKeyCreateInput) => api.post<ApiKey>('/api-keys', input),
  revoke: (id: number) => api.delete(`/api-keys/${id}`),
};
