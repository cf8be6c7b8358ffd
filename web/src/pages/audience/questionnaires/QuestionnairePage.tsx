import { useEffect, useState } from 'react';
import {
  App,
  Button,
  Card,
  Col,
  Flex,
  Form,
  Input,
  Radio,
  Result,
  Row,
  Select,
  Skeleton,
  Switch,
  Tooltip,
  Typography,
  type FormInstance,
} from 'antd';
import { ArrowDownOutlined, ArrowLeftOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiError } from '../../../api/client';
import { questionnairesApi } from '../../../api/tags';
import type { Question, Questionnaire, QuestionnaireInput } from '../../../api/types';
import { describeError, fieldPath } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { TagSelect } from '../../../components/TagSelect';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useT, type Translate } from '../../../i18n';

const LIST_PATH = '/audience/questionnaires';

interface Values {
  name: string;
  description?: string;
  questions: Question[];
}

const NEW_CHOICE = { label: '', tag_ids: [], codes: [] };
const NEW_QUESTION: Question = { title: '', type: 'single', required: false, choices: [NEW_CHOICE, NEW_CHOICE] };

/**
 * Puts an API error naming a field (`questions[1].choices[0].tag_ids[2]`) on that form field;
 * an element of a list of tags or codes is shown on the list. False when no field is named.
 */
function applyQuestionnaireError(form: FormInstance, error: unknown, t: Translate): boolean {
  if (!(error instanceof ApiError) || !error.field) return false;
  const path = fieldPath(error.field);
  if (!['name', 'description', 'questions'].includes(String(path[0]))) return false;
  const parent = path[path.length - 2];
  if (typeof path[path.length - 1] === 'number' && (parent === 'tag_ids' || parent === 'codes')) path.pop();
  const prefix = `${error.field}: `;
  const text = error.code === 'already_exists' ? t('error.field.alreadyExists') : error.message.replace(prefix, '');
  form.setFields([{ name: path, errors: [text] }]);
  form.scrollToField(path);
  return true;
}

function ChoiceRows({ questionIndex }: { questionIndex: number }) {
  const t = useT();
  return (
    <Form.List
      name={[questionIndex, 'choices']}
      rules={[
        {
          validator: async (_, choices?: unknown[]) => {
            if (!choices?.length) throw new Error(t('questionnaires.needChoice'));
          },
        },
      ]}
    >
      {(fields, { add, remove }, { errors }) => (
        <Flex vertical gap={8}>
          <Row gutter={8} className="siyu-choice-head">
            <Col span={7}>{t('questionnaires.choice')}</Col>
            <Col span={10}>{t('questionnaires.choiceTags')}</Col>
            <Col span={6}>{t('questionnaires.choiceCodes')}</Col>
          </Row>
          {fields.map((field, index) => (
            <Row key={field.key} gutter={8} align="top" data-testid="questionnaire-choice">
              <Col span={7}>
                <Form.Item
                  name={[field.name, 'label']}
                  rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
                  style={{ marginBottom: 0 }}
                >
                  <Input placeholder={t('questionnaires.choicePlaceholder', { n: index + 1 })} />
                </Form.Item>
              </Col>
              <Col span={10}>
                <Form.Item name={[field.name, 'tag_ids']} style={{ marginBottom: 0 }}>
                  <TagSelect
                    multiple
                    explicitOnly
                    placeholder={t('questionnaires.choiceTagsPlaceholder')}
                    style={{ width: '100%' }}
                  />
                </Form.Item>
              </Col>
              <Col span={6}>
                <Form.Item name={[field.name, 'codes']} style={{ marginBottom: 0 }}>
                  <Select
                    mode="tags"
                    open={false}
                    suffixIcon={null}
                    tokenSeparators={[',', '，', ' ']}
                    placeholder={t('questionnaires.choiceCodesPlaceholder')}
                  />
                </Form.Item>
              </Col>
              <Col span={1}>
                <Tooltip title={t('questionnaires.removeChoice')}>
                  <Button type="text" icon={<DeleteOutlined />} onClick={() => remove(field.name)} />
                </Tooltip>
              </Col>
            </Row>
          ))}
          <Form.ErrorList errors={errors} />
          <div>
            <Button type="dashed" size="small" icon={<PlusOutlined />} onClick={() => add({ ...NEW_CHOICE })}>
              {t('questionnaires.addChoice')}
            </Button>
          </div>
        </Flex>
      )}
    </Form.List>
  );
}

function QuestionnaireEditor({ questionnaire }: { questionnaire?: Questionnaire }) {
  const t = useT();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    form.setFieldsValue(
      questionnaire
        ? { name: questionnaire.name, description: questionnaire.description, questions: questionnaire.questions }
        : { name: '', description: '', questions: [{ ...NEW_QUESTION }] },
    );
  }, [questionnaire, form]);

  const save = async (values: Values) => {
    const input: QuestionnaireInput = {
      name: values.name.trim(),
      description: values.description?.trim() ?? '',
      questions: (values.questions ?? []).map((question) => ({
        ...(question.id ? { id: question.id } : {}),
        title: question.title.trim(),
        type: question.type,
        required: Boolean(question.required),
        choices: (question.choices ?? []).map((choice) => ({
          ...(choice.id ? { id: choice.id } : {}),
          label: choice.label.trim(),
          tag_ids: choice.tag_ids ?? [],
          codes: choice.codes ?? [],
        })),
      })),
    };
    setSaving(true);
    try {
      const saved = questionnaire
        ? await questionnairesApi.update(questionnaire.id, input)
        : await questionnairesApi.create(input);
      message.success(t(questionnaire ? 'questionnaires.saved' : 'questionnaires.created'));
      if (!questionnaire) navigate(`${LIST_PATH}/${saved.id}`, { replace: true });
      else form.setFieldsValue({ questions: saved.questions });
    } catch (reason) {
      if (!applyQuestionnaireError(form, reason, t)) message.error(describeError(toApiError(reason), t));
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      <Link to={LIST_PATH} style={{ display: 'inline-block', marginBottom: 12 }}>
        <ArrowLeftOutlined /> {t('questionnaires.backToList')}
      </Link>
      <PageHeader
        title={questionnaire ? questionnaire.name : t('questionnaires.createTitle')}
        subtitle={t('questionnaires.editorSubtitle')}
        extra={
          <Button type="primary" loading={saving} onClick={() => form.submit()} data-testid="questionnaire-save">
            {t('common.save')}
          </Button>
        }
      />
      <Form<Values> form={form} layout="vertical" onFinish={save} data-testid="questionnaire-form">
        <Card style={{ marginBottom: 16 }}>
          <Row gutter={16}>
            <Col xs={24} md={10}>
              <Form.Item
                name="name"
                label={t('questionnaires.name')}
                rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
              >
                <Input placeholder={t('questionnaires.namePlaceholder')} />
              </Form.Item>
            </Col>
            <Col xs={24} md={14}>
              <Form.Item name="description" label={t('questionnaires.description')}>
                <Input placeholder={t('questionnaires.descriptionPlaceholder')} />
              </Form.Item>
            </Col>
          </Row>
        </Card>
        <Form.List
          name="questions"
          rules={[
            {
              validator: async (_, questions?: unknown[]) => {
                if (!questions?.length) throw new Error(t('questionnaires.needQuestion'));
              },
            },
          ]}
        >
          {(fields, { add, remove, move }, { errors }) => (
            <Flex vertical gap={16}>
              {fields.map((field, index) => (
                <Card
                  key={field.key}
                  size="small"
                  title={t('questionnaires.questionN', { n: index + 1 })}
                  data-testid="questionnaire-question"
                  extra={
                    <Flex gap={2}>
                      <Button
                        type="text"
                        size="small"
                        icon={<ArrowUpOutlined />}
                        disabled={index === 0}
                        onClick={() => move(index, index - 1)}
                        aria-label={t('questionnaires.moveUp')}
                      />
                      <Button
                        type="text"
                        size="small"
                        icon={<ArrowDownOutlined />}
                        disabled={index === fields.length - 1}
                        onClick={() => move(index, index + 1)}
                        aria-label={t('questionnaires.moveDown')}
                      />
                      <Button
                        type="text"
                        size="small"
                        danger
                        icon={<DeleteOutlined />}
                        onClick={() => remove(field.name)}
                      >
                        {t('common.remove')}
                      </Button>
                    </Flex>
                  }
                >
                  <Row gutter={16} align="bottom">
                    <Col xs={24} md={14}>
                      <Form.Item
                        name={[field.name, 'title']}
                        label={t('questionnaires.questionTitle')}
                        rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
                      >
                        <Input placeholder={t('questionnaires.questionPlaceholder')} />
                      </Form.Item>
                    </Col>
                    <Col xs={16} md={6}>
                      <Form.Item name={[field.name, 'type']} label={t('questionnaires.type')}>
                        <Radio.Group
                          optionType="button"
                          options={[
                            { value: 'single', label: t('questionnaires.type.single') },
                            { value: 'multiple', label: t('questionnaires.type.multiple') },
                          ]}
                        />
                      </Form.Item>
                    </Col>
                    <Col xs={8} md={4}>
                      <Form.Item
                        name={[field.name, 'required']}
                        label={t('questionnaires.required')}
                        valuePropName="checked"
                      >
                        <Switch />
                      </Form.Item>
                    </Col>
                  </Row>
                  <ChoiceRows questionIndex={field.name} />
                </Card>
              ))}
              <Form.ErrorList errors={errors} />
              <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ ...NEW_QUESTION })} block>
                {t('questionnaires.addQuestion')}
              </Button>
              <Typography.Text type="secondary">{t('questionnaires.mappingHint')}</Typography.Text>
            </Flex>
          )}
        </Form.List>
      </Form>
    </>
  );
}

/** A questionnaire (`:id`) or a new one (`new`): questions, choices and the tags each choice gives. */
export default function QuestionnairePage() {
  const t = useT();
  const navigate = useNavigate();
  const param = useParams().id ?? '';
  const isNew = param === 'new';
  const id = Number(param);
  const { data, error, loading, reload } = useAsync<Questionnaire | null>(
    () => (isNew ? Promise.resolve(null) : questionnairesApi.get(id)),
    [param],
  );
  if (isNew) return <QuestionnaireEditor key="new" />;
  if (error?.status === 404 || !Number.isInteger(id)) {
    return (
      <Result
        status="404"
        title={t('questionnaires.notFound')}
        extra={<Button onClick={() => navigate(LIST_PATH)}>{t('questionnaires.backToList')}</Button>}
      />
    );
  }
  if (error) return <ErrorAlert error={error} onRetry={reload} />;
  if (loading || !data || data.id !== id) return <Skeleton active paragraph={{ rows: 10 }} />;
  return <QuestionnaireEditor key={data.id} questionnaire={data} />;
}
