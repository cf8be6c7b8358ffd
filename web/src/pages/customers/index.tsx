import { Route, Routes } from 'react-router-dom';
import { canSeeChild } from '../../areas';
import { Forbidden, NotFound } from '../../components/StatusPages';
import { useSession } from '../../session/SessionContext';
import { ConflictsPage } from './ConflictsPage';
import { CustomerDetailPage } from './CustomerDetailPage';
import { CustomerListPage } from './CustomerListPage';
import { CUSTOMERS_PAGES } from './nav';

export default function CustomersArea() {
  const session = useSession();
  const allowed = (path: string) => CUSTOMERS_PAGES.some((page) => page.path === path && canSeeChild(page, session));
  return (
    <Routes>
      <Route index element={<CustomerListPage />} />
      <Route path="conflicts" element={allowed('conflicts') ? <ConflictsPage /> : <Forbidden />} />
      <Route path=":id" element={<CustomerDetailPage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
