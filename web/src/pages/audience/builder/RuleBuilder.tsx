import { useMemo, useState } from 'react';
import { Alert, Flex, Input, Segmented, Typography } from 'antd';
import { ApartmentOutlined, CodeOutlined } from '@ant-design/icons';
import type { ApiError } from '../../../api/client';
import {
  conditionKind,
  errorRow,
  errorText,
  firstIncomplete,
  isObject,
  ruleText,
  type RuleNode,
} from '../../../domain/segmentRule';
import { useFormat } from '../../../format';
import { useT } from '../../../i18n';
import { AddButtons, ConditionNode } from './ConditionNode';
import { BuilderContext, type BuilderContextValue } from './context';

interface Props {
  value: RuleNode;
  onChange: (rule: RuleNode) => void;
  /** An error of the last preview or save; one naming a rule path is shown on that row. */
  error?: ApiError | null;
  readOnly?: boolean;
  /** The segment being edited, left out of the segment picker. */
  segmentId?: number;
}

type Mode = 'visual' | 'json';

/** Where an API error belongs in the builder: a row, or the rule as a whole. */
export function placeRuleError(rule: RuleNode, error: ApiError | null | undefined) {
  if (!error?.field) return null;
  const row = errorRow(rule, error.field);
  return row ? { row, text: errorText(error.message, error.field, row) } : null;
}

function JsonEditor({
  value,
  onChange,
  readOnly,
}: {
  value: RuleNode;
  onChange: (rule: RuleNode) => void;
  readOnly: boolean;
}) {
  const t = useT();
  const [text, setText] = useState(() => ruleText(value));
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <Flex vertical gap={8}>
      <Input.TextArea
        value={text}
        autoSize={{ minRows: 10, maxRows: 28 }}
        className="siyu-json siyu-json-editor"
        status={problem ? 'error' : undefined}
        readOnly={readOnly}
        spellCheck={false}
        data-testid="builder-json"
        onChange={(event) => {
          setText(event.target.value);
          try {
            const parsed: unknown = JSON.parse(event.target.value);
            if (!isObject(parsed)) {
              setProblem(t('builder.jsonNotObject'));
              return;
            }
            setProblem(null);
            onChange(parsed);
          } catch (reason) {
            setProblem(t('builder.jsonInvalid', { detail: reason instanceof Error ? reason.message : String(reason) }));
          }
        }}
      />
      {problem ? <Alert type="error" showIcon message={problem} /> : null}
    </Flex>
  );
}

/**
 * The visual editor of a segment rule (docs/segments.md): nested all-of / any-of groups,
 * negation and condition rows of every kind, with a JSON view of the same rule. The rule is
 * edited as the JSON the API takes, so both views always agree.
 */
export function RuleBuilder({ value, onChange, error, readOnly = false, segmentId }: Props) {
  const t = useT();
  const format = useFormat();
  const [mode, setMode] = useState<Mode>('visual');
  const placed = placeRuleError(value, error);
  const context = useMemo<BuilderContextValue>(
    () => ({ readOnly, error: placed, incomplete: firstIncomplete(value), segmentId, timeZone: format.timeZone }),
    [readOnly, placed?.row, placed?.text, value, segmentId, format.timeZone],
  );
  const rootKind = conditionKind(value);
  const unplaced = error?.field?.startsWith('rule') && !placed ? error : null;

  return (
    <BuilderContext.Provider value={context}>
      <Flex justify="space-between" align="center" style={{ marginBottom: 12 }} gap={8} wrap>
        <Typography.Text type="secondary">{t('builder.intro')}</Typography.Text>
        <Segmented<Mode>
          value={mode}
          onChange={setMode}
          options={[
            { value: 'visual', label: t('builder.visual'), icon: <ApartmentOutlined /> },
            { value: 'json', label: 'JSON', icon: <CodeOutlined /> },
          ]}
          data-testid="builder-mode"
        />
      </Flex>
      {mode === 'json' ? (
        <>
          {error?.field?.startsWith('rule') ? (
            <Alert
              type="error"
              showIcon
              message={error.field}
              description={errorText(error.message, error.field, error.field)}
              style={{ marginBottom: 8 }}
            />
          ) : null}
          <JsonEditor value={value} onChange={onChange} readOnly={readOnly} />
        </>
      ) : (
        <div data-testid="rule-builder">
          {unplaced ? <Alert type="error" showIcon message={unplaced.message} style={{ marginBottom: 8 }} /> : null}
          <ConditionNode node={value} path="rule" onChange={onChange} />
          {rootKind !== 'and' && rootKind !== 'or' && !readOnly ? (
            <div style={{ marginTop: 8 }}>
              <AddButtons parent="and" onAdd={(child) => onChange({ and: [value, child] })} />
            </div>
          ) : null}
        </div>
      )}
    </BuilderContext.Provider>
  );
}
