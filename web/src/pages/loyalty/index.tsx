import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from 'react';
import { Skeleton } from 'antd';
import { Navigate, Route, Routes } from 'react-router-dom';
import { canSeeChild } from '../../areas';
import { Forbidden, NotFound } from '../../components/StatusPages';
import { useSession } from '../../session/SessionContext';
import { LOYALTY_PAGES, type LoyaltyPagePath } from './nav';

const MembersPage = lazy(() => import('./members/MembersPage'));
const RedeemPage = lazy(() => import('./redeem/RedeemPage'));
const PaidExpiringPage = lazy(() => import('./paid-expiring/PaidExpiringPage'));
const TiersPage = lazy(() => import('./tiers/TiersPage'));
const RulesPage = lazy(() => import('./rules/RulesPage'));
const CouponsPage = lazy(() => import('./coupons/CouponsPage'));
const MallPage = lazy(() => import('./mall/MallPage'));
const StoredValuePage = lazy(() => import('./stored-value/StoredValuePage'));
const SettingsPage = lazy(() => import('./settings/LoyaltySettingsPage'));

const ROUTES: Record<LoyaltyPagePath, LazyExoticComponent<ComponentType>> = {
  members: MembersPage,
  redeem: RedeemPage,
  'paid-expiring': PaidExpiringPage,
  tiers: TiersPage,
  rules: RulesPage,
  coupons: CouponsPage,
  mall: MallPage,
  'stored-value': StoredValuePage,
  settings: SettingsPage,
};

export default function LoyaltyArea() {
  const session = useSession();
  const first = LOYALTY_PAGES.find((page) => canSeeChild(page, session));
  return (
    <Suspense fallback={<Skeleton active paragraph={{ rows: 8 }} />}>
      <Routes>
        <Route index element={first ? <Navigate to={first.path} replace /> : <Forbidden />} />
        {LOYALTY_PAGES.map((page) => {
          const Page = ROUTES[page.path];
          return (
            <Route key={page.path} path={page.path} element={canSeeChild(page, session) ? <Page /> : <Forbidden />} />
          );
        })}
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Suspense>
  );
}
