import { useState, type ReactNode } from 'react';
import { Empty, Select, Skeleton, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { wecomApi } from '../../api/wecom';
import type { OwnerStatus, Staff, StaffStatus, SyncStatus } from '../../api/wecomTypes';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PagerBar } from '../../components/PagerBar';
import { useAsync } from '../../hooks/useAsync';
import type { CursorPager } from '../../hooks/useCursorPager';
import { useIsMobile } from '../../hooks/useMediaQuery';
import { useT, type MessageKey } from '../../i18n';

const STAFF_STATUS_COLORS: Record<StaffStatus, string> = { active: 'green', disabled: 'default', resigned: 'red' };
const SYNC_COLORS: Record<SyncStatus, string> = { pending: 'processing', ready: 'green', failed: 'red' };
const OWNER_COLORS: Record<OwnerStatus, string> = {
  active: 'green',
  deleted_by_staff: 'orange',
  deleted_by_customer: 'red',
  transferred: 'blue',
};

export function StaffStatusTag({ status }: { status: StaffStatus }) {
  const t = useT();
  return <Tag color={STAFF_STATUS_COLORS[status]}>{t(`wecom.status.${status}` as MessageKey)}</Tag>;
}

export function SyncTag({ status, error }: { status: SyncStatus; error?: string | null }) {
  const t = useT();
  return (
    <Tag color={SYNC_COLORS[status]} title={error ?? undefined}>
      {t(`wecom.sync.${status}` as MessageKey)}
    </Tag>
  );
}

export function OwnerStatusTag({ status }: { status: OwnerStatus }) {
  const t = useT();
  return <Tag color={OWNER_COLORS[status]}>{t(`owner.status.${status}` as MessageKey)}</Tag>;
}

/** Active staff of the tenant (as many as the API lists on one page), for pickers. */
export function useStaffOptions() {
  return useAsync(() => wecomApi.staff({ status: 'active' }, null, 200).then((page) => page.data), []);
}

interface StaffSelectProps {
  value?: number | number[] | string | null;
  onChange?: (value: never) => void;
  multiple?: boolean;
  /** Answer WeCom userids instead of staff ids (transfers name staff by userid). */
  byUserid?: boolean;
  /** Every status, not only active staff (a resigned member hands over customers). */
  includeInactive?: boolean;
  placeholder?: string;
  id?: string;
  testId?: string;
}

/** Picks staff members by name, account or store. */
export function StaffSelect({
  value,
  onChange,
  multiple,
  byUserid,
  includeInactive,
  placeholder,
  id,
  testId,
}: StaffSelectProps) {
  const [q, setQ] = useState('');
  const { data, loading } = useAsync(
    () => wecomApi.staff({ q: q || undefined, status: includeInactive ? undefined : 'active' }, null, 100),
    [q, includeInactive],
  );
  const options = (data?.data ?? []).map((staff: Staff) => ({
    value: byUserid ? staff.userid : staff.id,
    label: `${staff.name}${staff.store_name ? ` · ${staff.store_name}` : ''}`,
    'data-staff-id': staff.id,
  }));
  return (
    <Select
      id={id}
      mode={multiple ? 'multiple' : undefined}
      value={value ?? undefined}
      onChange={(next) => onChange?.((next ?? null) as never)}
      loading={loading}
      showSearch
      allowClear
      filterOption={false}
      onSearch={setQ}
      placeholder={placeholder}
      options={options}
      style={{ width: '100%' }}
      data-testid={testId}
    />
  );
}

interface PagedTableProps<T> {
  pager: CursorPager<T>;
  columns: ColumnsType<T>;
  rowKey: keyof T & string;
  empty: ReactNode;
  testId: string;
  scrollX?: number;
  /** Renders a row as a card on phones instead of a table row. */
  mobileCard?: (row: T) => ReactNode;
}

/** A cursor-paginated list: skeleton while loading, the API's error, an empty state, the pager. */
export function PagedTable<T extends object>({
  pager,
  columns,
  rowKey,
  empty,
  testId,
  scrollX,
  mobileCard,
}: PagedTableProps<T>) {
  const isMobile = useIsMobile();
  const { state } = pager;
  let body;
  if (state.loading && !state.data) body = <Skeleton active paragraph={{ rows: 6 }} />;
  else if (state.error && !state.data) body = null;
  else if (pager.rows.length === 0 && pager.pageIndex === 0) body = empty;
  else if (isMobile && mobileCard) {
    body = <div data-testid={testId}>{pager.rows.map((row) => mobileCard(row))}</div>;
  } else {
    body = (
      <Table<T>
        size="middle"
        rowKey={rowKey}
        columns={columns}
        dataSource={pager.rows}
        loading={state.loading}
        pagination={false}
        scroll={scrollX ? { x: scrollX } : undefined}
        data-testid={testId}
      />
    );
  }
  return (
    <>
      {state.error ? <ErrorAlert error={state.error} onRetry={state.reload} /> : null}
      {body}
      {pager.hasPrev || pager.hasNext ? (
        <PagerBar
          pageIndex={pager.pageIndex}
          hasPrev={pager.hasPrev}
          hasNext={pager.hasNext}
          onPrev={pager.prev}
          onNext={pager.next}
          limit={pager.limit}
          onLimitChange={pager.setLimit}
        />
      ) : null}
    </>
  );
}

/** An empty state that says what to do, with an optional action. */
export function EmptyState({ text, action, testId }: { text: string; action?: ReactNode; testId?: string }) {
  return (
    <Empty description={text} style={{ padding: '32px 0' }} data-testid={testId}>
      {action}
    </Empty>
  );
}

/** A random EncodingAESKey: 43 characters of [A-Za-z0-9], as WeCom generates them. */
export function randomAesKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = new Uint8Array(43);
  crypto.getRandomValues(bytes);
  // 62 does not divide 256: reject the top of the range so every character is equally likely.
  let out = '';
  for (const byte of bytes) out += byte < 248 ? alphabet[byte % 62] : '';
  return out.length === 43 ? out : out + randomAesKey().slice(0, 43 - out.length);
}
