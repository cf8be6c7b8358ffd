import { Button, Dropdown } from 'antd';
import { TranslationOutlined } from '@ant-design/icons';
import { LOCALES, useI18n, type Locale } from '../i18n';

interface Props {
  compact?: boolean;
}

export function LanguageSwitch({ compact }: Props) {
  const { locale, setLocale, t } = useI18n();
  const current = LOCALES.find((item) => item.value === locale);
  return (
    <Dropdown
      trigger={['click']}
      menu={{
        selectedKeys: [locale],
        items: LOCALES.map((item) => ({ key: item.value, label: item.label })),
        onClick: ({ key }) => setLocale(key as Locale),
      }}
    >
      <Button
        type="text"
        icon={<TranslationOutlined />}
        aria-label={t('header.language')}
        data-testid="language-switch"
      >
        {compact ? null : current?.label}
      </Button>
    </Dropdown>
  );
}
