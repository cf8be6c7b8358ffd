import { Tag } from 'antd';
import { ROLES, type Role } from '../../api/types';
import type { Translate } from '../../i18n';

export { STORE_SCOPED_ROLES } from '../../api/types';

const ROLE_COLORS: Record<Role, string> = {
  owner: 'gold',
  admin: 'volcano',
  operator: 'blue',
  analyst: 'purple',
  store_manager: 'cyan',
  guide: 'green',
};

export function RoleTag({ role, t }: { role: Role | null; t: Translate }) {
  if (!role) return <>—</>;
  return <Tag color={ROLE_COLORS[role]}>{t(`role.${role}`)}</Tag>;
}

/** Role choices; only an owner may hand out the owner role, and API keys never carry it. */
export function roleOptions(t: Translate, allowOwner: boolean) {
  return ROLES.filter((role) => allowOwner || role !== 'owner').map((role) => ({
    value: role,
    label: t(`role.${role}`),
  }));
}
