import { api } from './client';
import type { IdentityConflict, Page } from './types';

export const identityApi = {
  conflicts: (cursor: string | null, limit: number) =>
    api.get<Page<IdentityConflict>>('/identity/conflicts', { cursor, limit }),
};
