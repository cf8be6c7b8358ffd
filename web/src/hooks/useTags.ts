import { useMemo } from 'react';
import { tagsApi } from '../api/tags';
import type { Tag, TagGroup } from '../api/types';
import { useSession } from '../session/SessionContext';
import { useAsync, type AsyncState } from './useAsync';

export interface TagCatalogue {
  groups: TagGroup[];
  tags: Tag[];
}

const cache = new Map<number, Promise<TagCatalogue>>();

/** Forgets the cached tags, after a group or tag was created, changed or deleted. */
export function invalidateTags(): void {
  cache.clear();
}

function loadTags(tenantId: number): Promise<TagCatalogue> {
  let pending = cache.get(tenantId);
  if (!pending) {
    pending = Promise.all([tagsApi.groups(), tagsApi.list()]).then(([groups, tags]) => ({
      groups: groups.data,
      tags: tags.data,
    }));
    pending.catch(() => cache.delete(tenantId));
    cache.set(tenantId, pending);
  }
  return pending;
}

export interface TagsState extends AsyncState<TagCatalogue> {
  tagById: Map<number, Tag>;
  groupById: Map<number, TagGroup>;
}

/** Every tag group and tag of the current tenant, shared by the pickers and chips. */
export function useTags(): TagsState {
  const tenantId = useSession().tenant.id;
  const state = useAsync(() => loadTags(tenantId), [tenantId]);
  const tagById = useMemo(() => new Map((state.data?.tags ?? []).map((tag) => [tag.id, tag])), [state.data]);
  const groupById = useMemo(() => new Map((state.data?.groups ?? []).map((group) => [group.id, group])), [state.data]);
  return { ...state, tagById, groupById };
}

/** A tag's colour: its own, else its group's, else the default blue. */
export function tagColor(tag: Tag, groupById: Map<number, TagGroup>): string {
  return tag.color ?? groupById.get(tag.group_id)?.color ?? '#1677ff';
}
