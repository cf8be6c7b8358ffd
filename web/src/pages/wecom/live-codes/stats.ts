import dayjs from 'dayjs';

/** The `days` local days up to and including `today` (YYYY-MM-DD), as the statistics API takes them. */
export function statsRange(today: string, days: number): { from: string; to: string } {
  return {
    from: dayjs(today)
      .subtract(days - 1, 'day')
      .format('YYYY-MM-DD'),
    to: today,
  };
}
