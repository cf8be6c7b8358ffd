import { api } from './client';
import type { LoyaltyStats, OverviewStats } from './types';

export const statsApi = {
  overview: (from?: string, to?: string) => api.get<OverviewStats>('/stats/overview', { from, to }),
  /** Orders, new members by channel and members by tier; store roles get their stores' figures. */
  loyalty: (from?: string, to?: string) => api.get<LoyaltyStats>('/stats/loyalty', { from, to }),
};
