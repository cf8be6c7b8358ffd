import { Select } from 'antd';
import type { StoreKind } from '../api/types';
import { useT } from '../i18n';
import { flattenStoreTree } from '../domain/storeTree';
import { useStores, withDescendants } from '../hooks/useStores';

interface Props {
  value?: number | number[] | null;
  onChange?: (value: number | number[] | null) => void;
  multiple?: boolean;
  kinds?: readonly StoreKind[];
  excludeId?: number;
  /** Offer only these stores and the stores below them (the session's stores for scoped roles). */
  scopeIds?: readonly number[];
  placeholder?: string;
  allowClear?: boolean;
  id?: string;
}

/** Picks one or several stores of the tenant, searchable by name, code or city. */
export function StoreSelect({
  value,
  onChange,
  multiple,
  kinds,
  excludeId,
  scopeIds,
  placeholder,
  allowClear = true,
  id,
}: Props) {
  const t = useT();
  const { data, loading } = useStores();
  const stores = data ?? [];
  const scope = scopeIds?.length ? withDescendants(stores, scopeIds) : null;
  const options = flattenStoreTree(stores)
    .filter(
      ({ store }) =>
        (!kinds || kinds.includes(store.kind)) && store.id !== excludeId && (!scope || scope.has(store.id)),
    )
    .map(({ store, depth }) => ({
      value: store.id,
      label: store.name,
      depth: kinds?.length === 1 ? 0 : depth,
      'data-store-id': store.id,
      'data-store-kind': store.kind,
      search: `${store.name} ${store.code} ${store.city ?? ''}`.toLowerCase(),
      kind: store.kind,
    }));
  return (
    <Select
      id={id}
      mode={multiple ? 'multiple' : undefined}
      value={value ?? undefined}
      onChange={(next) => onChange?.(next ?? null)}
      loading={loading}
      allowClear={allowClear}
      showSearch
      placeholder={placeholder ?? t('store.select')}
      filterOption={(input, option) => Boolean(option?.search.includes(input.toLowerCase()))}
      options={options}
      optionRender={(option) => (
        <span style={{ paddingLeft: option.data.depth * 16 }}>
          {option.data.label}
          <span style={{ color: 'rgba(0,0,0,0.45)', marginLeft: 8, fontSize: 12 }}>
            {t(`store.kind.${option.data.kind}`)}
          </span>
        </span>
      )}
      style={{ width: '100%' }}
    />
  );
}
