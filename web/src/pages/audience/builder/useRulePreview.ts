import { useEffect, useRef, useState } from 'react';
import type { ApiError } from '../../../api/client';
import { segmentsApi } from '../../../api/segments';
import type { SegmentPreview } from '../../../api/types';
import { ALL_CUSTOMERS, firstIncomplete, isEmptyRule, type RuleNode } from '../../../domain/segmentRule';
import { toApiError } from '../../../hooks/useAsync';

export const PREVIEW_DELAY_MS = 400;

export interface RulePreviewState {
  /** The last answer; kept while a newer one is on its way. */
  data: SegmentPreview | undefined;
  error: ApiError | undefined;
  loading: boolean;
  /** A condition is not filled in yet, so the count waits. */
  waiting: boolean;
  /** The rule has no condition yet: the count is every customer. */
  everyone: boolean;
}

/**
 * Counts the customers a rule matches while it is edited: asks the server once the rule has
 * stayed unchanged for a moment, and drops answers to rules edited since.
 */
export function useRulePreview(rule: RuleNode): RulePreviewState {
  const key = JSON.stringify(rule);
  const everyone = isEmptyRule(rule);
  const waiting = !everyone && firstIncomplete(rule) !== null;
  const [data, setData] = useState<SegmentPreview>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(false);
  const latest = useRef(0);

  useEffect(() => {
    const run = ++latest.current;
    if (waiting) {
      setLoading(false);
      setError(undefined);
      return undefined;
    }
    setLoading(true);
    const timer = window.setTimeout(() => {
      segmentsApi
        .preview(everyone ? ALL_CUSTOMERS : (JSON.parse(key) as RuleNode))
        .then((answer) => {
          if (run !== latest.current) return;
          setData(answer);
          setError(undefined);
        })
        .catch((reason: unknown) => {
          if (run === latest.current) setError(toApiError(reason));
        })
        .finally(() => {
          if (run === latest.current) setLoading(false);
        });
    }, PREVIEW_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [key, waiting, everyone]);

  return { data, error, loading, waiting, everyone };
}
