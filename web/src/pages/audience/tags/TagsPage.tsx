import { useMemo, useState } from 'react';
import { App, Button, Card, Empty, Flex, Input, Segmented, Skeleton, Tag as AntTag, Tooltip, Typography } from 'antd';
import { DeleteOutlined, EditOutlined, PlusOutlined, ThunderboltOutlined } from '@ant-design/icons';
import { tagsApi } from '../../../api/tags';
import type { Tag, TagGroup, TagKind } from '../../../api/types';
import { describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { toApiError } from '../../../hooks/useAsync';
import { invalidateTags, tagColor, useTags } from '../../../hooks/useTags';
import { useT } from '../../../i18n';
import { TagFormDrawer, type TagFormTarget } from './TagFormDrawer';
import { TagGroupModal } from './TagGroupModal';

type KindFilter = 'all' | TagKind;

function GroupSection({
  group,
  tags,
  onAddTag,
  onEditTag,
  onEditGroup,
  onDeleteGroup,
}: {
  group: TagGroup;
  tags: Tag[];
  onAddTag: () => void;
  onEditTag: (tag: Tag) => void;
  onEditGroup: () => void;
  onDeleteGroup: () => void;
}) {
  const t = useT();
  const groupById = new Map([[group.id, group]]);
  return (
    <div className="siyu-tag-group" data-testid="tag-group" data-group-name={group.name}>
      <Flex justify="space-between" align="center" gap={8} wrap>
        <Flex align="center" gap={8} style={{ minWidth: 0 }}>
          <span className="siyu-color-dot" style={{ background: group.color ?? '#d9d9d9' }} />
          <Typography.Text strong>{group.name}</Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('tagGroups.count', { count: group.tag_count })}
          </Typography.Text>
          {group.wecom_group_id ? (
            <Tooltip title={t('tagGroups.wecomId')}>
              <AntTag bordered={false} style={{ fontSize: 12 }}>
                {t('tagGroups.wecomSynced')}
              </AntTag>
            </Tooltip>
          ) : null}
        </Flex>
        <Flex gap={0}>
          <Button type="link" size="small" icon={<PlusOutlined />} onClick={onAddTag} data-testid="tag-group-add-tag">
            {t('tags.add')}
          </Button>
          <Button type="link" size="small" icon={<EditOutlined />} onClick={onEditGroup}>
            {t('common.edit')}
          </Button>
          <Button type="link" size="small" danger icon={<DeleteOutlined />} onClick={onDeleteGroup}>
            {t('common.delete')}
          </Button>
        </Flex>
      </Flex>
      <Flex wrap gap={8} style={{ marginTop: 10 }}>
        {tags.length === 0 ? (
          <Typography.Text type="secondary">{t('tagGroups.noTags')}</Typography.Text>
        ) : (
          tags.map((tag) => (
            <Tooltip key={tag.id} title={tag.description || undefined}>
              <AntTag
                color={tagColor(tag, groupById)}
                icon={tag.kind === 'rule' ? <ThunderboltOutlined /> : undefined}
                onClick={() => onEditTag(tag)}
                className="siyu-tag-chip"
                data-testid="tag-chip"
              >
                {tag.name}
              </AntTag>
            </Tooltip>
          ))
        )}
      </Flex>
    </div>
  );
}

/** Tag groups with their tags as colour chips; groups, tags and rule tags are edited here. */
export default function TagsPage() {
  const t = useT();
  const { modal, message } = App.useApp();
  const { data, error, loading, reload } = useTags();
  const [query, setQuery] = useState('');
  const [kind, setKind] = useState<KindFilter>('all');
  const [groupTarget, setGroupTarget] = useState<TagGroup | 'new' | null>(null);
  const [tagTarget, setTagTarget] = useState<TagFormTarget | null>(null);
  const groups = useMemo(() => data?.groups ?? [], [data]);

  const refresh = () => {
    invalidateTags();
    reload();
  };

  const tagsOf = (group: TagGroup) =>
    (data?.tags ?? []).filter(
      (tag) =>
        tag.group_id === group.id &&
        (kind === 'all' || tag.kind === kind) &&
        (!query || tag.name.toLowerCase().includes(query.toLowerCase())),
    );
  const filtering = Boolean(query) || kind !== 'all';
  const shown = filtering ? groups.filter((group) => tagsOf(group).length > 0) : groups;

  const confirmDeleteGroup = (group: TagGroup) =>
    modal.confirm({
      title: t('tagGroups.deleteTitle', { name: group.name }),
      content: group.tag_count ? t('tagGroups.deleteHintTags', { count: group.tag_count }) : t('tagGroups.deleteHint'),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await tagsApi.removeGroup(group.id, group.tag_count > 0);
          message.success(t('tagGroups.deleted'));
          refresh();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  let body;
  if (loading && !data) body = <Skeleton active paragraph={{ rows: 8 }} />;
  else if (!error && groups.length === 0) {
    body = (
      <Empty description={t('tagGroups.empty')} style={{ padding: '32px 0' }} data-testid="tags-empty">
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setGroupTarget('new')}>
          {t('tagGroups.create')}
        </Button>
      </Empty>
    );
  } else if (shown.length === 0 && filtering) {
    body = <Empty description={t('tags.emptyFiltered')} style={{ padding: '32px 0' }} />;
  } else {
    body = (
      <Flex vertical gap={12}>
        {shown.map((group) => (
          <GroupSection
            key={group.id}
            group={group}
            tags={tagsOf(group)}
            onAddTag={() => setTagTarget({ mode: 'create', groupId: group.id })}
            onEditTag={(tag) => setTagTarget({ mode: 'edit', tag })}
            onEditGroup={() => setGroupTarget(group)}
            onDeleteGroup={() => confirmDeleteGroup(group)}
          />
        ))}
      </Flex>
    );
  }

  return (
    <>
      <PageHeader
        title={t('nav.audience.tags')}
        subtitle={t('tags.subtitle')}
        extra={
          <>
            <Button icon={<PlusOutlined />} onClick={() => setGroupTarget('new')} data-testid="tag-group-create">
              {t('tagGroups.create')}
            </Button>
            <Button
              type="primary"
              icon={<PlusOutlined />}
              disabled={groups.length === 0}
              onClick={() => setTagTarget({ mode: 'create' })}
              data-testid="tag-create"
            >
              {t('tags.create')}
            </Button>
          </>
        }
      />
      <Card>
        <Flex gap={12} wrap style={{ marginBottom: 16 }}>
          <Input.Search
            allowClear
            placeholder={t('tags.searchPlaceholder')}
            onChange={(event) => setQuery(event.target.value.trim())}
            style={{ maxWidth: 320 }}
          />
          <Segmented<KindFilter>
            value={kind}
            onChange={setKind}
            options={[
              { value: 'all', label: t('tags.filter.all') },
              { value: 'manual', label: t('tags.kind.manual') },
              { value: 'rule', label: t('tags.kind.rule') },
            ]}
          />
        </Flex>
        {error ? <ErrorAlert error={error} onRetry={refresh} /> : null}
        {body}
      </Card>
      <TagGroupModal
        target={groupTarget}
        onClose={() => setGroupTarget(null)}
        onSaved={() => {
          setGroupTarget(null);
          refresh();
        }}
      />
      <TagFormDrawer
        target={tagTarget}
        groups={groups}
        onClose={() => setTagTarget(null)}
        onChanged={() => {
          setTagTarget(null);
          refresh();
        }}
      />
    </>
  );
}
