import { request } from './client';
import type { SessionInfo } from './types';

export const authApi = {
  me: () => request<SessionInfo>('GET', '/auth/me', { quiet401: true }),
  login: (email: string, password: string) =>
    request<SessionInfo>('POST', '/auth/login', { body: { email, password }, quiet401: true }),
  logout: () => request<void>('POST', '/auth/logout', { quiet401: true }),
  switchTenant: (tenantId: number) =>
    request<SessionInfo>('POST', '/auth/switch-tenant', { body: { tenant_id: tenantId } }),
};
