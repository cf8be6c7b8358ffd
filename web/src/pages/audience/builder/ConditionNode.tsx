import { useEffect, useState, type ReactNode } from 'react';
import { Button, Dropdown, Flex, Input, Select, Tag, Tooltip, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined, StopOutlined } from '@ant-design/icons';
import {
  ADDABLE_KINDS,
  conditionKind,
  isObject,
  itemPath,
  newCondition,
  toggleNot,
  type AddableKind,
  type ConditionKind,
  type RuleNode,
} from '../../../domain/segmentRule';
import { useT } from '../../../i18n';
import {
  AllEditor,
  AttributeEditor,
  EventEditor,
  FirstLastEditor,
  IdentifierEditor,
  LifecycleEditor,
  RfmEditor,
  SegmentEditor,
  SequenceEditor,
  StoreEditor,
  TagEditor,
  TraitEditor,
  type EditorProps,
} from './conditions';
import { useBuilder } from './context';

const EDITORS: Partial<Record<ConditionKind, (props: EditorProps) => ReactNode>> = {
  all: AllEditor,
  trait: TraitEditor,
  tag: TagEditor,
  event: EventEditor,
  firstLast: FirstLastEditor,
  sequence: SequenceEditor,
  attribute: AttributeEditor,
  lifecycle: LifecycleEditor,
  rfm: RfmEditor,
  store: StoreEditor,
  identifier: IdentifierEditor,
  segment: SegmentEditor,
};

const KIND_COLORS: Partial<Record<ConditionKind, string>> = {
  trait: 'blue',
  tag: 'magenta',
  event: 'green',
  firstLast: 'green',
  sequence: 'cyan',
  attribute: 'geekblue',
  lifecycle: 'gold',
  rfm: 'volcano',
  store: 'purple',
  identifier: 'lime',
  segment: 'orange',
};

interface NodeProps {
  node: unknown;
  path: string;
  onChange: (node: RuleNode) => void;
  /** Removes the condition from its group; absent for the top of the rule. */
  onRemove?: () => void;
  negated?: boolean;
}

/** A condition the language does not define, or that the builder cannot show: edited as JSON. */
function RawEditor({ node, onChange }: { node: unknown; onChange: (node: RuleNode) => void }) {
  const t = useT();
  const { readOnly } = useBuilder();
  const [text, setText] = useState(() => JSON.stringify(node, null, 2));
  const [invalid, setInvalid] = useState(false);
  useEffect(() => {
    setText((current) => {
      try {
        return JSON.stringify(JSON.parse(current)) === JSON.stringify(node) ? current : JSON.stringify(node, null, 2);
      } catch {
        return current;
      }
    });
  }, [node]);
  return (
    <Flex vertical gap={4} style={{ flex: 1, minWidth: 0 }}>
      <Typography.Text type="secondary">{t('builder.rawHint')}</Typography.Text>
      <Input.TextArea
        value={text}
        autoSize={{ minRows: 2, maxRows: 10 }}
        className="siyu-json"
        status={invalid ? 'error' : undefined}
        disabled={readOnly}
        onChange={(event) => {
          setText(event.target.value);
          try {
            const parsed: unknown = JSON.parse(event.target.value);
            setInvalid(!isObject(parsed));
            if (isObject(parsed)) onChange(parsed);
          } catch {
            setInvalid(true);
          }
        }}
      />
    </Flex>
  );
}

/** The error or the "fill this in" hint under the row at `path`. */
function RowMessage({ path }: { path: string }) {
  const t = useT();
  const { error, incomplete } = useBuilder();
  if (error?.row === path) {
    return (
      <div className="siyu-cond-message siyu-cond-message-error" role="alert" data-testid="builder-error">
        {error.text}
      </div>
    );
  }
  if (incomplete === path) {
    return <div className="siyu-cond-message siyu-cond-message-hint">{t('builder.incomplete')}</div>;
  }
  return null;
}

function rowClass(base: string, path: string, error: string | undefined, incomplete: string | null): string {
  if (error === path) return `${base} ${base}-error`;
  if (incomplete === path) return `${base} ${base}-incomplete`;
  return base;
}

function RowActions({
  negated,
  onNegate,
  onRemove,
}: {
  negated?: boolean;
  onNegate: () => void;
  onRemove?: () => void;
}) {
  const t = useT();
  const { readOnly } = useBuilder();
  if (readOnly) return null;
  return (
    <Flex gap={2} style={{ flex: 'none' }}>
      <Tooltip title={t(negated ? 'builder.unnegate' : 'builder.negate')}>
        <Button
          type={negated ? 'primary' : 'text'}
          danger={negated}
          ghost={negated}
          size="small"
          icon={<StopOutlined />}
          onClick={onNegate}
          aria-label={t(negated ? 'builder.unnegate' : 'builder.negate')}
          data-testid="builder-negate"
        />
      </Tooltip>
      {onRemove ? (
        <Tooltip title={t('builder.remove')}>
          <Button
            type="text"
            size="small"
            icon={<DeleteOutlined />}
            onClick={onRemove}
            aria-label={t('builder.remove')}
            data-testid="builder-remove"
          />
        </Tooltip>
      ) : null}
    </Flex>
  );
}

/** The "add a condition" menu and "add a group" button at the foot of a group. */
export function AddButtons({ onAdd, parent }: { onAdd: (node: RuleNode) => void; parent: 'and' | 'or' }) {
  const t = useT();
  const { readOnly } = useBuilder();
  if (readOnly) return null;
  return (
    <Flex gap={8} wrap>
      <Dropdown
        trigger={['click']}
        menu={{
          items: ADDABLE_KINDS.map((kind) => ({
            key: kind,
            label: (
              <Flex vertical style={{ padding: '2px 0' }} data-testid={`builder-add-${kind}`}>
                <span>{t(`builder.kind.${kind}`)}</span>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t(`builder.kindHint.${kind}`)}
                </Typography.Text>
              </Flex>
            ),
          })),
          onClick: ({ key }) => onAdd(newCondition(key as AddableKind)),
          className: 'siyu-add-menu',
        }}
      >
        <Button size="small" icon={<PlusOutlined />} data-testid="builder-add">
          {t('builder.addCondition')}
        </Button>
      </Dropdown>
      <Button
        size="small"
        type="dashed"
        icon={<PlusOutlined />}
        onClick={() => onAdd(parent === 'and' ? { or: [] } : { and: [] })}
        data-testid="builder-add-group"
      >
        {t('builder.addGroup')}
      </Button>
    </Flex>
  );
}

function GroupNode({ node, path, onChange, onRemove, negated }: NodeProps & { node: RuleNode }) {
  const t = useT();
  const { readOnly, error, incomplete } = useBuilder();
  const kind = conditionKind(node) as 'and' | 'or';
  const children = node[kind] as unknown[];
  const write = (next: RuleNode) => onChange(negated ? { not: next } : next);
  const replace = (index: number, child: RuleNode) =>
    write({ [kind]: children.map((item, i) => (i === index ? child : item)) });
  const remove = (index: number) => write({ [kind]: children.filter((_, i) => i !== index) });
  const root = path === 'rule';
  return (
    <div className={rowClass('siyu-group', path, error?.row, incomplete)} data-testid="builder-group" data-path={path}>
      <Flex justify="space-between" align="center" gap={8} wrap>
        <Flex align="center" gap={8} wrap>
          {negated ? <Tag color="red">{t('builder.notTag')}</Tag> : null}
          <Select
            value={kind}
            onChange={(next: string) => write({ [next]: children })}
            options={[
              { value: 'and', label: t('builder.groupAnd') },
              { value: 'or', label: t('builder.groupOr') },
            ]}
            popupMatchSelectWidth={false}
            variant="borderless"
            className="siyu-group-op"
            disabled={readOnly}
            data-testid="builder-group-op"
          />
        </Flex>
        {root && !negated ? null : (
          <RowActions
            negated={negated}
            onNegate={() => onChange(negated ? node : toggleNot(node))}
            onRemove={onRemove}
          />
        )}
      </Flex>
      <div className="siyu-group-body">
        {children.length === 0 ? (
          <Typography.Text type="secondary" className="siyu-group-empty">
            {t(root ? 'builder.emptyRoot' : 'builder.emptyGroup')}
          </Typography.Text>
        ) : null}
        {children.map((child, index) => (
          <div key={index} className="siyu-group-item">
            {index > 0 ? (
              <span className="siyu-group-joiner">{t(kind === 'and' ? 'builder.joinAnd' : 'builder.joinOr')}</span>
            ) : null}
            <ConditionNode
              node={child}
              path={itemPath(path, kind, index)}
              onChange={(next) => replace(index, next)}
              onRemove={() => remove(index)}
            />
          </div>
        ))}
        <AddButtons parent={kind} onAdd={(child) => write({ [kind]: [...children, child] })} />
      </div>
      <RowMessage path={path} />
    </div>
  );
}

/** One condition of the rule tree, of any kind; groups render their children recursively. */
export function ConditionNode({ node, path, onChange, onRemove, negated }: NodeProps) {
  const t = useT();
  const { error, incomplete } = useBuilder();
  const kind = conditionKind(node);
  const rule = node as RuleNode;

  if (kind === 'not') {
    const inner = rule.not as RuleNode;
    return (
      <ConditionNode
        node={inner}
        path={`${path}.not`}
        negated
        onChange={(next) => onChange(negated ? next : { not: next })}
        onRemove={onRemove}
      />
    );
  }
  if (kind === 'and' || kind === 'or') {
    return <GroupNode node={rule} path={path} negated={negated} onRemove={onRemove} onChange={onChange} />;
  }

  const Editor = EDITORS[kind];
  const write = (next: RuleNode) => onChange(negated ? { not: next } : next);
  return (
    <div
      className={rowClass('siyu-cond', path, error?.row, incomplete)}
      data-testid="builder-condition"
      data-kind={kind}
      data-path={path}
    >
      <Flex gap={8} align="flex-start">
        <Flex vertical gap={4} align="flex-start" style={{ flex: 'none', minWidth: 52 }}>
          <Tag color={KIND_COLORS[kind]} style={{ marginInlineEnd: 0 }}>
            {t(`builder.kind.${kind}`)}
          </Tag>
          {negated ? (
            <Tag color="red" style={{ marginInlineEnd: 0 }}>
              {t('builder.notTag')}
            </Tag>
          ) : null}
        </Flex>
        <Flex gap={6} wrap align="center" style={{ flex: 1, minWidth: 0 }}>
          {Editor ? <Editor node={rule} onChange={write} /> : <RawEditor node={node} onChange={write} />}
        </Flex>
        <RowActions negated={negated} onNegate={() => onChange(negated ? rule : { not: rule })} onRemove={onRemove} />
      </Flex>
      <RowMessage path={path} />
    </div>
  );
}
