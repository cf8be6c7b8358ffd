import { useState } from 'react';
import { App, Button, Card, Drawer, Empty, Flex, List, Popconfirm, Skeleton, Tag, Timeline, Typography } from 'antd';
import { CloseOutlined, HistoryOutlined, PlusOutlined, ThunderboltOutlined } from '@ant-design/icons';
import { tagsApi } from '../../../api/tags';
import type { Actor, CustomerTag, TagHistoryEntry, TagSource } from '../../../api/types';
import { describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { TagSelect } from '../../../components/TagSelect';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useInfiniteList } from '../../../hooks/useInfiniteList';
import { useTags } from '../../../hooks/useTags';
import { useT, type Translate } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { useCustomerTagsVersion } from './tagEvents';
import type { CustomerSectionProps } from './types';

const SOURCE_COLORS: Record<TagSource, string> = {
  manual: 'blue',
  rule: 'purple',
  import: 'cyan',
  questionnaire: 'gold',
  api: 'geekblue',
};

function actorName(actor: Actor | null, t: Translate): string {
  if (!actor) return '';
  if (actor.name) return actor.name;
  return t(`tagSource.actor.${actor.type === 'user' || actor.type === 'api_key' ? actor.type : 'system'}`);
}

function SourceTag({ source }: { source: TagSource }) {
  const t = useT();
  return (
    <Tag color={SOURCE_COLORS[source] ?? 'default'} bordered={false} style={{ marginInlineEnd: 0, fontSize: 12 }}>
      {t(`tagSource.${source}`)}
    </Tag>
  );
}

function HistoryDrawer({ customerId, open, onClose }: { customerId: number; open: boolean; onClose: () => void }) {
  const t = useT();
  const format = useFormat();
  const list = useInfiniteList<TagHistoryEntry>(
    (cursor, limit) =>
      open ? tagsApi.history(customerId, cursor, limit) : Promise.resolve({ data: [], next_cursor: null }),
    `${customerId}:${open}`,
    30,
  );
  return (
    <Drawer title={t('customerTags.history')} open={open} onClose={onClose} width={440} destroyOnHidden>
      {list.error ? <ErrorAlert error={list.error} onRetry={list.retry} /> : null}
      {list.loading && list.rows.length === 0 ? <Skeleton active paragraph={{ rows: 6 }} /> : null}
      {!list.loading && !list.error && list.rows.length === 0 ? (
        <Empty description={t('customerTags.historyEmpty')} />
      ) : null}
      {list.rows.length ? (
        <Timeline
          data-testid="tag-history"
          items={list.rows.map((entry) => ({
            key: entry.id,
            color: entry.action === 'added' ? 'green' : 'red',
            children: (
              <Flex vertical gap={2}>
                <Typography.Text>
                  {t(entry.action === 'added' ? 'customerTags.added' : 'customerTags.removed', { tag: entry.tag_name })}
                </Typography.Text>
                <Flex gap={6} align="center" wrap>
                  <SourceTag source={entry.source} />
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {[format.dateTime(entry.at), actorName(entry.actor, t)].filter(Boolean).join(' · ')}
                  </Typography.Text>
                </Flex>
              </Flex>
            ),
          }))}
        />
      ) : null}
      {list.hasMore ? (
        <Button block loading={list.loading} onClick={list.loadMore}>
          {t('timeline.loadMore')}
        </Button>
      ) : null}
    </Drawer>
  );
}

/** The tags the customer holds, with where each came from; tags are added and removed here. */
export function TagsSection({ customer }: CustomerSectionProps) {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const { message } = App.useApp();
  const { groupById } = useTags();
  const tagsVersion = useCustomerTagsVersion();
  const { data, error, loading, reload, setData } = useAsync(
    () => tagsApi.ofCustomer(customer.id),
    [customer.id, (customer.merged_ids ?? []).join(','), tagsVersion],
  );
  const [adding, setAdding] = useState(false);
  const [picked, setPicked] = useState<number[]>([]);
  const [busy, setBusy] = useState(false);
  const [history, setHistory] = useState(false);
  const canApply = can('tags.apply');
  const held = data?.data ?? [];

  const add = async () => {
    if (!picked.length) return;
    setBusy(true);
    try {
      setData(await tagsApi.apply(customer.id, picked));
      message.success(t('customerTags.addedMessage', { count: picked.length }));
      setPicked([]);
      setAdding(false);
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (tag: CustomerTag) => {
    try {
      setData(await tagsApi.unapply(customer.id, tag.tag_id));
      message.success(t('customerTags.removedMessage', { tag: tag.name }));
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    }
  };

  const color = (tag: CustomerTag) => tag.color ?? groupById.get(tag.group_id)?.color ?? '#1677ff';

  let body;
  if (loading && !data) body = <Skeleton active paragraph={{ rows: 3 }} />;
  else if (!error && held.length === 0) {
    body = (
      <Typography.Text type="secondary" data-testid="customer-tags-empty">
        {t(canApply ? 'customerTags.empty' : 'customerTags.emptyReadOnly')}
      </Typography.Text>
    );
  } else {
    body = (
      <List<CustomerTag>
        size="small"
        dataSource={held}
        data-testid="customer-tag-list"
        renderItem={(tag) => (
          <List.Item
            style={{ paddingInline: 0 }}
            data-testid="customer-tag"
            actions={
              canApply && tag.kind === 'manual'
                ? [
                    <Popconfirm
                      key="remove"
                      title={t('customerTags.removeTitle', { tag: tag.name })}
                      okText={t('common.remove')}
                      cancelText={t('common.cancel')}
                      onConfirm={() => remove(tag)}
                    >
                      <Button type="text" size="small" icon={<CloseOutlined />} aria-label={t('common.remove')} />
                    </Popconfirm>,
                  ]
                : undefined
            }
          >
            <Flex align="center" gap={8} wrap style={{ minWidth: 0 }}>
              <Tag
                color={color(tag)}
                icon={tag.kind === 'rule' ? <ThunderboltOutlined /> : undefined}
                style={{ marginInlineEnd: 0 }}
              >
                {tag.name}
              </Tag>
              <SourceTag source={tag.source} />
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {tag.kind === 'rule'
                  ? t('customerTags.byRule')
                  : [format.dateTime(tag.applied_at), actorName(tag.applied_by, t)].filter(Boolean).join(' · ')}
              </Typography.Text>
            </Flex>
          </List.Item>
        )}
      />
    );
  }

  return (
    <Card
      title={t('customer.section.tags')}
      data-testid="customer-tags"
      style={{ height: '100%' }}
      extra={
        <Flex gap={4}>
          <Button
            type="text"
            size="small"
            icon={<HistoryOutlined />}
            onClick={() => setHistory(true)}
            data-testid="customer-tags-history"
          >
            {t('customerTags.historyButton')}
          </Button>
          {canApply && !adding ? (
            <Button
              size="small"
              icon={<PlusOutlined />}
              onClick={() => setAdding(true)}
              data-testid="customer-tags-add"
            >
              {t('customerTags.add')}
            </Button>
          ) : null}
        </Flex>
      }
    >
      {adding ? (
        <Flex gap={8} wrap style={{ marginBottom: 12 }} data-testid="customer-tags-picker">
          <TagSelect
            multiple
            explicitOnly
            excludeIds={held.filter((tag) => tag.kind === 'manual').map((tag) => tag.tag_id)}
            value={picked}
            onChange={(next) => setPicked(Array.isArray(next) ? next : next ? [next] : [])}
            style={{ flex: 1, minWidth: 220 }}
            testId="customer-tags-select"
          />
          <Button
            type="primary"
            loading={busy}
            disabled={!picked.length}
            onClick={add}
            data-testid="customer-tags-confirm"
          >
            {t('customerTags.apply')}
          </Button>
          <Button
            onClick={() => {
              setAdding(false);
              setPicked([]);
            }}
          >
            {t('common.cancel')}
          </Button>
        </Flex>
      ) : null}
      {error ? <ErrorAlert error={error} onRetry={reload} /> : null}
      {body}
      <HistoryDrawer customerId={customer.id} open={history} onClose={() => setHistory(false)} />
    </Card>
  );
}
