import { useEffect, useState } from 'react';
import { App, Badge, Button, Card, Col, Form, Input, Result, Row, Skeleton } from 'antd';
import { ArrowLeftOutlined, DeleteOutlined, DownloadOutlined, SaveOutlined, TagsOutlined } from '@ant-design/icons';
import { Link, useNavigate, useParams } from 'react-router-dom';
import type { ApiError } from '../../../api/client';
import { segmentsApi } from '../../../api/segments';
import type { Segment, SegmentInput } from '../../../api/types';
import { applyFieldError, describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { Forbidden } from '../../../components/StatusPages';
import { emptyRule, isEmptyRule, type RuleNode } from '../../../domain/segmentRule';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';
import { hasPermission, useCan, useSession } from '../../../session/SessionContext';
import { invalidateSegmentPicker } from '../builder/pickers';
import { RuleBuilder } from '../builder/RuleBuilder';
import { RulePreviewCard } from '../builder/RulePreviewCard';
import { useRulePreview } from '../builder/useRulePreview';
import { BulkTagModal } from './BulkTagModal';
import { ExportModal } from './ExportModal';
import { SegmentMembers } from './SegmentMembers';
import { SegmentSizeChart } from './SegmentSizeChart';

const LIST_PATH = '/audience/segments';
const FIELDS = ['name', 'description'] as const;

interface Values {
  name: string;
  description?: string;
}

function BackLink() {
  const t = useT();
  return (
    <Link to={LIST_PATH} style={{ display: 'inline-block', marginBottom: 12 }}>
      <ArrowLeftOutlined /> {t('segments.backToList')}
    </Link>
  );
}

/** A save error is shown on the rule only while the rule is the one that was saved. */
interface SaveError {
  error: ApiError;
  ruleKey: string;
}

function SegmentEditor({ segment }: { segment?: Segment }) {
  const t = useT();
  const can = useCan();
  const session = useSession();
  const format = useFormat();
  const navigate = useNavigate();
  const { modal, message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saved, setSaved] = useState<Segment | undefined>(segment);
  const [rule, setRule] = useState<RuleNode>(() => segment?.rule ?? emptyRule());
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<SaveError | null>(null);
  const [version, setVersion] = useState(0);
  const [exporting, setExporting] = useState(false);
  const [bulkTagging, setBulkTagging] = useState(false);
  const name = Form.useWatch('name', form);
  const description = Form.useWatch('description', form);
  const preview = useRulePreview(rule);
  const canManage = can('segments.manage');
  const ruleKey = JSON.stringify(rule);
  const ruleSaveError = saveError && saveError.ruleKey === ruleKey ? saveError.error : null;
  const dirty = !saved
    ? !isEmptyRule(rule) || Boolean(name?.trim())
    : ruleKey !== JSON.stringify(saved.rule) ||
      (name !== undefined && name !== saved.name) ||
      (description !== undefined && (description ?? '') !== saved.description);

  useEffect(() => {
    form.setFieldsValue({ name: segment?.name ?? '', description: segment?.description ?? '' });
  }, [segment, form]);

  useEffect(() => {
    if (!canManage || !dirty) return undefined;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [canManage, dirty]);

  const save = async (values: Values) => {
    const input: SegmentInput = { name: values.name.trim(), description: values.description?.trim() ?? '', rule };
    setSaving(true);
    setSaveError(null);
    try {
      const next = saved ? await segmentsApi.replace(saved.id, input) : await segmentsApi.create(input);
      invalidateSegmentPicker();
      message.success(t(saved ? 'segments.saved' : 'segments.created', { count: format.number(next.size) }));
      if (!saved) {
        navigate(`${LIST_PATH}/${next.id}`, { replace: true });
        return;
      }
      setSaved(next);
      setVersion((value) => value + 1);
    } catch (reason) {
      const error = toApiError(reason);
      if (error.field?.startsWith('rule')) {
        setSaveError({ error, ruleKey });
        message.error(t('segments.ruleError'));
      } else if (!applyFieldError(form, error, FIELDS, t)) {
        message.error(describeError(error, t));
      }
    } finally {
      setSaving(false);
    }
  };

  const confirmDelete = () =>
    saved &&
    modal.confirm({
      title: t('segments.deleteTitle', { name: saved.name }),
      content: t('segments.deleteHint'),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await segmentsApi.remove(saved.id);
          invalidateSegmentPicker();
          message.success(t('segments.deleted'));
          navigate(LIST_PATH, { replace: true });
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  const extra = [];
  if (saved && can('tags.apply')) {
    extra.push(
      <Button key="tag" icon={<TagsOutlined />} onClick={() => setBulkTagging(true)} data-testid="segment-bulk-tag">
        {t('bulkTag.button')}
      </Button>,
    );
  }
  if (saved && can('segments.export')) {
    extra.push(
      <Button key="export" icon={<DownloadOutlined />} onClick={() => setExporting(true)} data-testid="segment-export">
        {t('segments.export.button')}
      </Button>,
    );
  }
  if (saved && canManage) {
    extra.push(
      <Button key="delete" danger icon={<DeleteOutlined />} onClick={confirmDelete}>
        {t('common.delete')}
      </Button>,
    );
  }
  if (canManage) {
    extra.push(
      <Badge key="save" dot={Boolean(saved) && dirty} offset={[-4, 4]}>
        <Button
          type="primary"
          icon={<SaveOutlined />}
          loading={saving}
          onClick={() => form.submit()}
          data-testid="segment-save"
        >
          {t('common.save')}
        </Button>
      </Badge>,
    );
  }

  return (
    <>
      <BackLink />
      <PageHeader
        title={saved ? saved.name : t('segments.createTitle')}
        subtitle={
          saved
            ? t('segments.detailSubtitle', { at: format.dateTime(saved.updated_at), by: saved.created_by || '—' })
            : t('segments.createSubtitle')
        }
        extra={extra.length ? extra : undefined}
      />
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={17}>
          <Card>
            <Form<Values>
              form={form}
              layout="vertical"
              onFinish={save}
              disabled={!canManage}
              data-testid="segment-form"
            >
              <Row gutter={16}>
                <Col xs={24} md={10}>
                  <Form.Item
                    name="name"
                    label={t('segments.name')}
                    rules={[
                      { required: true, whitespace: true, message: t('validation.required') },
                      { max: 100, message: t('validation.maxLength', { max: 100 }) },
                    ]}
                  >
                    <Input placeholder={t('segments.namePlaceholder')} />
                  </Form.Item>
                </Col>
                <Col xs={24} md={14}>
                  <Form.Item
                    name="description"
                    label={t('segments.description')}
                    rules={[{ max: 1000, message: t('validation.maxLength', { max: 1000 }) }]}
                  >
                    <Input placeholder={t('segments.descriptionPlaceholder')} />
                  </Form.Item>
                </Col>
              </Row>
            </Form>
            <RuleBuilder
              value={rule}
              onChange={setRule}
              error={ruleSaveError ?? preview.error}
              readOnly={!canManage}
              segmentId={saved?.id}
            />
          </Card>
        </Col>
        <Col xs={24} xl={7}>
          <div className="siyu-sticky">
            <RulePreviewCard preview={preview} />
          </div>
        </Col>
        {saved ? (
          <Col xs={24}>
            <SegmentMembers segmentId={saved.id} version={version} />
          </Col>
        ) : null}
        {saved && hasPermission(session, 'analytics.read') ? (
          <Col xs={24}>
            <SegmentSizeChart segmentId={saved.id} version={version} />
          </Col>
        ) : null}
      </Row>
      <ExportModal segment={exporting ? (saved ?? null) : null} onClose={() => setExporting(false)} />
      <BulkTagModal segment={bulkTagging ? (saved ?? null) : null} onClose={() => setBulkTagging(false)} />
    </>
  );
}

/** A saved segment (`:id`) or a new one (`new`): the rule builder with its live count, members and history. */
export default function SegmentPage() {
  const t = useT();
  const can = useCan();
  const navigate = useNavigate();
  const param = useParams().id ?? '';
  const isNew = param === 'new';
  const id = Number(param);
  const { data, error, loading, reload } = useAsync<Segment | null>(
    () => (isNew ? Promise.resolve(null) : segmentsApi.get(id)),
    [param],
  );

  if (isNew) return can('segments.manage') ? <SegmentEditor key="new" /> : <Forbidden />;
  if (error?.status === 404 || !Number.isInteger(id)) {
    return (
      <Result
        status="404"
        title={t('segments.notFound')}
        extra={<Button onClick={() => navigate(LIST_PATH)}>{t('segments.backToList')}</Button>}
      />
    );
  }
  if (error) {
    return (
      <>
        <BackLink />
        <ErrorAlert error={error} onRetry={reload} />
      </>
    );
  }
  if (loading || !data || data.id !== id) return <Skeleton active paragraph={{ rows: 10 }} />;
  return <SegmentEditor key={data.id} segment={data} />;
}
