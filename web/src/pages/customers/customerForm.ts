import dayjs, { type Dayjs } from 'dayjs';
import type { Customer, CustomerInput, Gender, Identifier, Traits } from '../../api/types';

export interface TraitRow {
  key?: string;
  value?: string;
  /** The value was not a string and is edited as JSON. */
  json?: boolean;
}

export interface CustomerFormValues {
  name?: string;
  phone?: string;
  email?: string;
  gender?: Gender | null;
  birthday?: Dayjs | null;
  store_id?: number | null;
  member_no?: string;
  identifiers?: { type?: string; value?: string }[];
  traits?: TraitRow[];
}

export const CUSTOMER_FORM_FIELDS = [
  'name',
  'phone',
  'email',
  'gender',
  'birthday',
  'store_id',
  'member_no',
  'identifiers',
  'traits',
] as const;

const DAY = 'YYYY-MM-DD';

export function traitsToRows(traits: Traits | null): TraitRow[] {
  return Object.entries(traits ?? {}).map(([key, value]) =>
    typeof value === 'string' ? { key, value } : { key, value: JSON.stringify(value), json: true },
  );
}

function parseTraitValue(row: TraitRow): unknown {
  const text = row.value ?? '';
  if (!row.json) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function rowsToTraits(rows: TraitRow[] | undefined): Traits {
  const traits: Traits = {};
  for (const row of rows ?? []) {
    const key = row.key?.trim();
    if (key) traits[key] = parseTraitValue(row);
  }
  return traits;
}

export function customerToValues(customer: Customer): CustomerFormValues {
  return {
    name: customer.name ?? undefined,
    phone: customer.phone ?? undefined,
    email: customer.email ?? undefined,
    gender: customer.gender,
    birthday: customer.birthday ? dayjs(customer.birthday) : null,
    store_id: customer.store_id,
    member_no: customer.member_no ?? undefined,
    traits: traitsToRows(customer.traits),
  };
}

function text(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

function scalarFields(values: CustomerFormValues) {
  return {
    name: text(values.name),
    phone: text(values.phone),
    email: text(values.email),
    gender: values.gender ?? null,
    birthday: values.birthday ? values.birthday.format(DAY) : null,
    store_id: values.store_id ?? null,
    member_no: text(values.member_no),
  };
}

function identifiersOf(values: CustomerFormValues): Identifier[] {
  return (values.identifiers ?? [])
    .map((row) => ({ type: row.type?.trim() ?? '', value: row.value?.trim() ?? '' }))
    .filter((row) => row.type && row.value);
}

/** The body of POST /customers: empty fields are left out. */
export function valuesToCreateInput(values: CustomerFormValues): CustomerInput {
  const input: CustomerInput = {};
  for (const [key, value] of Object.entries(scalarFields(values))) {
    if (value !== null) (input as Record<string, unknown>)[key] = value;
  }
  const identifiers = identifiersOf(values);
  if (identifiers.length) input.identifiers = identifiers;
  const traits = rowsToTraits(values.traits);
  if (Object.keys(traits).length) input.traits = traits;
  return input;
}

/**
 * The body of PATCH /customers/{id}: only what changed, with `null` clearing a field. Fields the
 * user did not touch are never sent, so masked values (for roles without `pii`) stay as they are.
 * A cleared gender becomes `unknown` and cleared traits `{}`, the values a new customer starts with.
 */
export function valuesToPatch(values: CustomerFormValues, customer: Customer): CustomerInput {
  const before = scalarFields(customerToValues(customer));
  const after = scalarFields(values);
  const patch: CustomerInput = {};
  for (const key of Object.keys(after) as (keyof typeof after)[]) {
    if (after[key] !== before[key]) (patch as Record<string, unknown>)[key] = after[key];
  }
  if (patch.gender === null) patch.gender = 'unknown';
  const traits = rowsToTraits(values.traits);
  if (JSON.stringify(traits) !== JSON.stringify(customer.traits ?? {})) patch.traits = traits;
  return patch;
}
