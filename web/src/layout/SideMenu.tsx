import { Menu, type MenuProps } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { childPath, visibleAreas, visibleChildren } from '../areas';
import { useT } from '../i18n';
import { useSession } from '../session/SessionContext';

type MenuItem = Required<MenuProps>['items'][number];

interface Props {
  onNavigate?: () => void;
  collapsed?: boolean;
}

const GROUP_PREFIX = 'group:';

/**
 * The left navigation: only the areas and sub-pages the session's role may use. An area whose
 * only visible page is its own index shows as a plain item rather than a sub-menu of one.
 */
export function SideMenu({ onNavigate, collapsed }: Props) {
  const t = useT();
  const session = useSession();
  const navigate = useNavigate();
  const { pathname } = useLocation();

  const { items, keys, groupOf } = useMemo(() => {
    const allKeys: string[] = [];
    const groups = new Map<string, string>();
    const menuItems: MenuItem[] = visibleAreas(session).map((area) => {
      const children = visibleChildren(area, session);
      if (!area.children || (children.length === 1 && children[0].path === '')) {
        allKeys.push(area.path);
        return { key: area.path, icon: area.icon, label: t(area.labelKey) };
      }
      const groupKey = `${GROUP_PREFIX}${area.path}`;
      return {
        key: groupKey,
        icon: area.icon,
        label: t(area.labelKey),
        children: children.map((child) => {
          const key = childPath(area, child);
          allKeys.push(key);
          groups.set(key, groupKey);
          return { key, label: t(child.labelKey) };
        }),
      };
    });
    return { items: menuItems, keys: allKeys, groupOf: groups };
  }, [session, t]);

  const selected = keys
    .filter((key) => pathname === key || pathname.startsWith(`${key}/`))
    .sort((a, b) => b.length - a.length)[0];
  const parent = selected ? groupOf.get(selected) : undefined;
  const [openKeys, setOpenKeys] = useState<string[]>(parent ? [parent] : []);

  useEffect(() => {
    if (parent) setOpenKeys((open) => (open.includes(parent) ? open : [...open, parent]));
  }, [parent]);

  return (
    <Menu
      theme="dark"
      mode="inline"
      items={items}
      selectedKeys={selected ? [selected] : []}
      {...(collapsed ? {} : { openKeys, onOpenChange: setOpenKeys })}
      onClick={({ key }) => {
        if (key.startsWith(GROUP_PREFIX)) return;
        navigate(key);
        onNavigate?.();
      }}
    />
  );
}
