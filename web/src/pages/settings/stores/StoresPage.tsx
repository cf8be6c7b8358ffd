import { useMemo, useState } from 'react';
import { App, Button, Card, Flex, Input, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { PlusOutlined } from '@ant-design/icons';
import { storesApi } from '../../../api/stores';
import type { Store, StoreKind } from '../../../api/types';
import { describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { toApiError } from '../../../hooks/useAsync';
import { invalidateStores, useStores } from '../../../hooks/useStores';
import { useT } from '../../../i18n';
import { StoreFormModal, type StoreFormTarget } from './StoreFormModal';
import { buildStoreTree, childKind, filterStores, type StoreNode } from '../../../domain/storeTree';

const KIND_COLORS: Record<StoreKind, string> = { hq: 'gold', region: 'purple', store: 'blue' };

export default function StoresPage() {
  const t = useT();
  const { modal, message } = App.useApp();
  const { data, error, loading, reload } = useStores();
  const [query, setQuery] = useState('');
  const [target, setTarget] = useState<StoreFormTarget | null>(null);

  const [collapsed, setCollapsed] = useState<ReadonlySet<number>>(new Set());
  const tree = useMemo(() => buildStoreTree(filterStores(data ?? [], query)), [data, query]);
  const expandedKeys = useMemo(
    () => (data ?? []).filter((store) => store.kind !== 'store' && !collapsed.has(store.id)).map((store) => store.id),
    [data, collapsed],
  );
  const toggle = (expanded: boolean, store: StoreNode) =>
    setCollapsed((current) => {
      const next = new Set(current);
      if (expanded) next.delete(store.id);
      else next.add(store.id);
      return next;
    });
  const refresh = () => {
    invalidateStores();
    reload();
  };

  const confirmDelete = (store: Store) =>
    modal.confirm({
      title: t('stores.deleteTitle', { name: store.name }),
      content: t('stores.deleteHint'),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await storesApi.remove(store.id);
          message.success(t('stores.deleted'));
          refresh();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  const columns: ColumnsType<StoreNode> = [
    {
      title: t('stores.name'),
      dataIndex: 'name',
      width: 280,
      render: (name: string, store) => (
        <Space>
          <Typography.Text strong={store.kind !== 'store'}>{name}</Typography.Text>
          <Tag color={KIND_COLORS[store.kind]}>{t(`store.kind.${store.kind}`)}</Tag>
        </Space>
      ),
    },
    {
      title: t('stores.code'),
      dataIndex: 'code',
      width: 130,
      render: (code: string) => <Typography.Text code>{code}</Typography.Text>,
    },
    { title: t('stores.city'), dataIndex: 'city', width: 120, render: (city: string | null) => city || '—' },
    {
      title: t('stores.location'),
      key: 'location',
      width: 180,
      render: (_, store) =>
        store.latitude !== null && store.longitude !== null ? `${store.latitude}, ${store.longitude}` : '—',
    },
    {
      title: t('common.actions'),
      key: 'actions',
      width: 200,
      fixed: 'right',
      render: (_, store) => (
        <Space size={0}>
          {store.kind !== 'store' ? (
            <Button
              type="link"
              size="small"
              onClick={() => setTarget({ mode: 'create', parent: store, kind: childKind(store) })}
            >
              {t('stores.addChild')}
            </Button>
          ) : null}
          <Button type="link" size="small" onClick={() => setTarget({ mode: 'edit', store })}>
            {t('common.edit')}
          </Button>
          <Button type="link" size="small" danger onClick={() => confirmDelete(store)}>
            {t('common.delete')}
          </Button>
        </Space>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title={t('nav.settings.stores')}
        subtitle={t('stores.subtitle')}
        extra={
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => setTarget({ mode: 'create', kind: 'store' })}
            data-testid="store-create"
          >
            {t('stores.create')}
          </Button>
        }
      />
      <Card>
        <Flex style={{ marginBottom: 16 }}>
          <Input.Search
            allowClear
            placeholder={t('stores.searchPlaceholder')}
            onChange={(event) => setQuery(event.target.value)}
            style={{ maxWidth: 360 }}
          />
        </Flex>
        {error ? <ErrorAlert error={error} onRetry={refresh} /> : null}
        <Table<StoreNode>
          size="middle"
          rowKey="id"
          columns={columns}
          dataSource={tree}
          loading={loading}
          pagination={false}
          expandable={{ expandedRowKeys: expandedKeys, onExpand: toggle }}
          scroll={{ x: 900 }}
          locale={{ emptyText: t(query ? 'stores.emptyFiltered' : 'stores.empty') }}
          data-testid="store-table"
        />
      </Card>
      <StoreFormModal
        target={target}
        onClose={() => setTarget(null)}
        onSaved={() => {
          setTarget(null);
          refresh();
        }}
      />
    </>
  );
}
