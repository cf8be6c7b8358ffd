import { Menu, type MenuProps } from 'antd';
import { useMemo, useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { visibleAreas, visibleChildren } from '../areas';
import { useT } from '../i18n';
import { useSession } from '../session/SessionContext';

type MenuItem = Required<MenuProps>['items'][number];

interface Props {
  onNavigate?: () => void;
  collapsed?: boolean;
}

/** The left navigation: only the areas and sub-pages the session's role may use. */
export function SideMenu({ onNavigate, collapsed }: Props) {
  const t = useT();
  const session = useSession();
  const navigate = useNavigate();
  const { pathname } = useLocation();

  const { items, keys } = useMemo(() => {
    const allKeys: string[] = [];
    const menuItems: MenuItem[] = visibleAreas(session).map((area) => {
      const children = visibleChildren(area, session);
      if (!area.children) {
        allKeys.push(area.path);
        return { key: area.path, icon: area.icon, label: t(area.labelKey) };
      }
      return {
        key: area.path,
        icon: area.icon,
        label: t(area.labelKey),
        children: children.map((child) => {
          const key = `${area.path}/${child.path}`;
          allKeys.push(key);
          return { key, label: t(child.labelKey) };
        }),
      };
    });
    return { items: menuItems, keys: allKeys };
  }, [session, t]);

  const selected = keys
    .filter((key) => pathname === key || pathname.startsWith(`${key}/`))
    .sort((a, b) => b.length - a.length)[0];
  const parent = selected?.split('/').slice(0, 2).join('/');
  const [openKeys, setOpenKeys] = useState<string[]>(parent ? [parent] : []);

  return (
    <Menu
      theme="dark"
      mode="inline"
      items={items}
      selectedKeys={selected ? [selected] : []}
      {...(collapsed ? {} : { openKeys, onOpenChange: setOpenKeys })}
      onClick={({ key }) => {
        navigate(key);
        onNavigate?.();
      }}
    />
  );
}
