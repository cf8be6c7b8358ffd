import { Avatar } from 'antd';
import type { Customer } from '../../api/types';

const COLORS: Record<string, string> = { female: '#f759ab', male: '#1677ff' };

export function CustomerAvatar({ customer, label, size }: { customer: Customer; label: string; size?: number }) {
  return (
    <Avatar size={size} style={{ background: COLORS[customer.gender ?? ''] ?? '#8c8c8c', flex: 'none' }}>
      {label.slice(0, 1).toUpperCase()}
    </Avatar>
  );
}
