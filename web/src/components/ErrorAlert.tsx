import { Alert, Button } from 'antd';
import type { ApiError } from '../api/client';
import { useT } from '../i18n';
import { describeError } from './errors';

interface Props {
  error: ApiError;
  onRetry?: () => void;
}

export function ErrorAlert({ error, onRetry }: Props) {
  const t = useT();
  return (
    <Alert
      type="error"
      showIcon
      message={describeError(error, t)}
      description={error.requestId ? t('error.requestId', { id: error.requestId }) : undefined}
      action={
        onRetry ? (
          <Button size="small" onClick={onRetry}>
            {t('common.retry')}
          </Button>
        ) : undefined
      }
      style={{ marginBottom: 16 }}
    />
  );
}
