import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from 'react';
import { Skeleton } from 'antd';
import { Navigate, Route, Routes } from 'react-router-dom';
import { Forbidden, NotFound } from '../../components/StatusPages';
import { useCan } from '../../session/SessionContext';
import { SETTINGS_PAGES, type SettingsPageKey } from './nav';

const COMPONENTS: Record<SettingsPageKey, LazyExoticComponent<ComponentType>> = {
  users: lazy(() => import('./users/UsersPage')),
  'api-keys': lazy(() => import('./api-keys/ApiKeysPage')),
  stores: lazy(() => import('./stores/StoresPage')),
  tenant: lazy(() => import('./tenant/TenantPage')),
  wecom: lazy(() => import('./wecom/WecomConfigPage')),
  webhooks: lazy(() => import('./webhooks/WebhooksPage')),
  'audit-log': lazy(() => import('./audit-log/AuditLogPage')),
};

export default function SettingsArea() {
  const can = useCan();
  const first = SETTINGS_PAGES.find((page) => can(page.permission));
  return (
    <Suspense fallback={<Skeleton active paragraph={{ rows: 8 }} />}>
      <Routes>
        <Route index element={first ? <Navigate to={first.key} replace /> : <Forbidden />} />
        {SETTINGS_PAGES.map((page) => {
          const Page = COMPONENTS[page.key];
          return <Route key={page.key} path={page.key} element={can(page.permission) ? <Page /> : <Forbidden />} />;
        })}
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Suspense>
  );
}
