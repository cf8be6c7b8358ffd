import { useState } from 'react';
import { Button, Card, Descriptions, Empty, Flex, Skeleton, Tag, Typography } from 'antd';
import { FormOutlined } from '@ant-design/icons';
import { questionnairesApi } from '../../../api/tags';
import type { QuestionnaireAnswer } from '../../../api/types';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { useFormat } from '../../../format';
import { useInfiniteList } from '../../../hooks/useInfiniteList';
import { tagColor, useTags } from '../../../hooks/useTags';
import { useT } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { AnswerModal } from './AnswerModal';
import { customerTagsChanged } from './tagEvents';
import type { CustomerSectionProps } from './types';

function AnswerBlock({ answer }: { answer: QuestionnaireAnswer }) {
  const t = useT();
  const format = useFormat();
  const { tagById, groupById } = useTags();
  return (
    <div className="siyu-answer" data-testid="questionnaire-answer">
      <Flex justify="space-between" gap={8} wrap>
        <Typography.Text strong>{answer.questionnaire_name}</Typography.Text>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {[format.dateTime(answer.submitted_at), answer.submitted_by?.name].filter(Boolean).join(' · ')}
        </Typography.Text>
      </Flex>
      <Descriptions
        size="small"
        column={1}
        style={{ marginTop: 6 }}
        items={answer.answers.map((item) => ({
          key: item.question_id,
          label: item.question,
          children: item.choices.join('、') || '—',
        }))}
      />
      {answer.tag_ids.length || answer.codes.length ? (
        <Flex gap={4} wrap align="center" style={{ marginTop: 6 }}>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('customerAnswers.gave')}
          </Typography.Text>
          {answer.tag_ids.map((id) => {
            const tag = tagById.get(id);
            return (
              <Tag key={id} color={tag ? tagColor(tag, groupById) : undefined} style={{ marginInlineEnd: 0 }}>
                {tag?.name ?? `#${id}`}
              </Tag>
            );
          })}
          {answer.codes.map((code) => (
            <Tag key={`code:${code}`} bordered={false} style={{ marginInlineEnd: 0 }}>
              {code}
            </Tag>
          ))}
        </Flex>
      ) : null}
    </div>
  );
}

/** The questionnaires the customer answered, newest first, with the tags the answers gave. */
export function QuestionnaireAnswersSection({ customer }: CustomerSectionProps) {
  const t = useT();
  const can = useCan();
  const [filling, setFilling] = useState(false);
  const [version, setVersion] = useState(0);
  const list = useInfiniteList<QuestionnaireAnswer>(
    (cursor, limit) => questionnairesApi.answersOf(customer.id, cursor, limit),
    `${customer.id}:${(customer.merged_ids ?? []).join(',')}:${version}`,
    5,
  );
  return (
    <Card
      title={t('customer.section.questionnaires')}
      data-testid="customer-questionnaires"
      style={{ height: '100%' }}
      extra={
        can('tags.apply') ? (
          <Button size="small" icon={<FormOutlined />} onClick={() => setFilling(true)} data-testid="customer-answer">
            {t('customerAnswers.fill')}
          </Button>
        ) : null
      }
    >
      <AnswerModal
        customerId={customer.id}
        open={filling}
        onClose={() => setFilling(false)}
        onSubmitted={() => {
          setFilling(false);
          setVersion((value) => value + 1);
          customerTagsChanged();
        }}
      />
      {list.error ? <ErrorAlert error={list.error} onRetry={list.retry} /> : null}
      {list.loading && list.rows.length === 0 ? <Skeleton active paragraph={{ rows: 3 }} /> : null}
      {!list.loading && !list.error && list.rows.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('customerAnswers.empty')} />
      ) : null}
      <Flex vertical gap={12}>
        {list.rows.map((answer) => (
          <AnswerBlock key={answer.id} answer={answer} />
        ))}
      </Flex>
      {list.hasMore ? (
        <Button type="link" loading={list.loading} onClick={list.loadMore} style={{ paddingInline: 0, marginTop: 8 }}>
          {t('timeline.loadMore')}
        </Button>
      ) : null}
    </Card>
  );
}
