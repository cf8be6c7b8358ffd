import { Route, Routes } from 'react-router-dom';
import { NotFound } from '../../components/StatusPages';
import { CustomerDetailPage } from './CustomerDetailPage';
import { CustomerListPage } from './CustomerListPage';

export default function CustomersArea() {
  return (
    <Routes>
      <Route index element={<CustomerListPage />} />
      <Route path=":id" element={<CustomerDetailPage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
