import { InputNumber, Select, Tag } from 'antd';
import { loyaltyApi } from '../../api/loyalty';
import type { CouponType, Tier } from '../../api/loyaltyTypes';
import { useAsync } from '../../hooks/useAsync';
import { useT, type MessageKey } from '../../i18n';

/** Tier colours by level, lowest first: 普卡, 银卡, 金卡, 钻石, then repeating. */
const TIER_COLORS = ['default', '#8c8c8c', '#d4b106', '#722ed1', '#eb2f96', '#13c2c2'];

export function tierColor(level: number | null | undefined): string {
  if (level === null || level === undefined) return 'default';
  return TIER_COLORS[Math.min(level, TIER_COLORS.length - 1)];
}

export function TierTag({ name, level }: { name: string | null | undefined; level?: number | null }) {
  const t = useT();
  if (!name) return <Tag>{t('loyalty.noTier')}</Tag>;
  return (
    <Tag color={tierColor(level)} style={{ marginInlineEnd: 0 }}>
      {name}
    </Tag>
  );
}

/** The tenant's tiers, lowest level first. */
export function useTiers() {
  return useAsync(() => loyaltyApi.tiers().then((answer) => answer.data), []);
}

export function tierLevelOf(tiers: readonly Tier[] | undefined, id: number | null | undefined): number | null {
  return tiers?.find((tier) => tier.id === id)?.level ?? null;
}

interface YuanInputProps {
  /** Minor units (分). */
  value?: number | null;
  onChange?: (value: number | null) => void;
  id?: string;
  min?: number;
  placeholder?: string;
  style?: React.CSSProperties;
  size?: 'small' | 'middle' | 'large';
}

/** Edits an amount in 分 shown and typed in yuan with two decimals. */
export function YuanInput({ value, onChange, id, min = 0, placeholder, style, size }: YuanInputProps) {
  return (
    <InputNumber<number>
      id={id}
      prefix="¥"
      min={min / 100}
      precision={2}
      step={1}
      size={size}
      value={value === null || value === undefined ? null : value / 100}
      onChange={(yuan) => onChange?.(yuan === null || yuan === undefined ? null : Math.round(yuan * 100))}
      placeholder={placeholder}
      style={{ width: '100%', ...style }}
    />
  );
}

interface ListSelectProps {
  value?: string[];
  onChange?: (value: string[]) => void;
  id?: string;
  placeholder?: string;
  options?: string[];
}

/** A free list of words (benefits, categories, product ids): type and press Enter. */
export function ListSelect({ value, onChange, id, placeholder, options }: ListSelectProps) {
  return (
    <Select
      id={id}
      mode="tags"
      value={value ?? []}
      onChange={onChange}
      placeholder={placeholder}
      tokenSeparators={[',', '，']}
      options={options?.map((option) => ({ value: option, label: option }))}
      style={{ width: '100%' }}
    />
  );
}

export const COUPON_TYPES: readonly CouponType[] = ['cash_off', 'threshold', 'percent', 'exchange', 'free_shipping'];

export function couponTypeKey(type: CouponType): MessageKey {
  return `coupons.type.${type}` as MessageKey;
}

export const COUPON_TYPE_COLORS: Record<CouponType, string> = {
  cash_off: 'red',
  threshold: 'volcano',
  percent: 'gold',
  exchange: 'green',
  free_shipping: 'blue',
};

/** Categories of the demo catalogue and common retail ones, offered as suggestions. */
export const CATEGORY_SUGGESTIONS = ['护肤', '彩妆', '香氛', '个护', '礼盒'];
