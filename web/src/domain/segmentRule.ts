import type { SegmentRule } from '../api/types';

/**
 * The segment rule language (docs/segments.md) as the builder sees it: every condition is a
 * plain JSON object, edited in place, so the rule the builder shows is exactly the rule saved.
 */
export type RuleNode = SegmentRule;

/** What a condition object is; `firstLast` is an `event` with `first` or `last`. */
export type ConditionKind =
  | 'and'
  | 'or'
  | 'not'
  | 'all'
  | 'trait'
  | 'tag'
  | 'event'
  | 'firstLast'
  | 'sequence'
  | 'attribute'
  | 'lifecycle'
  | 'rfm'
  | 'store'
  | 'identifier'
  | 'segment'
  | 'unknown';

/** The kinds offered when adding a condition, in menu order. */
export const ADDABLE_KINDS = [
  'trait',
  'tag',
  'event',
  'sequence',
  'firstLast',
  'attribute',
  'lifecycle',
  'rfm',
  'store',
  'identifier',
  'segment',
] as const;

export type AddableKind = (typeof ADDABLE_KINDS)[number];

const FORM_KEYS: readonly ConditionKind[] = [
  'and',
  'or',
  'not',
  'all',
  'trait',
  'tag',
  'event',
  'sequence',
  'attribute',
  'lifecycle',
  'rfm',
  'store',
  'identifier',
  'segment',
];

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The kind of a condition, or `unknown` for anything the language does not define. */
export function conditionKind(node: unknown): ConditionKind {
  if (!isObject(node)) return 'unknown';
  const forms = FORM_KEYS.filter((key) => key in node);
  if (forms.length !== 1) return 'unknown';
  const [form] = forms;
  if ((form === 'and' || form === 'or') && !Array.isArray(node[form])) return 'unknown';
  if (form === 'not' && !isObject(node.not)) return 'unknown';
  if (form === 'event' && ('first' in node || 'last' in node)) return 'firstLast';
  if (form === 'sequence' && (!Array.isArray(node.sequence) || node.sequence.length !== 2)) return 'unknown';
  return form;
}

/** A new condition of a kind, with defaults the user changes in place. */
export function newCondition(kind: AddableKind | 'group'): RuleNode {
  switch (kind) {
    case 'group':
      return { or: [] };
    case 'trait':
      return { trait: 'gender', op: 'eq', value: 'female' };
    case 'tag':
      return { tag: 'has_any', ids: [] };
    case 'event':
      return { event: 'Order Completed', window: { last_days: 30 } };
    case 'sequence':
      return { sequence: [{ event: 'Product Viewed' }, { event: 'Order Completed' }], within_days: 7 };
    case 'firstLast':
      return { event: 'Order Completed', last: 'before', at: { days_ago: 30 } };
    case 'attribute':
      return { attribute: 'order_count', op: 'gte', value: 2 };
    case 'lifecycle':
      return { lifecycle: 'in', values: [] };
    case 'rfm':
      return { rfm: 'in', classes: [] };
    case 'store':
      return { store: 'in', ids: [] };
    case 'identifier':
      return { identifier: 'exists', type: 'wecom' };
    case 'segment':
      return { segment: 'in', id: null };
  }
}

/** The rule a new segment starts from: an empty "all of" group. */
export function emptyRule(): RuleNode {
  return { and: [] };
}

/** An empty top-level group: the builder previews every customer for it and asks for a condition. */
export function isEmptyRule(rule: RuleNode): boolean {
  const kind = conditionKind(rule);
  return (kind === 'and' || kind === 'or') && (rule[kind] as unknown[]).length === 0;
}

export const ALL_CUSTOMERS: RuleNode = { all: true };

/** Path of the `index`th child of a group at `path`, as the server writes it in errors. */
export function itemPath(path: string, list: string, index: number): string {
  return `${path}.${list}[${index}]`;
}

/** Whether the error field `field` is at `path` or below it. */
export function isAtOrBelow(field: string, path: string): boolean {
  return field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`);
}

/** The paths of every condition row, the groups included, for placing errors. */
export function conditionPaths(node: unknown, path = 'rule', out: string[] = []): string[] {
  const kind = conditionKind(node);
  if (kind === 'not') return conditionPaths((node as RuleNode).not, `${path}.not`, out);
  out.push(path);
  if (kind === 'and' || kind === 'or') {
    ((node as RuleNode)[kind] as unknown[]).forEach((child, index) =>
      conditionPaths(child, itemPath(path, kind, index), out),
    );
  }
  return out;
}

/** The row an error belongs to: the deepest condition whose path starts the error's field. */
export function errorRow(rule: unknown, field: string): string | null {
  if (!isAtOrBelow(field, 'rule')) return null;
  let best: string | null = null;
  for (const path of conditionPaths(rule)) {
    if (isAtOrBelow(field, path) && (!best || path.length > best.length)) best = path;
  }
  return best;
}

/** The server's message without the leading `field: `, keeping the part below the row. */
export function errorText(message: string, field: string, row: string): string {
  const prefix = `${field}: `;
  const bare = message.startsWith(prefix) ? message.slice(prefix.length) : message;
  const below = field.slice(row.length).replace(/^\./, '');
  return below ? `${below}: ${bare}` : bare;
}

// --- Comparisons -------------------------------------------------------------------------

export const OPS = [
  'eq',
  'neq',
  'in',
  'not_in',
  'contains',
  'starts_with',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'exists',
  'not_exists',
] as const;

export type Op = (typeof OPS)[number];

/** Relative date forms taking a day count instead of `op` and `value`. */
export const RELATIVE_FORMS = ['within_next_days', 'within_last_days', 'more_than_days_ago'] as const;

export type RelativeForm = (typeof RELATIVE_FORMS)[number];

/** The kind of value a field compares: it decides the operators and the input. */
export type ValueType = 'text' | 'number' | 'date' | 'boolean' | 'gender' | 'store' | 'any';

export const NUMBER_OPS: readonly Op[] = ['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'between'];
export const MONEY_OPS: readonly Op[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between'];
export const DATE_OPS: readonly Op[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'not_exists'];
export const TEXT_OPS: readonly Op[] = ['eq', 'neq', 'in', 'not_in', 'contains', 'starts_with', 'exists', 'not_exists'];
export const CHOICE_OPS: readonly Op[] = ['eq', 'neq', 'in', 'not_in', 'exists', 'not_exists'];

export function opsFor(type: ValueType): readonly Op[] {
  switch (type) {
    case 'number':
      return NUMBER_OPS;
    case 'date':
      return DATE_OPS;
    case 'text':
      return TEXT_OPS;
    case 'gender':
    case 'store':
    case 'boolean':
      return CHOICE_OPS;
    case 'any':
      return OPS;
  }
}

export function isOp(value: unknown): value is Op {
  return typeof value === 'string' && (OPS as readonly string[]).includes(value);
}

/** Whether an operator takes no value, a list, or a pair. */
export function valueShape(op: Op): 'none' | 'list' | 'pair' | 'single' {
  if (op === 'exists' || op === 'not_exists') return 'none';
  if (op === 'in' || op === 'not_in') return 'list';
  if (op === 'between') return 'pair';
  return 'single';
}

/** A scalar's own type, for fields of any type (custom traits, event properties). */
export function scalarType(value: unknown): 'text' | 'number' | 'boolean' | 'date' {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'number') return 'number';
  if (typeof first === 'boolean') return 'boolean';
  if (typeof first === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(first)) return 'date';
  return 'text';
}

/** Converts a scalar to another value type; what does not convert becomes empty. */
export function convertScalar(value: unknown, type: 'text' | 'number' | 'boolean' | 'date'): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (type === 'number') {
    const number = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  if (type === 'boolean') return value === true || value === 'true';
  if (type === 'date')
    return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : undefined;
  return String(value);
}

/** The value a comparison starts with after its operator changed, kept when it still fits. */
export function valueForOp(op: Op, previous: unknown): unknown {
  const shape = valueShape(op);
  const scalars = Array.isArray(previous) ? previous : previous === undefined ? [] : [previous];
  if (shape === 'none') return undefined;
  if (shape === 'list') return scalars;
  if (shape === 'pair') return [scalars[0] ?? null, scalars[1] ?? null];
  return scalars[0];
}

/**
 * Writes `op` and its value into a comparison object (a trait, a property filter, a count),
 * dropping the relative forms and the value when the operator takes none.
 */
export function withOp(node: RuleNode, op: Op): RuleNode {
  const next: RuleNode = { ...node, op };
  for (const form of RELATIVE_FORMS) delete next[form];
  const value = valueForOp(op, node.value);
  if (value === undefined) delete next.value;
  else next.value = value;
  return next;
}

/** Replaces `op` / `value` by a relative date form with its day count. */
export function withRelative(node: RuleNode, form: RelativeForm): RuleNode {
  const next: RuleNode = { ...node };
  const days = RELATIVE_FORMS.map((key) => node[key]).find((value) => typeof value === 'number');
  delete next.op;
  delete next.value;
  for (const key of RELATIVE_FORMS) delete next[key];
  next[form] = days ?? 7;
  return next;
}

export function relativeFormOf(node: RuleNode): RelativeForm | undefined {
  return RELATIVE_FORMS.find((form) => form in node);
}

// --- Fields ------------------------------------------------------------------------------

/** Profile fields with meaning to the rule language; any other trait name is a custom trait. */
export const PROFILE_TRAITS: Record<string, ValueType> = {
  name: 'text',
  phone: 'text',
  email: 'text',
  gender: 'gender',
  birthday: 'date',
  member_no: 'text',
  created_at: 'date',
  store_id: 'store',
};

export const PROFILE_TRAIT_NAMES = [
  'name',
  'phone',
  'email',
  'gender',
  'birthday',
  'member_no',
  'created_at',
  'store_id',
] as const;

export function traitType(name: string): ValueType {
  return PROFILE_TRAITS[name] ?? 'any';
}

/** Relative date forms apply to birthday, created_at and custom traits. */
export function traitTakesRelative(name: string): boolean {
  const type = PROFILE_TRAITS[name];
  return type === undefined || type === 'date';
}

export const ATTRIBUTES: Record<string, 'count' | 'money' | 'date'> = {
  order_count: 'count',
  order_total: 'money',
  first_order_at: 'date',
  last_order_at: 'date',
  first_seen: 'date',
  last_seen: 'date',
  refund_count: 'count',
  refund_total: 'money',
};

export const ATTRIBUTE_NAMES = [
  'order_count',
  'order_total',
  'first_order_at',
  'last_order_at',
  'first_seen',
  'last_seen',
  'refund_count',
  'refund_total',
] as const;

export const AGGREGATES = ['sum', 'avg', 'min', 'max'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export function aggregateOf(value: unknown): Aggregate | undefined {
  return isObject(value) ? AGGREGATES.find((key) => key in value) : undefined;
}

export const IDENTIFIER_RULE_TYPES = [
  'phone',
  'email',
  'member_no',
  'user_id',
  'anonymous_id',
  'wecom',
  'unionid',
  'openid',
  'taobao_ouid',
] as const;

/** Rule identifier names for the stored identifier types that the language names differently. */
export const IDENTIFIER_ALIASES: Record<string, string> = {
  wecom_external_userid: 'wecom',
  wechat_unionid: 'unionid',
  wechat_openid: 'openid',
};

// --- Windows and moments -----------------------------------------------------------------

export type WindowMode = 'all' | 'last_days' | 'last_hours' | 'range' | 'since_registration';

export function windowMode(window: unknown): WindowMode {
  if (!isObject(window)) return 'all';
  if ('last_days' in window) return 'last_days';
  if ('last_hours' in window) return 'last_hours';
  if ('since_registration' in window) return 'since_registration';
  if ('from' in window || 'to' in window) return 'range';
  return 'all';
}

/** The UTC offset of a time zone on a day, as `+08:00`. */
export function zoneOffset(timeZone: string, day: string): string {
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(
      new Date(`${day}T12:00:00Z`),
    );
    const name = parts.find((part) => part.type === 'timeZoneName')?.value ?? '';
    const match = /GMT([+-]\d{2}:\d{2})/.exec(name);
    if (match) return match[1];
    if (name === 'GMT') return '+00:00';
  } catch {
    // An unknown zone: Beijing time, the default of every tenant.
  }
  return '+08:00';
}

/** Midnight at the start of `day` in the tenant's time zone, as RFC 3339. */
export function startOfDay(day: string, timeZone: string): string {
  return `${day}T00:00:00${zoneOffset(timeZone, day)}`;
}

/** The calendar day a date or RFC 3339 time names, as written. */
export function dayOf(moment: unknown): string | null {
  return typeof moment === 'string' && /^\d{4}-\d{2}-\d{2}/.test(moment) ? moment.slice(0, 10) : null;
}

/** `day` plus `days` calendar days. */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** The last day a window's exclusive `to` covers: the day before a midnight, else its own day. */
export function lastDayBefore(to: unknown): string | null {
  const day = dayOf(to);
  if (!day || typeof to !== 'string') return null;
  return /T00:00(:00(\.0+)?)?/.test(to) || to.length === 10 ? addDays(day, -1) : day;
}

// --- Tree edits --------------------------------------------------------------------------

/** Wraps a condition in `not`, or takes the `not` off. */
export function toggleNot(node: RuleNode): RuleNode {
  return conditionKind(node) === 'not' ? (node.not as RuleNode) : { not: node };
}

/** Pretty JSON of a rule, as the JSON view shows it. */
export function ruleText(rule: RuleNode): string {
  return JSON.stringify(rule, null, 2);
}

function blank(value: unknown): boolean {
  return typeof value !== 'string' || value.trim() === '';
}

function emptyList(value: unknown): boolean {
  return !Array.isArray(value) || value.length === 0;
}

function filtersIncomplete(where: unknown): boolean {
  return Array.isArray(where) && where.some((filter) => !isObject(filter) || blank(filter.property));
}

/** Whether a single condition still lacks what the user has to pick (a tag, a stage, a name...). */
function conditionIncomplete(node: RuleNode, kind: ConditionKind): boolean {
  switch (kind) {
    case 'trait':
      return blank(node.trait);
    case 'tag':
      return node.tag === 'has' ? typeof node.id !== 'number' : emptyList(node.ids);
    case 'event':
    case 'firstLast':
      return blank(node.event) || filtersIncomplete(node.where);
    case 'sequence':
      return (node.sequence as unknown[]).some(
        (step) => !isObject(step) || blank(step.event) || filtersIncomplete(step.where),
      );
    case 'lifecycle':
      return emptyList(node.values);
    case 'rfm':
      return emptyList(node.classes);
    case 'store':
      return emptyList(node.ids);
    case 'identifier':
      return blank(node.type);
    case 'segment':
      return typeof node.id !== 'number';
    default:
      return false;
  }
}

/**
 * The first condition row not filled in yet (an empty group below the top, a tag condition
 * without tags...), or null. The preview waits for it rather than showing the server's error.
 */
export function firstIncomplete(node: unknown, path = 'rule'): string | null {
  const kind = conditionKind(node);
  if (kind === 'unknown') return null;
  const rule = node as RuleNode;
  if (kind === 'not') return firstIncomplete(rule.not, `${path}.not`);
  if (kind === 'and' || kind === 'or') {
    const list = rule[kind] as unknown[];
    if (list.length === 0) return path === 'rule' ? null : path;
    for (let index = 0; index < list.length; index += 1) {
      const found = firstIncomplete(list[index], itemPath(path, kind, index));
      if (found) return found;
    }
    return null;
  }
  return conditionIncomplete(rule, kind) ? path : null;
}
