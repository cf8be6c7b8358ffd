import { Suspense, type ReactNode } from 'react';
import { App as AntApp, ConfigProvider } from 'antd';
import zhCNLocale from 'antd/es/locale/zh_CN';
import enUSLocale from 'antd/es/locale/en_US';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import { AREAS, canSeeArea, homePath, type Area } from './areas';
import { I18nProvider, useI18n } from './i18n';
import { SessionProvider, useSession } from './session/SessionContext';
import { FullPageSpin, RequireSession } from './session/RequireSession';
import { AppLayout } from './layout/AppLayout';
import { Forbidden, NotFound } from './components/StatusPages';
import { LoginPage } from './pages/login/LoginPage';
import { theme } from './theme';

function AreaGate({ area }: { area: Area }) {
  const session = useSession();
  if (!canSeeArea(area, session)) return <Forbidden />;
  const Component = area.component;
  return <Component />;
}

function Home() {
  return <Navigate to={homePath(useSession())} replace />;
}

function LocalizedAntd({ children }: { children: ReactNode }) {
  const { locale } = useI18n();
  return (
    <ConfigProvider locale={locale === 'zh-CN' ? zhCNLocale : enUSLocale} theme={theme}>
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

export function App() {
  return (
    <I18nProvider>
      <LocalizedAntd>
        <SessionProvider>
          <BrowserRouter>
            <Suspense fallback={<FullPageSpin />}>
              <Routes>
                <Route path="/login" element={<LoginPage />} />
                <Route
                  element={
                    <RequireSession>
                      <AppLayout />
                    </RequireSession>
                  }
                >
                  <Route index element={<Home />} />
                  {AREAS.map((area) => (
                    <Route key={area.key} path={`${area.path}/*`} element={<AreaGate area={area} />} />
                  ))}
                  <Route path="forbidden" element={<Forbidden />} />
                  <Route path="*" element={<NotFound />} />
                </Route>
              </Routes>
            </Suspense>
          </BrowserRouter>
        </SessionProvider>
      </LocalizedAntd>
    </I18nProvider>
  );
}
