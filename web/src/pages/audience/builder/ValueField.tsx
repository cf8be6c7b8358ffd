import { useState } from 'react';
import { DatePicker, Flex, Input, InputNumber, Select, Typography } from 'antd';
import dayjs from 'dayjs';
import { StoreSelect } from '../../../components/StoreSelect';
import {
  convertScalar,
  isOp,
  opsFor,
  relativeFormOf,
  RELATIVE_FORMS,
  scalarType,
  valueShape,
  withOp,
  withRelative,
  type Op,
  type RelativeForm,
  type RuleNode,
  type ValueType,
} from '../../../domain/segmentRule';
import { useT } from '../../../i18n';
import { useBuilder } from './context';

type Scalar = 'text' | 'number' | 'date' | 'boolean';
/** A value type with "any" settled to one scalar type. */
type Concrete = Exclude<ValueType, 'any'>;

const DAY = 'YYYY-MM-DD';
const GENDERS = ['male', 'female', 'unknown'] as const;
const SCALARS: readonly Scalar[] = ['text', 'number', 'boolean', 'date'];

interface SingleProps {
  type: Concrete;
  value: unknown;
  onChange: (value: unknown) => void;
  money?: boolean;
  width?: number;
  testId?: string;
}

/** One value of a type: text, number, date, yes/no, gender or store. */
function SingleValue({ type, value, onChange, money, width, testId }: SingleProps) {
  const t = useT();
  const { readOnly } = useBuilder();
  switch (type) {
    case 'number':
      return (
        <InputNumber
          value={typeof value === 'number' ? value : null}
          onChange={(next) => onChange(next ?? undefined)}
          prefix={money ? '¥' : undefined}
          placeholder={t('builder.value')}
          style={{ width: width ?? 120 }}
          disabled={readOnly}
          data-testid={testId}
        />
      );
    case 'date':
      return (
        <DatePicker
          value={typeof value === 'string' && dayjs(value.slice(0, 10)).isValid() ? dayjs(value.slice(0, 10)) : null}
          onChange={(next) => onChange(next ? next.format(DAY) : undefined)}
          style={{ width: width ?? 150 }}
          disabled={readOnly}
        />
      );
    case 'boolean':
      return (
        <Select
          value={typeof value === 'boolean' ? value : undefined}
          onChange={onChange}
          options={[
            { value: true, label: t('builder.true') },
            { value: false, label: t('builder.false') },
          ]}
          style={{ width: width ?? 160 }}
          disabled={readOnly}
        />
      );
    case 'gender':
      return (
        <Select
          value={typeof value === 'string' ? value : undefined}
          onChange={onChange}
          options={GENDERS.map((gender) => ({ value: gender, label: t(`gender.${gender}`) }))}
          placeholder={t('builder.value')}
          style={{ width: width ?? 160 }}
          disabled={readOnly}
        />
      );
    case 'store':
      return (
        <div style={{ width: 200 }}>
          <StoreSelect
            value={typeof value === 'number' ? value : null}
            onChange={(next) => onChange(next ?? undefined)}
          />
        </div>
      );
    case 'text':
      return (
        <Input
          value={typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value)}
          onChange={(event) => onChange(event.target.value)}
          placeholder={t('builder.value')}
          style={{ width: width ?? 160 }}
          disabled={readOnly}
          data-testid={testId}
        />
      );
  }
}

/** Several values of a type, for `in` and `not_in`. */
function ListValue({
  type,
  value,
  onChange,
}: {
  type: Concrete;
  value: unknown;
  onChange: (value: unknown[]) => void;
}) {
  const t = useT();
  const { readOnly } = useBuilder();
  const list = Array.isArray(value) ? value : [];
  if (type === 'store') {
    return (
      <div style={{ minWidth: 240 }}>
        <StoreSelect
          multiple
          value={list.filter((item): item is number => typeof item === 'number')}
          onChange={(next) => onChange(Array.isArray(next) ? next : [])}
        />
      </div>
    );
  }
  const options =
    type === 'gender'
      ? GENDERS.map((gender) => ({ value: gender, label: t(`gender.${gender}`) }))
      : type === 'boolean'
        ? [
            { value: 'true', label: t('builder.true') },
            { value: 'false', label: t('builder.false') },
          ]
        : undefined;
  return (
    <Select
      mode={options ? 'multiple' : 'tags'}
      value={list.map((item) => String(item))}
      onChange={(next: string[]) =>
        onChange(
          next
            .map((item) => (type === 'gender' ? item : convertScalar(item, type as Scalar)))
            .filter((item) => item !== undefined),
        )
      }
      options={options}
      tokenSeparators={[',', '，']}
      open={options ? undefined : false}
      suffixIcon={null}
      placeholder={t('builder.listPlaceholder')}
      style={{ minWidth: 220 }}
      disabled={readOnly}
    />
  );
}

interface ComparisonProps {
  /** The object holding `op` and `value` (a trait, a property filter, a count...). */
  node: RuleNode;
  onChange: (node: RuleNode) => void;
  /** The field's type; `any` lets the user choose (custom traits, event properties). */
  type: ValueType;
  /** Operators offered; by default those of the type. */
  ops?: readonly Op[];
  /** Also offer the relative date forms (within the next / last N days, more than N days ago). */
  relative?: readonly RelativeForm[];
  money?: boolean;
  testId?: string;
}

/** An operator and the value it takes, writing `op` / `value` (or a relative form) into `node`. */
export function Comparison({ node, onChange, type, ops, relative = [], money, testId }: ComparisonProps) {
  const t = useT();
  const { readOnly } = useBuilder();
  const [anyType, setAnyType] = useState<Scalar>(() => scalarType(node.value));
  const concrete: Concrete = type === 'any' ? anyType : type;
  const offered = ops ?? opsFor(type === 'any' ? 'any' : type);
  const relativeForm = relativeFormOf(node);
  const op = isOp(node.op) ? node.op : undefined;
  const choice = relativeForm ?? op;
  const options = [
    ...offered.map((value) => ({ value: value as string, label: t(`builder.op.${value}`) })),
    ...relative.map((value) => ({ value: value as string, label: t(`builder.relative.${value}`) })),
  ];

  const choose = (next: string) => {
    if ((RELATIVE_FORMS as readonly string[]).includes(next)) onChange(withRelative(node, next as RelativeForm));
    else onChange(withOp(node, next as Op));
  };
  const setValue = (value: unknown) => {
    const next = { ...node };
    if (value === undefined) delete next.value;
    else next.value = value;
    onChange(next);
  };
  const setType = (next: Scalar) => {
    setAnyType(next);
    const value = node.value;
    setValue(
      Array.isArray(value) ? value.map((item) => convertScalar(item, next) ?? null) : convertScalar(value, next),
    );
  };

  let input = null;
  if (relativeForm) {
    input = (
      <InputNumber
        min={1}
        max={36500}
        precision={0}
        value={typeof node[relativeForm] === 'number' ? (node[relativeForm] as number) : null}
        onChange={(days) => onChange({ ...node, [relativeForm]: days ?? undefined })}
        addonAfter={t('builder.days')}
        style={{ width: 140 }}
        disabled={readOnly}
      />
    );
  } else if (op) {
    const shape = valueShape(op);
    const pair = Array.isArray(node.value) ? node.value : [];
    if (shape === 'list') input = <ListValue type={concrete} value={node.value} onChange={setValue} />;
    else if (shape === 'pair') {
      input = (
        <Flex align="center" gap={6}>
          <SingleValue
            type={concrete}
            value={pair[0]}
            money={money}
            width={130}
            onChange={(low) => setValue([low ?? null, pair[1] ?? null])}
          />
          <Typography.Text type="secondary">{t('builder.to')}</Typography.Text>
          <SingleValue
            type={concrete}
            value={pair[1]}
            money={money}
            width={130}
            onChange={(high) => setValue([pair[0] ?? null, high ?? null])}
          />
        </Flex>
      );
    } else if (shape === 'single') {
      input = <SingleValue type={concrete} value={node.value} money={money} onChange={setValue} testId={testId} />;
    }
  }

  return (
    <>
      {type === 'any' && !relativeForm && op && valueShape(op) !== 'none' ? (
        <Select
          value={anyType}
          onChange={setType}
          options={SCALARS.map((value) => ({ value, label: t(`builder.type.${value}`) }))}
          style={{ width: 82 }}
          aria-label={t('builder.valueType')}
          disabled={readOnly}
        />
      ) : null}
      <Select
        value={choice}
        onChange={choose}
        options={options}
        placeholder={t('builder.opPlaceholder')}
        popupMatchSelectWidth={false}
        style={{ width: 124 }}
        disabled={readOnly}
      />
      {input}
    </>
  );
}
