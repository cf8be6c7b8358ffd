import { useMemo } from 'react';
import { useI18n, type Locale } from '../i18n';
import { useSessionContext } from '../session/SessionContext';

const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export interface Formatters {
  /** A timestamp as a date and time of day in the tenant's time zone. */
  dateTime: (iso: string | null | undefined) => string;
  /** A timestamp as a calendar date in the tenant's time zone. */
  date: (iso: string | null | undefined) => string;
  /** A whole or decimal number with the locale's grouping. */
  number: (value: number | null | undefined) => string;
  /** Money given in minor units (分), exact to the minor unit. */
  money: (minor: number | null | undefined, currency?: string) => string;
  timeZone: string;
}

const EMPTY = '—';

/** Formats integer minor units without going through floating point. */
export function formatMoney(minor: number, currency: string, locale: Locale): string {
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency, currencyDisplay: 'narrowSymbol' });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const negative = minor < 0;
  const units = BigInt(Math.abs(Math.trunc(minor)));
  const scale = 10n ** BigInt(digits);
  const whole = units / scale;
  const fraction = (units % scale).toString().padStart(digits, '0');
  const decimal = digits > 0 ? `${whole}.${fraction}` : `${whole}`;
  return format.format(`${negative ? '-' : ''}${decimal}` as unknown as number);
}

export function makeFormatters(locale: Locale, timeZone: string, currency: string): Formatters {
  const dateTimeFormat = new Intl.DateTimeFormat(locale, {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
  const dateFormat = new Intl.DateTimeFormat(locale, { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const numberFormat = new Intl.NumberFormat(locale);
  const parse = (iso: string | null | undefined) => {
    if (!iso) return null;
    const value = new Date(iso);
    return Number.isNaN(value.getTime()) ? null : value;
  };
  return {
    timeZone,
    dateTime: (iso) => {
      const value = parse(iso);
      return value ? dateTimeFormat.format(value) : EMPTY;
    },
    date: (iso) => {
      const value = parse(iso);
      return value ? dateFormat.format(value) : EMPTY;
    },
    number: (value) => (value === null || value === undefined ? EMPTY : numberFormat.format(value)),
    money: (minor, code) =>
      minor === null || minor === undefined ? EMPTY : formatMoney(minor, code ?? currency, locale),
  };
}

/** Formatters for the current locale and the tenant's time zone and currency. */
export function useFormat(): Formatters {
  const { locale } = useI18n();
  const { state } = useSessionContext();
  const tenant = state.status === 'authenticated' ? state.session.tenant : null;
  const timeZone = tenant?.time_zone || DEFAULT_TIME_ZONE;
  const currency = tenant?.currency || 'CNY';
  return useMemo(() => makeFormatters(locale, timeZone, currency), [locale, timeZone, currency]);
}

/** Today's date (YYYY-MM-DD) in a time zone. */
export function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(),
  );
}
