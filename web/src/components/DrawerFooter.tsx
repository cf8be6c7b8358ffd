import { Button, Flex } from 'antd';
import { useT } from '../i18n';

/** The footer of a form drawer: 取消 and 保存 (which submits the form), right-aligned. */
export function DrawerFooter({
  onCancel,
  onSave,
  saving,
  saveTestId,
}: {
  onCancel: () => void;
  onSave: () => void;
  saving: boolean;
  saveTestId?: string;
}) {
  const t = useT();
  return (
    <Flex justify="flex-end" gap={8}>
      <Button onClick={onCancel}>{t('common.cancel')}</Button>
      <Button type="primary" loading={saving} onClick={onSave} data-testid={saveTestId}>
        {t('common.save')}
      </Button>
    </Flex>
  );
}
