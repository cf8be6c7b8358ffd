import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from 'react';
import { Skeleton } from 'antd';
import { Navigate, Route, Routes } from 'react-router-dom';
import { canSeeChild } from '../../areas';
import { Forbidden, NotFound } from '../../components/StatusPages';
import { useSession } from '../../session/SessionContext';
import { WECOM_PAGES, type WecomPagePath } from './nav';

type Page = LazyExoticComponent<ComponentType>;

/** Each page's list, and the detail page under `<path>/:id` where there is one. */
const ROUTES: Record<WecomPagePath, { list: Page; detail?: Page }> = {
  'live-codes': {
    list: lazy(() => import('./live-codes/LiveCodesPage')),
    detail: lazy(() => import('./live-codes/LiveCodeDetailPage')),
  },
  groups: { list: lazy(() => import('./groups/GroupsPage')), detail: lazy(() => import('./groups/GroupDetailPage')) },
  'item-codes': { list: lazy(() => import('./item-codes/ItemCodesPage')) },
  staff: { list: lazy(() => import('./staff/StaffPage')), detail: lazy(() => import('./staff/StaffDetailPage')) },
  alerts: { list: lazy(() => import('./alerts/AlertsPage')) },
  'mass-sends': {
    list: lazy(() => import('./mass-sends/MassSendsPage')),
    detail: lazy(() => import('./mass-sends/MassSendDetailPage')),
  },
  transfers: {
    list: lazy(() => import('./transfers/TransfersPage')),
    detail: lazy(() => import('./transfers/TransferDetailPage')),
  },
};

export default function WecomArea() {
  const session = useSession();
  const first = WECOM_PAGES.find((page) => canSeeChild(page, session));
  return (
    <Suspense fallback={<Skeleton active paragraph={{ rows: 8 }} />}>
      <Routes>
        <Route index element={first ? <Navigate to={first.path} replace /> : <Forbidden />} />
        {WECOM_PAGES.flatMap((page) => {
          const { list: List, detail: Detail } = ROUTES[page.path];
          const allowed = canSeeChild(page, session);
          const routes = [<Route key={page.path} path={page.path} element={allowed ? <List /> : <Forbidden />} />];
          if (Detail) {
            routes.push(
              <Route
                key={`${page.path}/:id`}
                path={`${page.path}/:id`}
                element={allowed ? <Detail /> : <Forbidden />}
              />,
            );
          }
          return routes;
        })}
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Suspense>
  );
}
