import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
let version = 0;

/** Tells the customer page's sections that the customer's tags changed elsewhere on the page. */
export function customerTagsChanged(): void {
  version += 1;
  listeners.forEach((listener) => listener());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A number that changes whenever `customerTagsChanged` is called, for use in effect dependencies. */
export function useCustomerTagsVersion(): number {
  return useSyncExternalStore(subscribe, () => version);
}
