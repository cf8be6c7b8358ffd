import { api } from './client';
import type { EventCounts } from './types';

export const analyticsApi = {
  /** Per event name, most frequent first; tenant-wide, so store roles get 403. */
  events: (from?: string, to?: string) => api.get<EventCounts>('/analytics/events', { from, to }),
};
