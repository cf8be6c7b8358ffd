import type { Customer } from '../../../api/types';

export interface CustomerSectionProps {
  customer: Customer;
}
