import { useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Drawer, Flex, Form, Progress, Radio, Select, Typography } from 'antd';
import { loyaltyApi } from '../../../api/loyalty';
import type { CouponJob, CouponTemplate, IssueResult } from '../../../api/loyaltyTypes';
import { customersApi } from '../../../api/customers';
import { segmentsApi } from '../../../api/segments';
import { applyFieldError, describeError } from '../../../components/errors';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';

interface Values {
  target: 'customers' | 'segment';
  customer_ids?: number[];
  segment_id?: number;
}

/** Searches customers by name, phone or member number for a multiple select. */
function CustomerPicker({
  value,
  onChange,
  id,
}: {
  value?: number[];
  onChange?: (ids: number[]) => void;
  id?: string;
}) {
  const t = useT();
  const [options, setOptions] = useState<{ value: number; label: string }[]>([]);
  const [loading, setLoading] = useState(false);
  const latest = useRef(0);
  const search = async (q: string) => {
    const run = ++latest.current;
    if (!q.trim()) return;
    setLoading(true);
    try {
      const page = await customersApi.list({ q: q.trim() }, null, 20);
      if (run !== latest.current) return;
      setOptions(
        page.data.map((c) => ({
          value: c.id,
          label: `${c.name ?? t('members.unnamed', { id: c.id })}${c.phone ? ` · ${c.phone}` : ''}${c.member_no ? ` · ${c.member_no}` : ''}`,
        })),
      );
    } finally {
      if (run === latest.current) setLoading(false);
    }
  };
  return (
    <Select
      id={id}
      mode="multiple"
      value={value}
      onChange={onChange}
      showSearch
      filterOption={false}
      onSearch={search}
      loading={loading}
      options={options}
      placeholder={t('issue.customersPlaceholder')}
      notFoundContent={t('issue.searchHint')}
      data-testid="issue-customers"
    />
  );
}

interface Props {
  template: CouponTemplate | null;
  onClose: () => void;
  /** After coupons were issued, to refresh the statistics. */
  onIssued: () => void;
}

/** Issues a template's coupons to chosen customers at once, or to a saved segment as a job with progress. */
export function IssueDrawer({ template, onClose, onIssued }: Props) {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<IssueResult | null>(null);
  const [job, setJob] = useState<CouponJob | null>(null);
  const target = Form.useWatch('target', form) ?? 'customers';
  const segments = useAsync(
    () =>
      can('segments.read') ? segmentsApi.list(undefined, null, 100).then((page) => page.data) : Promise.resolve([]),
    [],
  );

  useEffect(() => {
    if (!template) return;
    form.resetFields();
    form.setFieldsValue({ target: 'customers' });
    setResult(null);
    setJob(null);
  }, [template, form]);

  useEffect(() => {
    if (!job || job.status === 'done' || job.status === 'failed') return undefined;
    const timer = window.setTimeout(async () => {
      try {
        const next = await loyaltyApi.job(job.id);
        setJob(next);
        if (next.status === 'done') onIssued();
      } catch (reason) {
        message.error(describeError(toApiError(reason), t));
      }
    }, 800);
    return () => window.clearTimeout(timer);
  }, [job, message, t, onIssued]);

  const send = async (values: Values) => {
    if (!template) return;
    setSending(true);
    setResult(null);
    try {
      const answer = await loyaltyApi.issue(
        template.id,
        values.target === 'segment' ? { segment_id: values.segment_id! } : { customer_ids: values.customer_ids ?? [] },
      );
      if (values.target === 'segment') setJob(answer as CouponJob);
      else {
        setResult(answer as IssueResult);
        onIssued();
      }
    } catch (reason) {
      const error = toApiError(reason);
      if (error.field === 'customer_ids' || error.field === 'customer_id') {
        form.setFields([{ name: 'customer_ids', errors: [error.message] }]);
      } else if (!applyFieldError(form, error, ['segment_id'], t)) message.error(describeError(error, t));
    } finally {
      setSending(false);
    }
  };

  const issuedCount = result?.issued.length ?? 0;
  const skipped = result?.skipped ?? [];
  return (
    <Drawer
      title={template ? t('issue.title', { name: template.name }) : ''}
      open={template !== null}
      onClose={onClose}
      width={isMobile ? '100%' : 520}
      destroyOnHidden
      footer={
        <Flex justify="flex-end" gap={8}>
          <Button onClick={onClose}>{t('common.close')}</Button>
          <Button type="primary" loading={sending} onClick={() => form.submit()} data-testid="issue-send">
            {t('issue.send')}
          </Button>
        </Flex>
      }
    >
      {template ? (
        <Typography.Paragraph type="secondary">
          {template.description}
          {template.remaining_stock !== null
            ? ` · ${t('issue.remaining', { count: format.number(template.remaining_stock) })}`
            : ''}
        </Typography.Paragraph>
      ) : null}
      <Form<Values> form={form} layout="vertical" onFinish={send} data-testid="issue-form">
        <Form.Item name="target" label={t('issue.target')}>
          <Radio.Group
            optionType="button"
            options={[
              { value: 'customers', label: t('issue.toCustomers') },
              { value: 'segment', label: t('issue.toSegment'), disabled: !can('segments.read') },
            ]}
          />
        </Form.Item>
        {target === 'customers' ? (
          <Form.Item
            name="customer_ids"
            label={t('issue.customers')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <CustomerPicker />
          </Form.Item>
        ) : (
          <Form.Item
            name="segment_id"
            label={t('issue.segment')}
            extra={t('issue.segmentHint')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <Select
              showSearch
              optionFilterProp="label"
              loading={segments.loading}
              options={(segments.data ?? []).map((s) => ({
                value: s.id,
                label: `${s.name}（${format.number(s.size)}）`,
              }))}
              data-testid="issue-segment"
            />
          </Form.Item>
        )}
      </Form>
      {result ? (
        <Alert
          type={skipped.length ? 'warning' : 'success'}
          showIcon
          message={t('issue.done', { count: issuedCount })}
          description={skipped.length ? skipped.map((s) => `#${s.customer_id}: ${s.reason}`).join('；') : undefined}
          data-testid="issue-result"
        />
      ) : null}
      {job ? (
        <div data-testid="issue-job">
          <Typography.Text>
            {t(`issue.job.${job.status === 'done' || job.status === 'failed' ? job.status : 'running'}`, {
              issued: format.number(job.progress.issued),
              skipped: format.number(job.progress.skipped),
              total: format.number(job.progress.total),
            })}
          </Typography.Text>
          <Progress percent={job.progress.percent} status={job.status === 'failed' ? 'exception' : undefined} />
          {job.error ? <Alert type="error" message={job.error} /> : null}
        </div>
      ) : null}
    </Drawer>
  );
}
