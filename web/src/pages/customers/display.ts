import type { Customer } from '../../api/types';
import { isMessageKey, type Translate } from '../../i18n';

/** The fields naming a customer, held by full customers and by summaries alike. */
type Named = Pick<Customer, 'id' | 'name' | 'phone' | 'email' | 'member_no'>;

/** The best human label of a customer: the name, else a contact, else the id. */
export function displayName(customer: Named, t: Translate): string {
  return (
    customer.name ||
    customer.phone ||
    customer.email ||
    customer.member_no ||
    t('customer.unnamed', { id: customer.id })
  );
}

export function identifierTypeLabel(type: string, t: Translate): string {
  const key = `identifier.${type}`;
  if (isMessageKey(key)) return t(key);
  return type.startsWith('custom:') ? t('identifier.custom', { name: type.slice('custom:'.length) }) : type;
}

export function genderLabel(gender: Customer['gender'], t: Translate): string {
  return gender ? t(`gender.${gender}`) : '—';
}

/** A customer named for a reference: the name with the id, or just the id when unnamed. */
export function customerRefLabel(customer: Customer, t: Translate): string {
  const name = displayName(customer, t);
  const unnamed = t('customer.unnamed', { id: customer.id });
  return name === unnamed ? unnamed : t('customer.ref', { name, id: customer.id });
}
