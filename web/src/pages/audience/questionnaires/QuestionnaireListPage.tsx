import { useCallback } from 'react';
import { App, Button, Card, Empty, Skeleton, Space, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { PlusOutlined } from '@ant-design/icons';
import { Link, useNavigate } from 'react-router-dom';
import { questionnairesApi } from '../../../api/tags';
import type { Questionnaire } from '../../../api/types';
import { describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { PagerBar } from '../../../components/PagerBar';
import { useFormat } from '../../../format';
import { toApiError } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useT } from '../../../i18n';

export default function QuestionnaireListPage() {
  const t = useT();
  const format = useFormat();
  const navigate = useNavigate();
  const { modal, message } = App.useApp();
  const fetchPage = useCallback((cursor: string | null, limit: number) => questionnairesApi.list(cursor, limit), []);
  const pager = useCursorPager<Questionnaire>(fetchPage, 'questionnaires', 20);
  const { state } = pager;

  const confirmDelete = (questionnaire: Questionnaire) =>
    modal.confirm({
      title: t('questionnaires.deleteTitle', { name: questionnaire.name }),
      content: t('questionnaires.deleteHint'),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await questionnairesApi.remove(questionnaire.id);
          message.success(t('questionnaires.deleted'));
          state.reload();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  const columns: ColumnsType<Questionnaire> = [
    {
      title: t('questionnaires.name'),
      dataIndex: 'name',
      render: (name: string, questionnaire) => (
        <>
          <Link to={String(questionnaire.id)}>{name}</Link>
          {questionnaire.description ? (
            <Typography.Text type="secondary" ellipsis style={{ display: 'block', fontSize: 12, maxWidth: 420 }}>
              {questionnaire.description}
            </Typography.Text>
          ) : null}
        </>
      ),
    },
    {
      title: t('questionnaires.questions'),
      key: 'questions',
      width: 120,
      align: 'right',
      render: (_, questionnaire) => format.number(questionnaire.questions.length),
    },
    { title: t('common.updatedAt'), dataIndex: 'updated_at', width: 170, render: (at: string) => format.dateTime(at) },
    {
      title: t('common.actions'),
      key: 'actions',
      width: 140,
      render: (_, questionnaire) => (
        <Space size={0}>
          <Button type="link" size="small" onClick={() => navigate(String(questionnaire.id))}>
            {t('common.edit')}
          </Button>
          <Button type="link" size="small" danger onClick={() => confirmDelete(questionnaire)}>
            {t('common.delete')}
          </Button>
        </Space>
      ),
    },
  ];

  let body;
  if (state.loading && !state.data) body = <Skeleton active paragraph={{ rows: 6 }} />;
  else if (!state.error && pager.rows.length === 0 && pager.pageIndex === 0) {
    body = (
      <Empty description={t('questionnaires.empty')} style={{ padding: '32px 0' }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('new')}>
          {t('questionnaires.create')}
        </Button>
      </Empty>
    );
  } else {
    body = (
      <Table<Questionnaire>
        size="middle"
        rowKey="id"
        columns={columns}
        dataSource={pager.rows}
        loading={state.loading}
        pagination={false}
        scroll={{ x: 720 }}
      />
    );
  }

  return (
    <>
      <PageHeader
        title={t('nav.audience.questionnaires')}
        subtitle={t('questionnaires.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('new')}>
            {t('questionnaires.create')}
          </Button>
        }
      />
      <Card>
        {state.error ? <ErrorAlert error={state.error} onRetry={state.reload} /> : null}
        {body}
        {pager.hasPrev || pager.hasNext ? (
          <PagerBar
            pageIndex={pager.pageIndex}
            hasPrev={pager.hasPrev}
            hasNext={pager.hasNext}
            onPrev={pager.prev}
            onNext={pager.next}
          />
        ) : null}
      </Card>
    </>
  );
}
