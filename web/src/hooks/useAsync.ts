import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';
import { ApiError } from '../api/client';

export interface AsyncState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
  setData: (data: T) => void;
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, { code: 'internal', message: error instanceof Error ? error.message : String(error) });
}

/** Runs `load` when `deps` change and keeps the latest answer; stale answers are dropped. */
export function useAsync<T>(load: () => Promise<T>, deps: DependencyList): AsyncState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);

  useEffect(() => {
    const run = ++latest.current;
    setLoading(true);
    setError(undefined);
    load()
      .then((value) => {
        if (run === latest.current) setData(value);
      })
      .catch((reason: unknown) => {
        if (run === latest.current) setError(toApiError(reason));
      })
      .finally(() => {
        if (run === latest.current) setLoading(false);
      });
    // `load` is deliberately not a dependency: callers list what it reads in `deps`.
  }, [...deps, generation]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data, error, loading, reload, setData };
}
