import type { CSSProperties } from 'react';
import { Select, Tag as AntTag } from 'antd';
import { useT } from '../i18n';
import { tagColor, useTags } from '../hooks/useTags';

interface Props {
  value?: number | number[] | null;
  onChange?: (value: number | number[] | null) => void;
  multiple?: boolean;
  /** Leave out rule tags, which cannot be applied by hand. */
  explicitOnly?: boolean;
  excludeIds?: readonly number[];
  placeholder?: string;
  id?: string;
  style?: CSSProperties;
  testId?: string;
}

/** Picks one or several tags, grouped by tag group and searchable by tag or group name. */
export function TagSelect({
  value,
  onChange,
  multiple,
  explicitOnly,
  excludeIds,
  placeholder,
  id,
  style,
  testId,
}: Props) {
  const t = useT();
  const { data, loading, groupById, tagById } = useTags();
  const groups = [...(data?.groups ?? [])];
  const options = groups
    .map((group) => ({
      label: group.name,
      title: group.name,
      search: group.name.toLowerCase(),
      options: (data?.tags ?? [])
        .filter((tag) => tag.group_id === group.id)
        .filter((tag) => !(explicitOnly && tag.kind === 'rule') && !excludeIds?.includes(tag.id))
        .map((tag) => ({
          value: tag.id,
          label: tag.name,
          search: `${tag.name} ${group.name}`.toLowerCase(),
          'data-tag-id': tag.id,
        })),
    }))
    .filter((group) => group.options.length > 0);
  return (
    <Select
      id={id}
      mode={multiple ? 'multiple' : undefined}
      value={value ?? undefined}
      onChange={(next) => onChange?.(next ?? null)}
      loading={loading}
      allowClear
      showSearch
      placeholder={placeholder ?? t('tags.pick')}
      filterOption={(input, option) => Boolean((option as { search?: string })?.search?.includes(input.toLowerCase()))}
      options={options}
      notFoundContent={loading ? undefined : t('tags.pickEmpty')}
      tagRender={({ value: tagId, closable, onClose }) => {
        const tag = tagById.get(Number(tagId));
        return (
          <AntTag
            color={tag ? tagColor(tag, groupById) : undefined}
            closable={closable}
            onClose={onClose}
            style={{ marginInlineEnd: 4 }}
          >
            {tag?.name ?? `#${String(tagId)}`}
          </AntTag>
        );
      }}
      style={{ minWidth: 200, ...style }}
      data-testid={testId}
    />
  );
}
