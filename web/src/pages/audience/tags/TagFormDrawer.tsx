import { useEffect, useState } from 'react';
import { App, Button, Col, Drawer, Flex, Form, Input, InputNumber, Radio, Row, Select, Typography } from 'antd';
import { DeleteOutlined } from '@ant-design/icons';
import type { ApiError } from '../../../api/client';
import { tagsApi } from '../../../api/tags';
import type { Tag, TagGroup, TagInput, TagKind } from '../../../api/types';
import { ColorField } from '../../../components/ColorField';
import { applyFieldError, describeError } from '../../../components/errors';
import { emptyRule, type RuleNode } from '../../../domain/segmentRule';
import { toApiError } from '../../../hooks/useAsync';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT } from '../../../i18n';
import { RuleBuilder } from '../builder/RuleBuilder';
import { RulePreviewCard } from '../builder/RulePreviewCard';
import { useRulePreview } from '../builder/useRulePreview';

export type TagFormTarget = { mode: 'create'; groupId?: number } | { mode: 'edit'; tag: Tag };

interface Values {
  group_id: number;
  name: string;
  kind: TagKind;
  color?: string | null;
  sort_order?: number | null;
  description?: string;
  wecom_tag_id?: string;
}

interface Props {
  target: TagFormTarget | null;
  groups: TagGroup[];
  onClose: () => void;
  /** After a save or a delete. */
  onChanged: () => void;
}

const FIELDS = ['group_id', 'name', 'color', 'sort_order', 'description', 'wecom_tag_id'] as const;

/** The rule of a rule tag, edited with the segment builder and counted as it changes. */
function TagRuleEditor({
  rule,
  onChange,
  error,
}: {
  rule: RuleNode;
  onChange: (rule: RuleNode) => void;
  error: ApiError | null;
}) {
  const preview = useRulePreview(rule);
  return (
    <Row gutter={16}>
      <Col xs={24} lg={16}>
        <RuleBuilder value={rule} onChange={onChange} error={error ?? preview.error} />
      </Col>
      <Col xs={24} lg={8}>
        <RulePreviewCard preview={preview} />
      </Col>
    </Row>
  );
}

/** Creates or edits a tag: name, group, colour, order, WeCom id, and for rule tags the rule. */
export function TagFormDrawer({ target, groups, onClose, onChanged }: Props) {
  const t = useT();
  const isMobile = useIsMobile();
  const { message, modal } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [rule, setRule] = useState<RuleNode>(emptyRule);
  const [saving, setSaving] = useState(false);
  const [ruleError, setRuleError] = useState<{ error: ApiError; key: string } | null>(null);
  const kind = Form.useWatch('kind', form) ?? 'manual';
  const editing = target?.mode === 'edit' ? target.tag : undefined;

  useEffect(() => {
    if (!target) return;
    form.resetFields();
    setRuleError(null);
    if (target.mode === 'edit') {
      const tag = target.tag;
      form.setFieldsValue({
        ...tag,
        kind: tag.kind,
        wecom_tag_id: tag.wecom_tag_id ?? undefined,
      });
      setRule(tag.rule ?? emptyRule());
    } else {
      form.setFieldsValue({ group_id: target.groupId ?? groups[0]?.id, kind: 'manual', color: null, sort_order: 0 });
      setRule(emptyRule());
    }
  }, [target, form, groups]);

  const ruleKey = JSON.stringify(rule);

  const save = async (values: Values) => {
    const input: TagInput = {
      group_id: values.group_id,
      name: values.name.trim(),
      color: values.color ?? null,
      sort_order: values.sort_order ?? 0,
      description: values.description?.trim() ?? '',
      wecom_tag_id: values.wecom_tag_id?.trim() || null,
      rule: values.kind === 'rule' ? rule : null,
    };
    setSaving(true);
    setRuleError(null);
    try {
      if (editing) await tagsApi.update(editing.id, input);
      else await tagsApi.create(input);
      message.success(t(editing ? 'tags.saved' : 'tags.created'));
      onChanged();
    } catch (reason) {
      const error = toApiError(reason);
      if (error.field?.startsWith('rule')) {
        setRuleError({ error, key: ruleKey });
        message.error(t('tags.ruleError'));
      } else if (!applyFieldError(form, error, FIELDS, t)) {
        message.error(describeError(error, t));
      }
    } finally {
      setSaving(false);
    }
  };

  const confirmDelete = () =>
    editing &&
    modal.confirm({
      title: t('tags.deleteTitle', { name: editing.name }),
      content: t('tags.deleteHint'),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await tagsApi.remove(editing.id);
          message.success(t('tags.deleted'));
          onChanged();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  return (
    <Drawer
      title={t(editing ? 'tags.editTitle' : 'tags.createTitle')}
      open={target !== null}
      onClose={onClose}
      width={isMobile ? '100%' : kind === 'rule' ? 1040 : 560}
      destroyOnHidden
      footer={
        <Flex justify="space-between">
          <div>
            {editing ? (
              <Button danger icon={<DeleteOutlined />} onClick={confirmDelete}>
                {t('common.delete')}
              </Button>
            ) : null}
          </div>
          <Flex gap={8}>
            <Button onClick={onClose}>{t('common.cancel')}</Button>
            <Button type="primary" loading={saving} onClick={() => form.submit()} data-testid="tag-save">
              {t('common.save')}
            </Button>
          </Flex>
        </Flex>
      }
    >
      <Form<Values> form={form} layout="vertical" onFinish={save} data-testid="tag-form">
        <Row gutter={16}>
          <Col xs={24} sm={kind === 'rule' ? 8 : 12}>
            <Form.Item
              name="name"
              label={t('tags.name')}
              rules={[
                { required: true, whitespace: true, message: t('validation.required') },
                { max: 50, message: t('validation.maxLength', { max: 50 }) },
              ]}
            >
              <Input placeholder={t('tags.namePlaceholder')} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={kind === 'rule' ? 8 : 12}>
            <Form.Item
              name="group_id"
              label={t('tags.group')}
              rules={[{ required: true, message: t('validation.required') }]}
            >
              <Select options={groups.map((group) => ({ value: group.id, label: group.name }))} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={kind === 'rule' ? 4 : 12}>
            <Form.Item name="color" label={t('tags.color')}>
              <ColorField id="tag" />
            </Form.Item>
          </Col>
          <Col xs={12} sm={kind === 'rule' ? 4 : 12}>
            <Form.Item name="sort_order" label={t('tags.sortOrder')}>
              <InputNumber precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={kind === 'rule' ? 12 : 24}>
            <Form.Item
              name="description"
              label={t('tags.description')}
              rules={[{ max: 500, message: t('validation.maxLength', { max: 500 }) }]}
            >
              <Input placeholder={t('tags.descriptionPlaceholder')} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={kind === 'rule' ? 12 : 24}>
            <Form.Item name="wecom_tag_id" label={t('tags.wecomId')} extra={t('tags.wecomIdHint')}>
              <Input allowClear />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item
          name="kind"
          label={t('tags.kind')}
          extra={t(kind === 'rule' ? 'tags.kindHint.rule' : 'tags.kindHint.manual')}
        >
          <Radio.Group
            optionType="button"
            options={[
              { value: 'manual', label: t('tags.kind.manual') },
              { value: 'rule', label: t('tags.kind.rule') },
            ]}
          />
        </Form.Item>
      </Form>
      {kind === 'rule' ? (
        <>
          <Typography.Title level={5}>{t('tags.rule')}</Typography.Title>
          <TagRuleEditor
            rule={rule}
            onChange={setRule}
            error={ruleError && ruleError.key === ruleKey ? ruleError.error : null}
          />
        </>
      ) : null}
    </Drawer>
  );
}
