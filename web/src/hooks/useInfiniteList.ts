import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import type { ApiError } from '../api/client';
import type { Page } from '../api/types';
import { toApiError } from './useAsync';

export interface InfiniteList<T> {
  rows: T[];
  loading: boolean;
  error: ApiError | undefined;
  /** More pages remain on the server. */
  hasMore: boolean;
  loadMore: () => void;
  /** Repeats the request that failed. */
  retry: () => void;
}

interface State<T> {
  rows: T[];
  next: string | null;
  started: boolean;
  loading: boolean;
  error?: ApiError;
}

const INITIAL = { rows: [], next: null, started: false, loading: true };

/**
 * A cursor-paginated list that grows page by page (infinite scroll). A change of `resetKey`
 * starts again from the first page; answers to earlier keys are dropped.
 */
export function useInfiniteList<T>(
  fetchPage: (cursor: string | null, limit: number) => Promise<Page<T>>,
  resetKey: string,
  limit = 20,
): InfiniteList<T> {
  const [state, setState] = useState<State<T>>(INITIAL);
  const generation = useRef(0);
  const inFlight = useRef(false);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  const load = useCallback(
    (cursor: string | null, gen: number) => {
      inFlight.current = true;
      setState((current) => ({ ...current, loading: true, error: undefined }));
      fetchRef
        .current(cursor, limit)
        .then((page) => {
          if (gen !== generation.current) return;
          setState((current) => ({
            rows: cursor ? [...current.rows, ...page.data] : page.data,
            next: page.next_cursor,
            started: true,
            loading: false,
          }));
        })
        .catch((reason: unknown) => {
          if (gen !== generation.current) return;
          setState((current) => ({ ...current, loading: false, error: toApiError(reason) }));
        })
        .finally(() => {
          if (gen === generation.current) inFlight.current = false;
        });
    },
    [limit],
  );

  useEffect(() => {
    const gen = ++generation.current;
    setState(INITIAL);
    load(null, gen);
  }, [resetKey, load]);

  const loadMore = useCallback(() => {
    if (inFlight.current || !state.next || state.error) return;
    load(state.next, generation.current);
  }, [load, state.next, state.error]);

  const retry = useCallback(() => {
    if (inFlight.current) return;
    load(state.started ? state.next : null, generation.current);
  }, [load, state.started, state.next]);

  return {
    rows: state.rows,
    loading: state.loading,
    error: state.error,
    hasMore: Boolean(state.next),
    loadMore,
    retry,
  };
}

/**
 * Calls `onVisible` when the element comes within `margin` of the viewport. The observer is set
 * up again whenever `watch` changes, so a sentinel still in view after a page loaded fires again.
 */
export function useWhenVisible(
  ref: RefObject<Element | null>,
  onVisible: () => void,
  enabled: boolean,
  watch: unknown,
  margin = '240px',
): void {
  const callback = useRef(onVisible);
  callback.current = onVisible;
  useEffect(() => {
    const element = ref.current;
    if (!enabled || !element || typeof IntersectionObserver === 'undefined') return undefined;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) callback.current();
      },
      { rootMargin: `0px 0px ${margin} 0px` },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref, enabled, watch, margin]);
}
