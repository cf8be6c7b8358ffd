import { ColorPicker } from 'antd';
import { useT } from '../i18n';

/** Colours offered first: antd's palette, readable as tag backgrounds. */
export const PRESET_COLORS = [
  '#F5222D',
  '#FA541C',
  '#FA8C16',
  '#FAAD14',
  '#A0D911',
  '#52C41A',
  '#13C2C2',
  '#1677FF',
  '#2F54EB',
  '#722ED1',
  '#EB2F96',
  '#8C8C8C',
];

interface Props {
  value?: string | null;
  onChange?: (value: string | null) => void;
  id?: string;
  disabled?: boolean;
}

/** A `#RRGGBB` colour or none, for form fields. */
export function ColorField({ value, onChange, id, disabled }: Props) {
  const t = useT();
  return (
    <ColorPicker
      value={value ?? null}
      onChange={(color) => onChange?.(color.cleared ? null : color.toHexString().slice(0, 7).toUpperCase())}
      onClear={() => onChange?.(null)}
      allowClear
      disabledAlpha
      format="hex"
      showText={(color) => (color.cleared || !value ? t('color.none') : value)}
      presets={[{ label: t('color.presets'), colors: PRESET_COLORS, defaultOpen: true }]}
      disabled={disabled}
      data-testid={id ? `color-${id}` : undefined}
    />
  );
}
