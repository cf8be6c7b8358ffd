import { api } from './client';
import type { Page, Store, StoreInput } from './types';

const PAGE_LIMIT = 200;

/** Reads every store of the tenant, following the cursor to the last page. */
async function listAll(): Promise<Store[]> {
  const stores: Store[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<Store> = await api.get<Page<Store>>('/stores', { limit: PAGE_LIMIT, cursor });
    stores.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return stores;
}

export const storesApi = {
  listAll,
  create: (input: StoreInput) => api.post<Store>('/stores', input),
  update: (id: number, input: StoreInput) => api.patch<Store>(`/stores/${id}`, input),
  remove: (id: number) => api.delete(`/stores/${id}`),
};
