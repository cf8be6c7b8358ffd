import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { LockOutlined, MailOutlined } from '@ant-design/icons';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { homePath } from '../../areas';
import { ApiError } from '../../api/client';
import { useT } from '../../i18n';
import { describeError } from '../../components/errors';
import { toApiError } from '../../hooks/useAsync';
import { LanguageSwitch } from '../../layout/LanguageSwitch';
import { FullPageSpin, safeNextPath } from '../../session/RequireSession';
import { useSessionContext } from '../../session/SessionContext';

interface Credentials {
  email: string;
  password: string;
}

function loginErrorText(error: ApiError, t: ReturnType<typeof useT>): string {
  if (error.status === 401) return t('login.failed');
  if (error.status === 429) return t('login.tooMany', { seconds: error.retryAfter ?? 60 });
  return describeError(error, t);
}

export function LoginPage() {
  const t = useT();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const { state, login } = useSessionContext();
  const [error, setError] = useState<ApiError>();
  const [submitting, setSubmitting] = useState(false);
  const next = safeNextPath(params.get('next'));

  if (state.status === 'loading') return <FullPageSpin />;
  if (state.status === 'authenticated' && !submitting) {
    return <Navigate to={next ?? homePath(state.session)} replace />;
  }

  const submit = async ({ email, password }: Credentials) => {
    setSubmitting(true);
    setError(undefined);
    try {
      const session = await login(email.trim(), password);
      navigate(next ?? homePath(session), { replace: true });
    } catch (reason) {
      setError(toApiError(reason));
      setSubmitting(false);
    }
  };

  const expired = state.status === 'anonymous' && state.reason === 'expired';

  return (
    <div className="siyu-login">
      <div className="siyu-login-lang">
        <LanguageSwitch />
      </div>
      <div className="siyu-login-brand">
        <span className="siyu-logo-mark">私域</span>
        <Typography.Title level={2} style={{ margin: 0 }}>
          siyu
        </Typography.Title>
      </div>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 24 }}>
        {t('login.tagline')}
      </Typography.Paragraph>
      <Card className="siyu-login-card" title={t('login.title')}>
        {expired && !error ? (
          <Alert type="info" showIcon message={t('login.expired')} style={{ marginBottom: 16 }} />
        ) : null}
        {error ? (
          <Alert
            type="error"
            showIcon
            message={loginErrorText(error, t)}
            style={{ marginBottom: 16 }}
            data-testid="login-error"
          />
        ) : null}
        <Form<Credentials> layout="vertical" onFinish={submit} requiredMark={false} size="large">
          <Form.Item
            name="email"
            label={t('login.email')}
            rules={[{ required: true, message: t('login.emailRequired') }]}
          >
            <Input prefix={<MailOutlined />} autoComplete="username" placeholder="name@example.com" autoFocus />
          </Form.Item>
          <Form.Item
            name="password"
            label={t('login.password')}
            rules={[{ required: true, message: t('login.passwordRequired') }]}
          >
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={submitting}>
            {t('login.submit')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}
