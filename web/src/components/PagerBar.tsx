import { Button, Flex, Select, Typography } from 'antd';
import { LeftOutlined, RightOutlined } from '@ant-design/icons';
import { useT } from '../i18n';

interface Props {
  pageIndex: number;
  hasPrev: boolean;
  hasNext: boolean;
  onPrev: () => void;
  onNext: () => void;
  limit?: number;
  onLimitChange?: (limit: number) => void;
}

const LIMITS = [10, 20, 50, 100];

/** Previous / next controls for cursor-paginated lists, which have no page count. */
export function PagerBar({ pageIndex, hasPrev, hasNext, onPrev, onNext, limit, onLimitChange }: Props) {
  const t = useT();
  return (
    <Flex justify="flex-end" align="center" gap={8} wrap style={{ marginTop: 16 }}>
      <Typography.Text type="secondary">{t('pager.page', { page: pageIndex + 1 })}</Typography.Text>
      <Button icon={<LeftOutlined />} disabled={!hasPrev} onClick={onPrev} aria-label={t('pager.prev')}>
        {t('pager.prev')}
      </Button>
      <Button disabled={!hasNext} onClick={onNext} aria-label={t('pager.next')}>
        {t('pager.next')} <RightOutlined />
      </Button>
      {limit && onLimitChange ? (
        <Select
          value={limit}
          onChange={onLimitChange}
          style={{ width: 110 }}
          options={LIMITS.map((value) => ({ value, label: t('pager.perPage', { count: value }) }))}
        />
      ) : null}
    </Flex>
  );
}
