import { useCallback, useState } from 'react';
import type { Page } from '../api/types';
import { useAsync, type AsyncState } from './useAsync';

export interface CursorPager<T> {
  rows: T[];
  state: AsyncState<Page<T>>;
  pageIndex: number;
  hasPrev: boolean;
  hasNext: boolean;
  next: () => void;
  prev: () => void;
  limit: number;
  setLimit: (limit: number) => void;
}

interface Paging {
  key: string;
  limit: number;
  cursors: (string | null)[];
}

/**
 * Walks a cursor-paginated list one page at a time. The cursors of the pages already seen are
 * kept so "previous" needs no server support; a change of `filterKey` starts again at page one.
 */
export function useCursorPager<T>(
  fetchPage: (cursor: string | null, limit: number) => Promise<Page<T>>,
  filterKey: string,
  initialLimit = 20,
): CursorPager<T> {
  const [paging, setPaging] = useState<Paging>({ key: filterKey, limit: initialLimit, cursors: [null] });
  const cursors = paging.key === filterKey ? paging.cursors : [null];
  const { limit } = paging;
  const pageIndex = cursors.length - 1;
  const cursor = cursors[pageIndex];

  const state = useAsync(() => fetchPage(cursor, limit), [cursor, limit, filterKey]);
  const nextCursor = state.data?.next_cursor ?? null;

  const next = useCallback(() => {
    if (nextCursor) setPaging({ key: filterKey, limit, cursors: [...cursors, nextCursor] });
  }, [nextCursor, filterKey, limit, cursors]);
  const prev = useCallback(() => {
    if (cursors.length > 1) setPaging({ key: filterKey, limit, cursors: cursors.slice(0, -1) });
  }, [filterKey, limit, cursors]);
  const setLimit = useCallback(
    (value: number) => setPaging({ key: filterKey, limit: value, cursors: [null] }),
    [filterKey],
  );

  return {
    rows: state.data?.data ?? [],
    state,
    pageIndex,
    hasPrev: pageIndex > 0,
    hasNext: Boolean(nextCursor) && !state.loading,
    next,
    prev,
    limit,
    setLimit,
  };
}
