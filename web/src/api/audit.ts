import { api } from './client';
import type { AuditEntry, Page } from './types';

export interface AuditFilters {
  action?: string;
  actor?: string;
}

export const auditApi = {
  list: (filters: AuditFilters, cursor: string | null, limit: number) =>
    api.get<Page<AuditEntry>>('/audit-log', { ...filters, cursor, limit }),
};
