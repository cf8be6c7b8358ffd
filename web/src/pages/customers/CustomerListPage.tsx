import { useCallback, useMemo, useState } from 'react';
import { Badge, Button, Card, Empty, Flex, Input, Skeleton } from 'antd';
import { FilterOutlined, PlusOutlined } from '@ant-design/icons';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { customersApi } from '../../api/customers';
import type { Customer, CustomerFilters } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeader } from '../../components/PageHeader';
import { PagerBar } from '../../components/PagerBar';
import { useCursorPager } from '../../hooks/useCursorPager';
import { useIsMobile } from '../../hooks/useMediaQuery';
import { useT } from '../../i18n';
import { useCan } from '../../session/SessionContext';
import { CustomerCards } from './CustomerCards';
import { CustomerFilterForm } from './CustomerFilterForm';
import { CustomerFormDrawer } from './CustomerFormDrawer';
import { CustomerTable } from './CustomerTable';
import { countAdvancedFilters, filtersFromParams, filtersToParams } from './filters';

function EmptyList({
  filtered,
  canCreate,
  onClear,
  onCreate,
}: {
  filtered: boolean;
  canCreate: boolean;
  onClear: () => void;
  onCreate: () => void;
}) {
  const t = useT();
  if (filtered) {
    return (
      <Empty description={t('customer.empty.filtered')} data-testid="customers-empty">
        <Button onClick={onClear}>{t('customer.empty.clear')}</Button>
      </Empty>
    );
  }
  return (
    <Empty
      description={t(canCreate ? 'customer.empty.none' : 'customer.empty.noneReadOnly')}
      data-testid="customers-empty"
    >
      {canCreate ? (
        <Button type="primary" icon={<PlusOutlined />} onClick={onCreate}>
          {t('customer.create')}
        </Button>
      ) : null}
    </Empty>
  );
}

export function CustomerListPage() {
  const t = useT();
  const can = useCan();
  const navigate = useNavigate();
  const isMobile = useIsMobile();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFromParams(params), [params]);
  const filterKey = params.toString();
  const advancedCount = countAdvancedFilters(filters);
  const [showFilters, setShowFilters] = useState(advancedCount > 0 && !isMobile);
  const [creating, setCreating] = useState(false);
  const canCreate = can('customers.write');

  const fetchPage = useCallback(
    (cursor: string | null, limit: number) => customersApi.list(filters, cursor, limit),
    [filters],
  );
  const pager = useCursorPager<Customer>(fetchPage, filterKey, 20);
  const { state } = pager;

  const applyFilters = (next: CustomerFilters) => setParams(filtersToParams(next));
  const clearFilters = () => setParams(new URLSearchParams());
  const filtered = Object.keys(filters).length > 0;

  let list;
  if (state.loading && !state.data) list = <Skeleton active avatar paragraph={{ rows: 6 }} />;
  else if (!state.loading && pager.rows.length === 0 && !state.error)
    list = (
      <EmptyList filtered={filtered} canCreate={canCreate} onClear={clearFilters} onCreate={() => setCreating(true)} />
    );
  else if (isMobile) list = <CustomerCards rows={pager.rows} loading={state.loading} />;
  else list = <CustomerTable rows={pager.rows} loading={state.loading} />;

  return (
    <>
      <PageHeader
        title={t('nav.customers')}
        subtitle={t('customer.listSubtitle')}
        extra={
          canCreate ? (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              onClick={() => setCreating(true)}
              data-testid="customer-create"
            >
              {t('customer.create')}
            </Button>
          ) : null
        }
      />
      <Card styles={{ body: { padding: isMobile ? 12 : 24 } }}>
        <Flex gap={8} style={{ marginBottom: 16 }}>
          <Input.Search
            key={filters.q ?? ''}
            defaultValue={filters.q}
            placeholder={t('customer.searchPlaceholder')}
            allowClear
            enterButton
            onSearch={(q) => applyFilters({ ...filters, q: q.trim() || undefined })}
            style={{ flex: 1, maxWidth: isMobile ? undefined : 480 }}
            data-testid="customer-search"
          />
          <Badge count={advancedCount} size="small">
            <Button
              icon={<FilterOutlined />}
              onClick={() => setShowFilters(!showFilters)}
              type={showFilters ? 'primary' : 'default'}
              ghost={showFilters}
              aria-label={t('customer.filters')}
            >
              {isMobile ? null : t('customer.filters')}
            </Button>
          </Badge>
        </Flex>
        {showFilters ? (
          <Card size="small" style={{ marginBottom: 16, background: '#fafafa' }}>
            <CustomerFilterForm filters={filters} onApply={applyFilters} />
          </Card>
        ) : null}
        {state.error ? <ErrorAlert error={state.error} onRetry={state.reload} /> : null}
        {list}
        {pager.rows.length > 0 || pager.hasPrev ? (
          <PagerBar
            pageIndex={pager.pageIndex}
            hasPrev={pager.hasPrev}
            hasNext={pager.hasNext}
            onPrev={pager.prev}
            onNext={pager.next}
            limit={isMobile ? undefined : pager.limit}
            onLimitChange={pager.setLimit}
          />
        ) : null}
      </Card>
      <CustomerFormDrawer
        open={creating}
        onClose={() => setCreating(false)}
        onSaved={(customer) => {
          setCreating(false);
          navigate(`/customers/${customer.id}`);
        }}
      />
    </>
  );
}
