import type { CustomerFilters } from '../../api/types';

const KEYS = ['q', 'name', 'phone', 'store_id', 'created_from', 'created_to'] as const;

/** Reads the list filters kept in the URL, so the list survives a visit to a detail page. */
export function filtersFromParams(params: URLSearchParams): CustomerFilters {
  const filters: CustomerFilters = {};
  for (const key of KEYS) {
    const value = params.get(key);
    if (!value) continue;
    if (key === 'store_id') {
      const id = Number(value);
      if (Number.isInteger(id) && id > 0) filters.store_id = id;
    } else {
      filters[key] = value;
    }
  }
  return filters;
}

export function filtersToParams(filters: CustomerFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = filters[key];
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  return params;
}

export function countAdvancedFilters(filters: CustomerFilters): number {
  return KEYS.filter((key) => key !== 'q' && key !== 'created_to' && filters[key] !== undefined).length;
}
