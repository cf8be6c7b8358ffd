import { useEffect, useState } from 'react';
import { Alert, App, Descriptions, Form, Modal, Progress, Radio, Typography } from 'antd';
import { tagsApi } from '../../../api/tags';
import type { Segment, TagBulkAction, TagBulkJob } from '../../../api/types';
import { applyFieldError, describeError } from '../../../components/errors';
import { TagSelect } from '../../../components/TagSelect';
import { useFormat } from '../../../format';
import { toApiError } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';

const POLL_MS = 1000;

interface Values {
  action: TagBulkAction;
  tag_ids: number[];
}

interface Props {
  segment: Segment | null;
  onClose: () => void;
}

function isJob(answer: object): answer is TagBulkJob {
  return 'progress' in answer;
}

function JobProgress({ job }: { job: TagBulkJob }) {
  const t = useT();
  const format = useFormat();
  const done = job.status === 'succeeded' || job.status === 'failed';
  return (
    <div data-testid="bulk-tag-job">
      <Progress
        percent={job.progress.percent}
        status={job.status === 'failed' ? 'exception' : done ? 'success' : 'active'}
      />
      <Descriptions
        size="small"
        column={2}
        style={{ marginTop: 12 }}
        items={[
          { key: 'status', label: t('bulkTag.status'), children: t(`bulkTag.status.${job.status}`) },
          {
            key: 'processed',
            label: t('bulkTag.processed'),
            children: `${format.number(job.progress.processed)} / ${format.number(job.progress.total)}`,
          },
          { key: 'changed', label: t('bulkTag.changed'), children: format.number(job.progress.changed) },
          { key: 'skipped', label: t('bulkTag.skipped'), children: format.number(job.progress.skipped) },
        ]}
      />
      {job.error ? <Alert type="error" showIcon message={job.error} style={{ marginTop: 12 }} /> : null}
    </div>
  );
}

/** Adds tags to, or removes them from, every member of a segment as a background job. */
export function BulkTagModal({ segment, onClose }: Props) {
  const t = useT();
  const format = useFormat();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [job, setJob] = useState<TagBulkJob | null>(null);
  const [starting, setStarting] = useState(false);
  const running = job !== null && (job.status === 'queued' || job.status === 'running');

  useEffect(() => {
    if (!segment) {
      setJob(null);
      return;
    }
    form.setFieldsValue({ action: 'add', tag_ids: [] });
  }, [segment, form]);

  useEffect(() => {
    if (!running || !job) return undefined;
    const timer = window.setTimeout(() => {
      tagsApi
        .bulkJob(job.id)
        .then((next) => {
          setJob(next);
          if (next.status === 'succeeded')
            message.success(t('bulkTag.done', { count: format.number(next.progress.changed) }));
        })
        .catch((reason: unknown) => message.error(describeError(toApiError(reason), t)));
    }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [running, job, message, t, format]);

  const start = async (values: Values) => {
    if (!segment) return;
    setStarting(true);
    try {
      const answer = await tagsApi.bulk({ action: values.action, tag_ids: values.tag_ids, segment_id: segment.id });
      if (isJob(answer)) setJob(answer);
      else {
        message.success(t('bulkTag.done', { count: format.number(answer.changed) }));
        onClose();
      }
    } catch (reason) {
      if (!applyFieldError(form, reason, ['tag_ids', 'action'], t)) message.error(describeError(toApiError(reason), t));
    } finally {
      setStarting(false);
    }
  };

  return (
    <Modal
      title={t('bulkTag.title', { name: segment?.name ?? '' })}
      open={segment !== null}
      onCancel={onClose}
      onOk={() => (job ? onClose() : form.submit())}
      okText={job ? t('common.done') : t('bulkTag.start')}
      cancelButtonProps={{ style: job ? { display: 'none' } : undefined }}
      cancelText={t('common.cancel')}
      confirmLoading={starting}
      okButtonProps={{ disabled: running, 'data-testid': 'bulk-tag-start' }}
      destroyOnHidden
    >
      {job ? (
        <JobProgress job={job} />
      ) : (
        <>
          <Typography.Paragraph type="secondary">
            {t('bulkTag.hint', { count: format.number(segment?.size ?? 0) })}
          </Typography.Paragraph>
          <Form<Values> form={form} layout="vertical" onFinish={start}>
            <Form.Item name="action" label={t('bulkTag.action')}>
              <Radio.Group
                optionType="button"
                options={[
                  { value: 'add', label: t('bulkTag.add') },
                  { value: 'remove', label: t('bulkTag.remove') },
                ]}
              />
            </Form.Item>
            <Form.Item
              name="tag_ids"
              label={t('bulkTag.tags')}
              rules={[{ required: true, type: 'array', min: 1, message: t('bulkTag.needTag') }]}
            >
              <TagSelect multiple explicitOnly style={{ width: '100%' }} />
            </Form.Item>
          </Form>
        </>
      )}
    </Modal>
  );
}
