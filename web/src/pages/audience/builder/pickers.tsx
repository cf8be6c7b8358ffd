import { useMemo, useState } from 'react';
import { Select } from 'antd';
import { analyticsApi } from '../../../api/analytics';
import { segmentsApi } from '../../../api/segments';
import type { EventCount, Segment } from '../../../api/types';
import { eventNameLabel, isStandardEvent, STANDARD_EVENTS } from '../../../domain/events';
import { IDENTIFIER_RULE_TYPES } from '../../../domain/segmentRule';
import { useAsync } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';
import { isTenantWide, useSession } from '../../../session/SessionContext';

const eventCache = new Map<number, Promise<EventCount[]>>();
const segmentCache = new Map<number, Promise<Segment[]>>();

/** The tenant's event names by frequency over the last 90 days; empty when not allowed. */
function loadEvents(tenantId: number, allowed: boolean): Promise<EventCount[]> {
  if (!allowed) return Promise.resolve([]);
  let pending = eventCache.get(tenantId);
  if (!pending) {
    const to = new Date();
    const from = new Date(to.getTime() - 89 * 86_400_000);
    pending = analyticsApi
      .events(from.toISOString().slice(0, 10), to.toISOString().slice(0, 10))
      .then((counts) => counts.data)
      .catch(() => []);
    eventCache.set(tenantId, pending);
  }
  return pending;
}

/** Forgets the segments listed in pickers, after one was saved or deleted. */
export function invalidateSegmentPicker(): void {
  segmentCache.clear();
}

function loadSegments(tenantId: number): Promise<Segment[]> {
  let pending = segmentCache.get(tenantId);
  if (!pending) {
    pending = segmentsApi.list(undefined, null, 200).then((page) => page.data);
    pending.catch(() => segmentCache.delete(tenantId));
    segmentCache.set(tenantId, pending);
  }
  return pending;
}

interface EventPickerProps {
  value: string;
  onChange: (value: string) => void;
  testId?: string;
}

/**
 * Picks an event name: the tenant's events by frequency, then the standard events, or any
 * name typed in.
 */
export function EventNamePicker({ value, onChange, testId }: EventPickerProps) {
  const t = useT();
  const session = useSession();
  const allowed = isTenantWide(session) && session.permissions.includes('analytics.read');
  const { data } = useAsync(() => loadEvents(session.tenant.id, allowed), [session.tenant.id, allowed]);
  const [search, setSearch] = useState('');
  const typed = search.trim();
  const options = useMemo(() => {
    const seen = new Set<string>();
    const option = (name: string, count?: number) => {
      seen.add(name);
      const label = eventNameLabel(name, t);
      const text = label === name ? name : `${label} · ${name}`;
      return {
        value: name,
        label: count === undefined ? text : t('builder.eventCount', { name: text, count }),
        search: `${label} ${name}`.toLowerCase(),
      };
    };
    const frequent = (data ?? [])
      .filter((row) => row.event && !row.event.startsWith('$'))
      .map((row) => option(row.event, row.events));
    const standard = STANDARD_EVENTS.filter((name) => !seen.has(name)).map((name) => option(name));
    const current = value && !seen.has(value) ? [option(value)] : [];
    const custom =
      typed && !seen.has(typed) && typed !== value
        ? [{ value: typed, label: t('builder.useTyped', { name: typed }), search: typed.toLowerCase() }]
        : [];
    return [...current, ...frequent, ...standard, ...custom];
  }, [data, t, value, typed]);
  return (
    <Select
      showSearch
      value={value || undefined}
      placeholder={t('builder.eventPlaceholder')}
      options={options}
      searchValue={search}
      onSearch={setSearch}
      filterOption={(input, option) =>
        option?.value === input.trim() || (option?.search ?? '').includes(input.trim().toLowerCase())
      }
      onChange={(next: string) => {
        setSearch('');
        onChange(next);
      }}
      labelRender={({ value: name }) => eventNameLabel(String(name), t)}
      popupMatchSelectWidth={320}
      style={{ width: 220 }}
      data-testid={testId}
      title={value && isStandardEvent(value) ? value : undefined}
    />
  );
}

interface SegmentPickerProps {
  value: number | null;
  onChange: (value: number) => void;
  /** The segment being edited, which may not refer to itself. */
  excludeId?: number;
}

export function SegmentPicker({ value, onChange, excludeId }: SegmentPickerProps) {
  const t = useT();
  const tenantId = useSession().tenant.id;
  const { data, loading } = useAsync(() => loadSegments(tenantId), [tenantId]);
  const options = (data ?? [])
    .filter((segment) => segment.id !== excludeId)
    .map((segment) => ({ value: segment.id, label: segment.name, search: segment.name.toLowerCase() }));
  if (value && !options.some((option) => option.value === value)) {
    options.unshift({ value, label: `#${value}`, search: String(value) });
  }
  return (
    <Select
      showSearch
      loading={loading}
      value={value ?? undefined}
      placeholder={t('builder.segmentPlaceholder')}
      options={options}
      filterOption={(input, option) => Boolean(option?.search.includes(input.toLowerCase()))}
      onChange={onChange}
      notFoundContent={loading ? undefined : t('builder.segmentNone')}
      style={{ width: 240 }}
    />
  );
}

/** Picks an identifier type of the rule language, or a tenant's `custom:<name>` typed in. */
export function IdentifierTypePicker({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const t = useT();
  const [search, setSearch] = useState('');
  const typed = search.trim().toLowerCase();
  const custom = typed ? (typed.startsWith('custom:') ? typed : `custom:${typed}`) : '';
  const builtIn = IDENTIFIER_RULE_TYPES.map((type) => ({
    value: type as string,
    label: t(`builder.identifier.${type}`),
    search: `${type} ${t(`builder.identifier.${type}`)}`.toLowerCase(),
  }));
  const extra = [value, custom]
    .filter((type, index, all) => type && all.indexOf(type) === index)
    .filter((type) => !builtIn.some((option) => option.value === type))
    .map((type) => ({ value: type, label: type, search: type }));
  return (
    <Select
      showSearch
      value={value || undefined}
      searchValue={search}
      onSearch={setSearch}
      onChange={(next: string) => {
        setSearch('');
        onChange(next);
      }}
      options={[...builtIn, ...extra]}
      filterOption={(input, option) =>
        option?.value === custom || Boolean(option?.search.includes(input.trim().toLowerCase()))
      }
      placeholder={t('builder.identifierPlaceholder')}
      style={{ width: 220 }}
    />
  );
}
