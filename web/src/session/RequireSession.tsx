import { Button, Result, Spin } from 'antd';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { useT } from '../i18n';
import { describeError } from '../components/errors';
import { useSessionContext } from './SessionContext';

/** Builds the login URL that returns to `path` afterwards. */
export function loginPath(path: string): string {
  return path && path !== '/' ? `/login?next=${encodeURIComponent(path)}` : '/login';
}

/** Only a safe, same-origin path is followed after login. */
export function safeNextPath(next: string | null): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login')) return null;
  return next;
}

export function FullPageSpin() {
  return (
    <div style={{ display: 'grid', placeItems: 'center', height: '100vh' }}>
      <Spin size="large" />
    </div>
  );
}

/** Renders its children only with a session; otherwise sends the visitor to the login page. */
export function RequireSession({ children }: { children: ReactNode }) {
  const t = useT();
  const location = useLocation();
  const { state, reload } = useSessionContext();
  if (state.status === 'loading') return <FullPageSpin />;
  if (state.status === 'failed') {
    return (
      <Result
        status="error"
        title={t('session.loadFailed')}
        subTitle={describeError(state.error, t)}
        extra={<Button onClick={reload}>{t('common.retry')}</Button>}
      />
    );
  }
  if (state.status === 'anonymous') {
    const here = `${location.pathname}${location.search}`;
    return <Navigate to={state.reason === 'logout' ? '/login' : loginPath(here)} replace />;
  }
  return <>{children}</>;
}
