import { useMemo, useRef, useState } from 'react';
import { Button, Card, DatePicker, Empty, Flex, Select, Skeleton, Spin, Tag, Timeline, Typography } from 'antd';
import { DownOutlined, RightOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import type { Dayjs } from 'dayjs';
import { customersApi } from '../../../api/customers';
import type { CustomerEvent, CustomerEventFilters } from '../../../api/types';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { eventNameLabel, isStandardEvent, messageLabel, STANDARD_EVENTS } from '../../../domain/events';
import { useFormat } from '../../../format';
import { useInfiniteList, useWhenVisible } from '../../../hooks/useInfiniteList';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT } from '../../../i18n';
import type { CustomerSectionProps } from './types';

const DAY = 'YYYY-MM-DD';
const PAGE_SIZE = 20;

function isEmptyObject(value: unknown): boolean {
  return !value || (typeof value === 'object' && Object.keys(value).length === 0);
}

function dotColor(event: CustomerEvent): string {
  if (event.type !== 'track') return 'gray';
  if (event.event === 'Order Refunded') return 'red';
  if (event.event === 'Order Completed') return 'green';
  return 'blue';
}

function EventItem({ event, customerId }: { event: CustomerEvent; customerId: number }) {
  const t = useT();
  const format = useFormat();
  const [open, setOpen] = useState(false);
  const label = messageLabel(event.type, event.event, t);
  const showRawName = event.type === 'track' && label !== event.event && Boolean(event.event);
  const refund = event.event === 'Order Refunded';
  const amount = event.revenue !== null ? format.money(event.revenue, event.currency ?? undefined) : null;
  return (
    <div className="siyu-event" data-testid="timeline-item">
      <Flex justify="space-between" align="baseline" gap={4} wrap>
        <Flex align="baseline" gap={6} wrap style={{ minWidth: 0 }}>
          <Typography.Text strong data-testid="timeline-event-label">
            {label}
          </Typography.Text>
          {showRawName ? (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {event.event}
            </Typography.Text>
          ) : null}
          {amount ? (
            <Tag color={refund ? 'red' : 'green'} style={{ marginInlineEnd: 0 }} data-testid="timeline-revenue">
              {refund ? t('timeline.refund', { amount }) : amount}
            </Tag>
          ) : null}
          {event.customer_id !== customerId ? (
            <Link to={`/customers/${event.customer_id}`} style={{ fontSize: 12 }}>
              {t('timeline.fromMerged', { id: event.customer_id })}
            </Link>
          ) : null}
        </Flex>
        <Typography.Text type="secondary" style={{ fontSize: 12, whiteSpace: 'nowrap' }}>
          {format.dateTime(event.timestamp)}
        </Typography.Text>
      </Flex>
      <Typography.Link
        onClick={() => setOpen(!open)}
        style={{ fontSize: 12 }}
        aria-expanded={open}
        data-testid="timeline-details-toggle"
      >
        {open ? <DownOutlined /> : <RightOutlined />} {t('timeline.details')}
      </Typography.Link>
      {open ? (
        <div className="siyu-event-details">
          <Typography.Text type="secondary">{t('timeline.properties')}</Typography.Text>
          <pre className="siyu-json">{JSON.stringify(event.properties ?? {}, null, 2)}</pre>
          {!isEmptyObject(event.context) ? (
            <>
              <Typography.Text type="secondary">{t('timeline.context')}</Typography.Text>
              <pre className="siyu-json">{JSON.stringify(event.context, null, 2)}</pre>
            </>
          ) : null}
          <Typography.Text type="secondary" style={{ fontSize: 12, wordBreak: 'break-all' }}>
            {t('timeline.meta', { id: event.message_id, at: format.dateTime(event.received_at) })}
          </Typography.Text>
        </div>
      ) : null}
    </div>
  );
}

/** Picks a standard event by its label or name, or filters by any name typed in. */
function EventNameSelect({ value, onChange }: { value?: string; onChange: (value: string | undefined) => void }) {
  const t = useT();
  const isMobile = useIsMobile();
  const [search, setSearch] = useState('');
  const typed = search.trim();
  const options = useMemo(() => {
    const standard = STANDARD_EVENTS.map((name) => {
      const label = eventNameLabel(name, t);
      return { value: name as string, label: label === name ? name : `${label} · ${name}`, search: `${label} ${name}` };
    });
    const current = value && !isStandardEvent(value) ? [{ value, label: value, search: value }] : [];
    const typedOption =
      typed && !isStandardEvent(typed) && typed !== value
        ? [{ value: typed, label: t('timeline.useTyped', { name: typed }), search: typed }]
        : [];
    return [...current, ...standard, ...typedOption];
  }, [t, value, typed]);

  return (
    <Select
      showSearch
      allowClear
      value={value}
      placeholder={t('timeline.eventPlaceholder')}
      options={options}
      searchValue={search}
      onSearch={setSearch}
      filterOption={(input, option) =>
        option?.value === input.trim() || (option?.search ?? '').toLowerCase().includes(input.trim().toLowerCase())
      }
      onChange={(next: string | undefined) => {
        setSearch('');
        onChange(next || undefined);
      }}
      style={{ width: isMobile ? '100%' : 260 }}
      data-testid="timeline-event-filter"
    />
  );
}

/** The customer's events, newest first, loading further pages while scrolling down. */
export function TimelineSection({ customer }: CustomerSectionProps) {
  const t = useT();
  const isMobile = useIsMobile();
  const [filters, setFilters] = useState<CustomerEventFilters>({});
  const [range, setRange] = useState<[Dayjs, Dayjs] | null>(null);
  const resetKey = JSON.stringify([customer.id, customer.merged_ids ?? [], filters]);
  const list = useInfiniteList(
    (cursor, limit) => customersApi.events(customer.id, filters, cursor, limit),
    resetKey,
    PAGE_SIZE,
  );
  const sentinel = useRef<HTMLDivElement>(null);
  useWhenVisible(sentinel, list.loadMore, list.hasMore && !list.loading && !list.error, list.rows.length);

  const filtered = Boolean(filters.event || filters.from || filters.to);
  const clear = () => {
    setRange(null);
    setFilters({});
  };
  const firstLoad = list.loading && list.rows.length === 0;

  return (
    <Card title={t('customer.section.timeline')} data-testid="customer-timeline">
      <Flex gap={8} wrap vertical={isMobile} style={{ marginBottom: 20 }}>
        <EventNameSelect value={filters.event} onChange={(event) => setFilters({ ...filters, event })} />
        <DatePicker.RangePicker
          value={range}
          onChange={(value) => {
            const next = value?.[0] && value[1] ? ([value[0], value[1]] as [Dayjs, Dayjs]) : null;
            setRange(next);
            setFilters({ ...filters, from: next?.[0].format(DAY), to: next?.[1].format(DAY) });
          }}
          style={isMobile ? { width: '100%' } : undefined}
          data-testid="timeline-range"
        />
      </Flex>
      {list.error && list.rows.length === 0 ? <ErrorAlert error={list.error} onRetry={list.retry} /> : null}
      {firstLoad ? <Skeleton active paragraph={{ rows: 6 }} /> : null}
      {!list.loading && !list.error && list.rows.length === 0 ? (
        <Empty
          image={Empty.PRESENTED_IMAGE_SIMPLE}
          description={t(filtered ? 'timeline.emptyFiltered' : 'timeline.empty')}
          data-testid="timeline-empty"
        >
          {filtered ? <Button onClick={clear}>{t('timeline.clearFilters')}</Button> : null}
        </Empty>
      ) : null}
      {list.rows.length ? (
        <Timeline
          style={{ marginTop: 8 }}
          items={list.rows.map((event) => ({
            key: event.id,
            color: dotColor(event),
            children: <EventItem event={event} customerId={customer.id} />,
          }))}
        />
      ) : null}
      {list.rows.length ? (
        <div ref={sentinel} style={{ textAlign: 'center' }}>
          {list.error ? (
            <ErrorAlert error={list.error} onRetry={list.retry} />
          ) : list.loading ? (
            <Spin size="small" />
          ) : list.hasMore ? (
            <Button type="link" onClick={list.loadMore}>
              {t('timeline.loadMore')}
            </Button>
          ) : (
            <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="timeline-end">
              {t('timeline.end')}
            </Typography.Text>
          )}
        </div>
      ) : null}
    </Card>
  );
}
