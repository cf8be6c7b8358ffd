import { useEffect, useState, useSyncExternalStore } from 'react';
import { Typography } from 'antd';
import { Link } from 'react-router-dom';
import { customersApi } from '../../api/customers';
import type { Customer } from '../../api/types';
import { useT } from '../../i18n';
import { useSession } from '../../session/SessionContext';
import { customerRefLabel } from './display';

const cache = new Map<string, Promise<Customer | null>>();
const listeners = new Set<() => void>();
let generation = 0;

/** Forgets the names looked up so far and reads them again, after a merge was undone. */
export function forgetCustomerRefs(): void {
  cache.clear();
  generation += 1;
  listeners.forEach((listener) => listener());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function lookUp(tenantId: number, id: number): Promise<Customer | null> {
  const key = `${tenantId}:${id}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = customersApi.get(id).catch(() => null);
    cache.set(key, pending);
  }
  return pending;
}

type Resolved = { status: 'loading' } | { status: 'found'; label: string } | { status: 'merged' | 'missing' };

/**
 * A link to a customer known only by id, labelled with the customer's name once read. A merged
 * id reads as its survivor, so it is labelled as merged rather than with the survivor's name.
 */
export function CustomerRef({ id }: { id: number }) {
  const t = useT();
  const tenantId = useSession().tenant.id;
  const [resolved, setResolved] = useState<Resolved>({ status: 'loading' });
  const version = useSyncExternalStore(subscribe, () => generation);

  useEffect(() => {
    let live = true;
    setResolved({ status: 'loading' });
    lookUp(tenantId, id).then((customer) => {
      if (!live) return;
      if (!customer) setResolved({ status: 'missing' });
      else if (customer.id !== id) setResolved({ status: 'merged' });
      else setResolved({ status: 'found', label: customerRefLabel(customer, t) });
    });
    return () => {
      live = false;
    };
  }, [tenantId, id, t, version]);

  if (resolved.status === 'missing') {
    return <Typography.Text type="secondary">{t('customer.refMissing', { id })}</Typography.Text>;
  }
  const label =
    resolved.status === 'found'
      ? resolved.label
      : resolved.status === 'merged'
        ? t('customer.refMerged', { id })
        : `#${id}`;
  return (
    <Link to={`/customers/${id}`} data-testid="customer-ref">
      {label}
    </Link>
  );
}
