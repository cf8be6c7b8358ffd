import { useMemo } from 'react';
import { storesApi } from '../api/stores';
import type { Store } from '../api/types';
import { useSession } from '../session/SessionContext';
import { useAsync, type AsyncState } from './useAsync';

const cache = new Map<number, Promise<Store[]>>();

/** Forgets the cached stores, after a store was created, changed or deleted. */
export function invalidateStores(): void {
  cache.clear();
}

function loadStores(tenantId: number): Promise<Store[]> {
  let pending = cache.get(tenantId);
  if (!pending) {
    pending = storesApi.listAll();
    pending.catch(() => cache.delete(tenantId));
    cache.set(tenantId, pending);
  }
  return pending;
}

export interface StoresState extends AsyncState<Store[]> {
  byId: Map<number, Store>;
}

/** Every store of the current tenant, shared by the pages that need names or pickers. */
export function useStores(): StoresState {
  const tenantId = useSession().tenant.id;
  const state = useAsync(() => loadStores(tenantId), [tenantId]);
  const byId = useMemo(() => new Map((state.data ?? []).map((store) => [store.id, store])), [state.data]);
  return { ...state, byId };
}

/** The given stores and every store below them in the hq → region → store tree. */
export function withDescendants(stores: readonly Store[], rootIds: readonly number[]): Set<number> {
  const result = new Set(rootIds);
  let grew = true;
  while (grew) {
    grew = false;
    for (const store of stores) {
      if (store.parent_id !== null && result.has(store.parent_id) && !result.has(store.id)) {
        result.add(store.id);
        grew = true;
      }
    }
  }
  return result;
}
