import type { Store, StoreKind } from '../api/types';

export interface StoreNode extends Store {
  children?: StoreNode[];
}

const KIND_RANK: Record<StoreKind, number> = { hq: 0, region: 1, store: 2 };

/** Kinds a store of `kind` may hang below (a parent must be of a higher kind). */
export function parentKinds(kind: StoreKind): StoreKind[] {
  return (Object.keys(KIND_RANK) as StoreKind[]).filter((candidate) => KIND_RANK[candidate] < KIND_RANK[kind]);
}

/** The kind of a new store created below `parent`. */
export function childKind(parent: Store): StoreKind {
  return parent.kind === 'hq' ? 'region' : 'store';
}

function byKindThenName(a: Store, b: Store): number {
  return KIND_RANK[a.kind] - KIND_RANK[b.kind] || a.name.localeCompare(b.name, 'zh-CN');
}

/**
 * Arranges the flat store list as the hq → region → store tree. Stores whose parent is not in
 * the list (filtered out or unknown) become roots so nothing disappears.
 */
export function buildStoreTree(stores: readonly Store[]): StoreNode[] {
  const nodes = new Map<number, StoreNode>(stores.map((store) => [store.id, { ...store }]));
  const roots: StoreNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parent_id !== null ? nodes.get(node.parent_id) : undefined;
    if (parent) (parent.children ??= []).push(node);
    else roots.push(node);
  }
  const sort = (list: StoreNode[]) => {
    list.sort(byKindThenName);
    list.forEach((node) => node.children && sort(node.children));
  };
  sort(roots);
  return roots;
}

/** Stores matching `query`, plus their ancestors so the tree still shows where they sit. */
export function filterStores(stores: readonly Store[], query: string): Store[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return [...stores];
  const byId = new Map(stores.map((store) => [store.id, store]));
  const keep = new Set<number>();
  for (const store of stores) {
    if (![store.name, store.code, store.city ?? ''].some((value) => value.toLowerCase().includes(needle))) continue;
    for (
      let current: Store | undefined = store;
      current && !keep.has(current.id);
      current = current.parent_id !== null ? byId.get(current.parent_id) : undefined
    ) {
      keep.add(current.id);
    }
  }
  return stores.filter((store) => keep.has(store.id));
}

/** The stores in tree order (each parent followed by its children) with their depth. */
export function flattenStoreTree(stores: readonly Store[]): { store: Store; depth: number }[] {
  const rows: { store: Store; depth: number }[] = [];
  const visit = (nodes: StoreNode[], depth: number) => {
    for (const node of nodes) {
      rows.push({ store: node, depth });
      if (node.children) visit(node.children, depth + 1);
    }
  };
  visit(buildStoreTree(stores), 0);
  return rows;
}
