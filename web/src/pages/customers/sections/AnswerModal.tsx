import { useEffect, useState } from 'react';
import { App, Checkbox, Empty, Form, Modal, Radio, Select, Skeleton, Space } from 'antd';
import { ApiError } from '../../../api/client';
import { questionnairesApi } from '../../../api/tags';
import type { Questionnaire } from '../../../api/types';
import { describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';

type Values = Record<string, string | string[] | undefined>;

interface Props {
  customerId: number;
  open: boolean;
  onClose: () => void;
  onSubmitted: () => void;
}

/** Fills in a questionnaire for the customer, as a guide does with the customer in the store. */
export function AnswerModal({ customerId, open, onClose, onSubmitted }: Props) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [chosen, setChosen] = useState<number>();
  const [saving, setSaving] = useState(false);
  const list = useAsync(
    () => (open ? questionnairesApi.list(null, 200) : Promise.resolve({ data: [], next_cursor: null })),
    [open],
  );
  const questionnaires = list.data?.data ?? [];
  const questionnaire: Questionnaire | undefined = questionnaires.find((item) => item.id === chosen);

  useEffect(() => {
    if (!open) {
      setChosen(undefined);
      form.resetFields();
    }
  }, [open, form]);

  const submit = async (values: Values) => {
    if (!questionnaire) return;
    const answers = questionnaire.questions
      .map((question) => {
        const value = values[question.id ?? ''];
        const choiceIds = Array.isArray(value) ? value : value ? [value] : [];
        return { question_id: question.id ?? '', choice_ids: choiceIds };
      })
      .filter((answer) => answer.choice_ids.length > 0);
    setSaving(true);
    try {
      await questionnairesApi.submit(questionnaire.id, { customer_id: customerId, answers });
      message.success(t('customerAnswers.submitted'));
      onSubmitted();
    } catch (reason) {
      const error = toApiError(reason);
      const match = error instanceof ApiError && error.field ? /^answers\[(\d+)\]/.exec(error.field) : null;
      const questionId = match ? answers[Number(match[1])]?.question_id : undefined;
      if (questionId) form.setFields([{ name: questionId, errors: [error.message.replace(`${error.field}: `, '')] }]);
      else message.error(describeError(error, t));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={t('customerAnswers.fillTitle')}
      open={open}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('customerAnswers.submit')}
      okButtonProps={{ disabled: !questionnaire }}
      cancelText={t('common.cancel')}
      confirmLoading={saving}
      destroyOnHidden
      width={560}
    >
      {list.error ? <ErrorAlert error={list.error} onRetry={list.reload} /> : null}
      {list.loading && !list.data ? <Skeleton active paragraph={{ rows: 3 }} /> : null}
      {list.data && questionnaires.length === 0 ? <Empty description={t('customerAnswers.noQuestionnaires')} /> : null}
      {questionnaires.length ? (
        <Select
          value={chosen}
          onChange={(id: number) => {
            form.resetFields();
            setChosen(id);
          }}
          options={questionnaires.map((item) => ({ value: item.id, label: item.name }))}
          placeholder={t('customerAnswers.pick')}
          style={{ width: '100%', marginBottom: 16 }}
          data-testid="answer-questionnaire"
        />
      ) : null}
      {questionnaire ? (
        <Form<Values> form={form} layout="vertical" onFinish={submit} data-testid="answer-form">
          {questionnaire.questions.map((question) => (
            <Form.Item
              key={question.id}
              name={question.id}
              label={question.title}
              rules={question.required ? [{ required: true, message: t('validation.required') }] : undefined}
            >
              {question.type === 'multiple' ? (
                <Checkbox.Group
                  options={question.choices.map((choice) => ({ value: choice.id ?? '', label: choice.label }))}
                />
              ) : (
                <Radio.Group>
                  <Space wrap>
                    {question.choices.map((choice) => (
                      <Radio key={choice.id} value={choice.id}>
                        {choice.label}
                      </Radio>
                    ))}
                  </Space>
                </Radio.Group>
              )}
            </Form.Item>
          ))}
        </Form>
      ) : null}
    </Modal>
  );
}
