import { Button, Result } from 'antd';
import { useNavigate } from 'react-router-dom';
import { useT } from '../i18n';

export function Forbidden() {
  const t = useT();
  const navigate = useNavigate();
  return (
    <Result
      status="403"
      title="403"
      subTitle={t('status.forbidden')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t('status.backHome')}
        </Button>
      }
    />
  );
}

export function NotFound() {
  const t = useT();
  const navigate = useNavigate();
  return (
    <Result
      status="404"
      title="404"
      subTitle={t('status.notFound')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t('status.backHome')}
        </Button>
      }
    />
  );
}
