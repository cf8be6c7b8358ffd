import { api } from './client';
import type { EventCounts, RfmSettings, RfmSummary } from './types';

export const analyticsApi = {
  /** Per event name, most frequent first; tenant-wide, so store roles get 403. */
  events: (from?: string, to?: string) => api.get<EventCounts>('/analytics/events', { from, to }),
  rfm: () => api.get<RfmSummary>('/analytics/rfm'),
  rfmSettings: () => api.get<RfmSettings>('/analytics/rfm/settings'),
  /** Thresholds left null follow the tenant's mean. */
  updateRfmSettings: (settings: Partial<RfmSettings>) => api.put<RfmSettings>('/analytics/rfm/settings', settings),
};
