import { useState } from 'react';
import { AutoComplete, Button, DatePicker, Flex, Input, InputNumber, Select, Typography } from 'antd';
import { CloseOutlined, PlusOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { LIFECYCLE_STAGES, RFM_CLASSES } from '../../../api/types';
import { StoreSelect } from '../../../components/StoreSelect';
import { TagSelect } from '../../../components/TagSelect';
import {
  aggregateOf,
  AGGREGATES,
  ATTRIBUTES,
  DATE_OPS,
  dayOf,
  IDENTIFIER_ALIASES,
  isObject,
  lastDayBefore,
  MONEY_OPS,
  NUMBER_OPS,
  PROFILE_TRAIT_NAMES,
  ATTRIBUTE_NAMES,
  startOfDay,
  addDays,
  traitTakesRelative,
  traitType,
  windowMode,
  type Aggregate,
  type RuleNode,
  type WindowMode,
} from '../../../domain/segmentRule';
import { useT } from '../../../i18n';
import { useBuilder } from './context';
import { EventNamePicker, IdentifierTypePicker, SegmentPicker } from './pickers';
import { Comparison } from './ValueField';

const DAY = 'YYYY-MM-DD';

export interface EditorProps {
  node: RuleNode;
  onChange: (node: RuleNode) => void;
}

/** Sets or (for undefined) removes one key of a condition. */
function set(node: RuleNode, key: string, value: unknown): RuleNode {
  const next = { ...node };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next;
}

function Word({ children }: { children: string }) {
  return <Typography.Text type="secondary">{children}</Typography.Text>;
}

// --- Profile ---------------------------------------------------------------------------------

export function TraitEditor({ node, onChange }: EditorProps) {
  const t = useT();
  const { readOnly } = useBuilder();
  const name = typeof node.trait === 'string' ? node.trait : '';
  const builtIn = PROFILE_TRAIT_NAMES.map((key) => ({ value: key as string, label: t(`builder.trait.${key}`) }));
  const label = builtIn.find((option) => option.value === name)?.label;
  const rename = (next: string) => {
    const before = traitType(name);
    const after = traitType(next);
    if (before === after) onChange({ ...node, trait: next });
    else onChange({ trait: next, op: after === 'store' || after === 'gender' ? 'eq' : 'exists' });
  };
  return (
    <>
      <AutoComplete
        value={label ?? name}
        options={builtIn}
        onSelect={(value: string) => rename(value)}
        onChange={(value: string) => {
          if (!builtIn.some((option) => option.label === value)) rename(value.trim());
        }}
        filterOption={(input, option) =>
          String(option?.label ?? '').includes(input) || String(option?.value ?? '').includes(input)
        }
        placeholder={t('builder.traitPlaceholder')}
        style={{ width: 160 }}
        disabled={readOnly}
      />
      <Comparison
        key={name}
        node={node}
        onChange={onChange}
        type={traitType(name)}
        relative={traitTakesRelative(name) ? ['within_next_days', 'within_last_days', 'more_than_days_ago'] : []}
      />
    </>
  );
}

export function AttributeEditor({ node, onChange }: EditorProps) {
  const t = useT();
  const { readOnly } = useBuilder();
  const name = typeof node.attribute === 'string' ? node.attribute : 'order_count';
  const kind = ATTRIBUTES[name] ?? 'count';
  const rename = (next: string) => {
    const nextKind = ATTRIBUTES[next];
    if (nextKind === kind) onChange({ ...node, attribute: next });
    else if (nextKind === 'date') onChange({ attribute: next, more_than_days_ago: 30 });
    else onChange({ attribute: next, op: 'gte', value: nextKind === 'money' ? 1000 : 2 });
  };
  return (
    <>
      <Select
        value={name}
        onChange={rename}
        options={ATTRIBUTE_NAMES.map((key) => ({ value: key, label: t(`builder.attribute.${key}`) }))}
        popupMatchSelectWidth={false}
        style={{ width: 150 }}
        disabled={readOnly}
      />
      <Comparison
        key={name}
        node={node}
        onChange={onChange}
        type={kind === 'date' ? 'date' : 'number'}
        ops={kind === 'date' ? DATE_OPS : kind === 'money' ? MONEY_OPS : NUMBER_OPS}
        relative={kind === 'date' ? ['within_last_days', 'more_than_days_ago'] : []}
        money={kind === 'money'}
      />
    </>
  );
}

// --- Membership ------------------------------------------------------------------------------

function InOut({ value, onChange }: { value: unknown; onChange: (value: string) => void }) {
  const t = useT();
  const { readOnly } = useBuilder();
  return (
    <Select
      value={value === 'not_in' ? 'not_in' : 'in'}
      onChange={onChange}
      options={[
        { value: 'in', label: t('builder.in') },
        { value: 'not_in', label: t('builder.notIn') },
      ]}
      style={{ width: 96 }}
      disabled={readOnly}
    />
  );
}

const TAG_OPS = ['has', 'has_any', 'has_all', 'has_none'] as const;

export function TagEditor({ node, onChange }: EditorProps) {
  const t = useT();
  const { readOnly } = useBuilder();
  const op = (TAG_OPS as readonly string[]).includes(String(node.tag)) ? String(node.tag) : 'has_any';
  const ids = Array.isArray(node.ids) ? (node.ids as number[]) : typeof node.id === 'number' ? [node.id] : [];
  const write = (nextOp: string, nextIds: number[]) =>
    onChange(nextOp === 'has' ? { tag: 'has', id: nextIds[0] ?? null } : { tag: nextOp, ids: nextIds });
  return (
    <>
      <Select
        value={op}
        onChange={(next: string) => write(next, next === 'has' ? ids.slice(0, 1) : ids)}
        options={TAG_OPS.map((value) => ({ value, label: t(`builder.tag.${value}`) }))}
        popupMatchSelectWidth={false}
        style={{ width: 130 }}
        disabled={readOnly}
      />
      <TagSelect
        multiple={op !== 'has'}
        value={op === 'has' ? (ids[0] ?? null) : ids}
        onChange={(next) => write(op, Array.isArray(next) ? next : next ? [next] : [])}
        style={{ minWidth: 260, maxWidth: 480 }}
        testId="builder-tag-select"
      />
    </>
  );
}

export function LifecycleEditor({ node, onChange }: EditorProps) {
  const t = useT();
  const { readOnly } = useBuilder();
  return (
    <>
      <InOut value={node.lifecycle} onChange={(value) => onChange({ ...node, lifecycle: value })} />
      <Select
        mode="multiple"
        value={Array.isArray(node.values) ? (node.values as string[]) : []}
        onChange={(values: string[]) => onChange({ ...node, values })}
        options={LIFECYCLE_STAGES.map((stage) => ({ value: stage, label: t(`lifecycle.${stage}`) }))}
        placeholder={t('builder.lifecyclePlaceholder')}
        style={{ minWidth: 260 }}
        disabled={readOnly}
      />
    </>
  );
}

export function RfmEditor({ node, onChange }: EditorProps) {
  const t = useT();
  const { readOnly } = useBuilder();
  return (
    <>
      <InOut value={node.rfm} onChange={(value) => onChange({ ...node, rfm: value })} />
      <Select
        mode="multiple"
        value={Array.isArray(node.classes) ? (node.classes as string[]) : []}
        onChange={(classes: string[]) => onChange({ ...node, classes })}
        options={RFM_CLASSES.map((code) => ({ value: code, label: t(`rfm.class.${code}`) }))}
        placeholder={t('builder.rfmPlaceholder')}
        style={{ minWidth: 300 }}
        disabled={readOnly}
      />
    </>
  );
}

export function StoreEditor({ node, onChange }: EditorProps) {
  const t = useT();
  return (
    <>
      <InOut value={node.store} onChange={(value) => onChange({ ...node, store: value })} />
      <div style={{ minWidth: 280 }}>
        <StoreSelect
          multiple
          value={Array.isArray(node.ids) ? (node.ids as number[]) : []}
          onChange={(ids) => onChange({ ...node, ids: Array.isArray(ids) ? ids : [] })}
          placeholder={t('builder.storePlaceholder')}
        />
      </div>
    </>
  );
}

export function IdentifierEditor({ node, onChange }: EditorProps) {
  const t = useT();
  const { readOnly } = useBuilder();
  const type = typeof node.type === 'string' ? (IDENTIFIER_ALIASES[node.type] ?? node.type) : '';
  return (
    <>
      <Select
        value={node.identifier === 'not_exists' ? 'not_exists' : 'exists'}
        onChange={(value: string) => onChange({ ...node, identifier: value })}
        options={[
          { value: 'exists', label: t('builder.identifierHas') },
          { value: 'not_exists', label: t('builder.identifierHasNot') },
        ]}
        style={{ width: 96 }}
        disabled={readOnly}
      />
      <IdentifierTypePicker value={type} onChange={(value) => onChange({ ...node, type: value })} />
    </>
  );
}

export function SegmentEditor({ node, onChange }: EditorProps) {
  const { segmentId } = useBuilder();
  return (
    <>
      <InOut value={node.segment} onChange={(value) => onChange({ ...node, segment: value })} />
      <SegmentPicker
        value={typeof node.id === 'number' ? node.id : null}
        onChange={(id) => onChange({ ...node, id })}
        excludeId={segmentId}
      />
    </>
  );
}

// --- Behaviour -------------------------------------------------------------------------------

/** Property filters of an event: every one must hold for an event to count. */
function WhereList({ where, onChange }: { where: unknown; onChange: (where: RuleNode[] | undefined) => void }) {
  const t = useT();
  const { readOnly } = useBuilder();
  const list = Array.isArray(where) ? (where as RuleNode[]) : [];
  const update = (index: number, next: RuleNode) => onChange(list.map((item, i) => (i === index ? next : item)));
  const remove = (index: number) => {
    const next = list.filter((_, i) => i !== index);
    onChange(next.length ? next : undefined);
  };
  return (
    <Flex vertical gap={6} className="siyu-cond-where">
      {list.map((filter, index) => (
        <Flex key={index} gap={6} wrap align="center" data-testid="builder-where">
          <Word>{index === 0 ? t('builder.where') : t('builder.whereAnd')}</Word>
          <Input
            value={typeof filter.property === 'string' ? filter.property : ''}
            onChange={(event) => update(index, { ...filter, property: event.target.value })}
            placeholder={t('builder.propertyPlaceholder')}
            style={{ width: 150 }}
            disabled={readOnly}
          />
          <Comparison node={filter} onChange={(next) => update(index, next)} type="any" />
          {readOnly ? null : (
            <Button
              type="text"
              size="small"
              icon={<CloseOutlined />}
              onClick={() => remove(index)}
              aria-label={t('builder.removeFilter')}
            />
          )}
        </Flex>
      ))}
      {readOnly ? null : (
        <div>
          <Button
            type="link"
            size="small"
            icon={<PlusOutlined />}
            style={{ paddingInline: 0 }}
            onClick={() => onChange([...list, { property: '', op: 'eq', value: '' }])}
          >
            {t('builder.addFilter')}
          </Button>
        </div>
      )}
    </Flex>
  );
}

function WindowInput({ window, onChange }: { window: unknown; onChange: (window: RuleNode | undefined) => void }) {
  const t = useT();
  const { readOnly, timeZone } = useBuilder();
  const mode = windowMode(window);
  const current = isObject(window) ? window : {};
  const choose = (next: WindowMode) => {
    if (next === 'all') onChange(undefined);
    else if (next === 'last_days') onChange({ last_days: 30 });
    else if (next === 'last_hours') onChange({ last_hours: 24 });
    else if (next === 'since_registration') onChange({ since_registration: true });
    else {
      const today = dayjs().format(DAY);
      onChange({ from: startOfDay(addDays(today, -29), timeZone), to: startOfDay(addDays(today, 1), timeZone) });
    }
  };
  const from = dayOf(current.from);
  const last = lastDayBefore(current.to);
  const setRange = (range: [Dayjs | null, Dayjs | null] | null) => {
    const next: RuleNode = {};
    if (range?.[0]) next.from = startOfDay(range[0].format(DAY), timeZone);
    if (range?.[1]) next.to = startOfDay(addDays(range[1].format(DAY), 1), timeZone);
    onChange(next.from || next.to ? next : undefined);
  };
  return (
    <>
      <Select
        value={mode}
        onChange={choose}
        options={(['all', 'last_days', 'last_hours', 'range', 'since_registration'] as const).map((value) => ({
          value,
          label: t(`builder.window.${value}`),
        }))}
        popupMatchSelectWidth={false}
        style={{ width: 120 }}
        disabled={readOnly}
        data-testid="builder-window"
      />
      {mode === 'last_days' || mode === 'last_hours' ? (
        <InputNumber
          min={1}
          max={mode === 'last_days' ? 36500 : 876000}
          precision={0}
          value={typeof current[mode] === 'number' ? (current[mode] as number) : null}
          onChange={(value) => onChange({ [mode]: value ?? undefined })}
          addonAfter={t(mode === 'last_days' ? 'builder.days' : 'builder.hours')}
          style={{ width: 124 }}
          disabled={readOnly}
        />
      ) : null}
      {mode === 'range' ? (
        <DatePicker.RangePicker
          value={[from ? dayjs(from) : null, last ? dayjs(last) : null]}
          allowEmpty={[true, true]}
          onChange={(range) => setRange(range as [Dayjs | null, Dayjs | null] | null)}
          style={{ width: 250 }}
          disabled={readOnly}
        />
      ) : null}
    </>
  );
}

type Measure = 'count' | Aggregate;

/** How often, or a sum / average / minimum / maximum of a numeric property. */
function MeasureInput({ node, onChange }: EditorProps) {
  const t = useT();
  const { readOnly } = useBuilder();
  const aggregate = aggregateOf(node.aggregate);
  const measure: Measure = aggregate ?? 'count';
  const count = isObject(node.count) ? node.count : { op: 'gte', value: 1 };
  const agg = isObject(node.aggregate) ? node.aggregate : {};
  const choose = (next: Measure) => {
    const base = { ...node };
    delete base.count;
    delete base.aggregate;
    if (next === 'count') onChange(base);
    else {
      const property = aggregate ? agg[aggregate] : 'revenue';
      onChange({ ...base, aggregate: { [next]: property, op: agg.op ?? 'gte', value: agg.value ?? 100 } });
    }
  };
  return (
    <>
      <Select
        value={measure}
        onChange={choose}
        options={(['count', ...AGGREGATES] as const).map((value) => ({ value, label: t(`builder.measure.${value}`) }))}
        popupMatchSelectWidth={false}
        style={{ width: 96 }}
        disabled={readOnly}
        data-testid="builder-measure"
      />
      {aggregate ? (
        <Input
          value={typeof agg[aggregate] === 'string' ? (agg[aggregate] as string) : ''}
          onChange={(event) => onChange({ ...node, aggregate: { ...agg, [aggregate]: event.target.value } })}
          placeholder={t('builder.propertyPlaceholder')}
          style={{ width: 120 }}
          disabled={readOnly}
        />
      ) : null}
      <Comparison
        key={measure}
        node={aggregate ? agg : count}
        onChange={(next) => onChange(aggregate ? { ...node, aggregate: next } : { ...node, count: next })}
        type="number"
        ops={NUMBER_OPS}
        money={aggregate !== undefined && agg[aggregate] === 'revenue'}
        testId="builder-measure-value"
      />
    </>
  );
}

export function EventEditor({ node, onChange }: EditorProps) {
  const t = useT();
  const { readOnly } = useBuilder();
  const did = node.did !== false;
  const setDid = (value: boolean) => {
    const next = set(node, 'did', value ? undefined : false);
    if (!value) {
      delete next.count;
      delete next.aggregate;
    }
    onChange(next);
  };
  return (
    <Flex vertical gap={8} style={{ flex: 1, minWidth: 0 }}>
      <Flex gap={6} wrap align="center">
        <Select
          value={did}
          onChange={setDid}
          options={[
            { value: true, label: t('builder.did') },
            { value: false, label: t('builder.didNot') },
          ]}
          style={{ width: 88 }}
          disabled={readOnly}
          data-testid="builder-did"
        />
        <EventNamePicker
          value={typeof node.event === 'string' ? node.event : ''}
          onChange={(event) => onChange({ ...node, event })}
          testId="builder-event"
        />
      </Flex>
      <Flex gap={6} wrap align="center">
        <Word>{t('builder.windowLabel')}</Word>
        <WindowInput window={node.window} onChange={(window) => onChange(set(node, 'window', window))} />
      </Flex>
      {did ? (
        <Flex gap={6} wrap align="center">
          <Word>{t('builder.measureLabel')}</Word>
          <MeasureInput node={node} onChange={onChange} />
        </Flex>
      ) : null}
      <WhereList where={node.where} onChange={(where) => onChange(set(node, 'where', where))} />
    </Flex>
  );
}

export function FirstLastEditor({ node, onChange }: EditorProps) {
  const t = useT();
  const { readOnly, timeZone } = useBuilder();
  const which = 'first' in node ? 'first' : 'last';
  const direction = node[which] === 'after' ? 'after' : 'before';
  const at = node.at;
  const relative = isObject(at);
  const day = dayOf(at);
  const setWhich = (next: string) => {
    const rest = { ...node };
    delete rest.first;
    delete rest.last;
    onChange({ ...rest, [next]: direction });
  };
  return (
    <>
      <EventNamePicker
        value={typeof node.event === 'string' ? node.event : ''}
        onChange={(event) => onChange({ ...node, event })}
      />
      <Select
        value={which}
        onChange={setWhich}
        options={[
          { value: 'first', label: t('builder.firstTime') },
          { value: 'last', label: t('builder.lastTime') },
        ]}
        style={{ width: 110 }}
        disabled={readOnly}
      />
      <Select
        value={direction}
        onChange={(value: string) => onChange({ ...node, [which]: value })}
        options={[
          { value: 'before', label: t('builder.before') },
          { value: 'after', label: t('builder.after') },
        ]}
        style={{ width: 100 }}
        disabled={readOnly}
      />
      <Select
        value={relative ? 'days_ago' : 'date'}
        onChange={(value: string) =>
          onChange({
            ...node,
            at: value === 'days_ago' ? { days_ago: 30 } : startOfDay(dayjs().format(DAY), timeZone),
          })
        }
        options={[
          { value: 'days_ago', label: t('builder.atDaysAgo') },
          { value: 'date', label: t('builder.atDate') },
        ]}
        style={{ width: 124 }}
        disabled={readOnly}
      />
      {relative ? (
        <InputNumber
          min={1}
          max={36500}
          precision={0}
          value={typeof at.days_ago === 'number' ? at.days_ago : null}
          onChange={(days) => onChange({ ...node, at: { days_ago: days ?? undefined } })}
          addonAfter={t('builder.daysAgo')}
          style={{ width: 150 }}
          disabled={readOnly}
        />
      ) : (
        <DatePicker
          value={day ? dayjs(day) : null}
          onChange={(value) => onChange(set(node, 'at', value ? startOfDay(value.format(DAY), timeZone) : undefined))}
          disabled={readOnly}
        />
      )}
    </>
  );
}

export function SequenceEditor({ node, onChange }: EditorProps) {
  const t = useT();
  const { readOnly } = useBuilder();
  const steps = (Array.isArray(node.sequence) ? node.sequence : []) as RuleNode[];
  const unit = 'within_hours' in node ? 'within_hours' : 'within_days';
  const span = typeof node[unit] === 'number' ? (node[unit] as number) : null;
  const [showFilters, setShowFilters] = useState(steps.some((step) => Array.isArray(step.where)));
  const setStep = (index: number, step: RuleNode) =>
    onChange({ ...node, sequence: steps.map((item, i) => (i === index ? step : item)) });
  const setUnit = (next: string) => {
    const rest = { ...node };
    delete rest.within_days;
    delete rest.within_hours;
    onChange({ ...rest, [next]: span ?? 7 });
  };
  return (
    <Flex vertical gap={8} style={{ flex: 1, minWidth: 0 }}>
      <Flex gap={6} wrap align="center">
        <Word>{t('builder.seqFirst')}</Word>
        <EventNamePicker
          value={typeof steps[0]?.event === 'string' ? (steps[0].event as string) : ''}
          onChange={(event) => setStep(0, { ...steps[0], event })}
        />
        <Word>{t('builder.seqThen')}</Word>
        <InputNumber
          min={1}
          max={unit === 'within_days' ? 36500 : 876000}
          precision={0}
          value={span}
          onChange={(value) => onChange({ ...node, [unit]: value ?? undefined })}
          style={{ width: 80 }}
          disabled={readOnly}
        />
        <Select
          value={unit}
          onChange={setUnit}
          options={[
            { value: 'within_days', label: t('builder.days') },
            { value: 'within_hours', label: t('builder.hours') },
          ]}
          style={{ width: 80 }}
          disabled={readOnly}
        />
        <Word>{t('builder.seqWithin')}</Word>
        <EventNamePicker
          value={typeof steps[1]?.event === 'string' ? (steps[1].event as string) : ''}
          onChange={(event) => setStep(1, { ...steps[1], event })}
        />
        {showFilters ? null : (
          <Button type="link" size="small" onClick={() => setShowFilters(true)} style={{ paddingInline: 0 }}>
            {t('builder.seqFilters')}
          </Button>
        )}
      </Flex>
      {showFilters
        ? steps.map((step, index) => (
            <Flex key={index} gap={6} align="flex-start">
              <Typography.Text type="secondary" style={{ whiteSpace: 'nowrap', lineHeight: '24px' }}>
                {t(index === 0 ? 'builder.seqStepA' : 'builder.seqStepB')}
              </Typography.Text>
              <WhereList where={step.where} onChange={(where) => setStep(index, set(step, 'where', where))} />
            </Flex>
          ))
        : null}
    </Flex>
  );
}

export function AllEditor() {
  const t = useT();
  return <Typography.Text>{t('builder.allCustomers')}</Typography.Text>;
}
