import { Alert, Card, Empty, Flex, List, Skeleton, Spin, Typography } from 'antd';
import { TeamOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import { describeError } from '../../../components/errors';
import { useFormat } from '../../../format';
import { useStores } from '../../../hooks/useStores';
import { useT } from '../../../i18n';
import { displayName } from '../../customers/display';
import type { RulePreviewState } from './useRulePreview';

const SAMPLE_SHOWN = 8;

/** The live count of a rule being edited, with a few of the customers it matches. */
export function RulePreviewCard({ preview }: { preview: RulePreviewState }) {
  const t = useT();
  const format = useFormat();
  const { byId } = useStores();
  const { data, error, loading, waiting, everyone } = preview;
  const ruleError = error?.field?.startsWith('rule');
  const sample = data?.sample.slice(0, SAMPLE_SHOWN) ?? [];

  let status = t('builder.preview.live');
  if (waiting) status = t('builder.preview.waiting');
  else if (error) status = t(ruleError ? 'builder.preview.fix' : 'builder.preview.failed');
  else if (everyone) status = t('builder.preview.everyone');

  return (
    <Card size="small" className="siyu-preview" data-testid="segment-preview">
      <Flex align="center" gap={12}>
        <TeamOutlined className="siyu-preview-icon" />
        <div style={{ minWidth: 0 }}>
          <Typography.Text type="secondary">{t('builder.preview.title')}</Typography.Text>
          <Flex align="baseline" gap={8}>
            <span
              className={`siyu-preview-count${waiting || error ? ' siyu-preview-stale' : ''}`}
              data-testid="preview-count"
              data-loading={loading ? 'true' : 'false'}
            >
              {data ? format.number(data.count) : '—'}
            </span>
            {loading ? <Spin size="small" /> : null}
          </Flex>
          <Typography.Text type={error ? 'danger' : 'secondary'} style={{ fontSize: 12 }}>
            {status}
          </Typography.Text>
        </div>
      </Flex>
      {error && !ruleError ? (
        <Alert type="error" showIcon message={describeError(error, t)} style={{ marginTop: 12 }} />
      ) : null}
      <Typography.Text strong style={{ display: 'block', marginTop: 16 }}>
        {t('builder.preview.sample')}
      </Typography.Text>
      {!data && loading ? (
        <Skeleton active title={false} paragraph={{ rows: 4 }} style={{ marginTop: 8 }} />
      ) : !data ? null : sample.length ? (
        <List
          size="small"
          dataSource={sample}
          data-testid="preview-sample"
          renderItem={(customer) => {
            const store = customer.store_id ? byId.get(customer.store_id)?.name : undefined;
            return (
              <List.Item style={{ paddingInline: 0 }}>
                <Flex vertical style={{ minWidth: 0 }}>
                  <Link to={`/customers/${customer.id}`} target="_blank">
                    {displayName(customer, t)}
                  </Link>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }} ellipsis>
                    {[customer.phone, store, format.date(customer.created_at)].filter(Boolean).join(' · ')}
                  </Typography.Text>
                </Flex>
              </List.Item>
            );
          }}
        />
      ) : (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('builder.preview.noSample')} />
      )}
    </Card>
  );
}
