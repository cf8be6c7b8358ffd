import type { Customer } from '../../../api/types';

export interface CustomerSectionProps {
  customer: Customer;
  /** Replaces the page's customer after a section changed it on the server. */
  onChange: (customer: Customer) => void;
}
