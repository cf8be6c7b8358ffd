import { api } from './client';
import type { OverviewStats } from './types';

export const statsApi = {
  overview: (from?: string, to?: string) => api.get<OverviewStats>('/stats/overview', { from, to }),
};
