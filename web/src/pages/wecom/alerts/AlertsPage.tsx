import { useCallback, useState } from 'react';
import { App, Badge, Button, Card, Flex, Switch, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { CheckOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import { wecomApi } from '../../../api/wecom';
import type { LossAlert } from '../../../api/wecomTypes';
import { describeError } from '../../../components/errors';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat } from '../../../format';
import { toApiError } from '../../../hooks/useAsync';
import { useCursorPager } from '../../../hooks/useCursorPager';
import { useT, type MessageKey } from '../../../i18n';
import { EmptyState, PagedTable } from '../shared';

/** 流失提醒: customers lost by the signed-in guide (or the stores' staff), to follow up. */
export default function AlertsPage() {
  const t = useT();
  const format = useFormat();
  const { message } = App.useApp();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const fetchPage = useCallback(
    (cursor: string | null, limit: number) => wecomApi.alerts(unreadOnly || undefined, cursor, limit),
    [unreadOnly],
  );
  const pager = useCursorPager<LossAlert>(fetchPage, String(unreadOnly), 20);

  const markRead = async (ids: number[]) => {
    try {
      const answer = await wecomApi.markAlertsRead(ids);
      message.success(t('alerts.marked', { count: answer?.marked ?? ids.length }));
      pager.state.reload();
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    }
  };
  const unreadIds = pager.rows.filter((a) => a.unread).map((a) => a.id);
  const customer = (alert: LossAlert) =>
    alert.customer_id ? (
      <Link to={`/customers/${alert.customer_id}`}>
        {alert.customer_name || t('wecom.unnamedCustomer', { id: alert.customer_id })}
      </Link>
    ) : (
      <Typography.Text>{alert.customer_name || alert.external_userid}</Typography.Text>
    );
  const reason = (alert: LossAlert) => (
    <Tag color={alert.reason === 'deleted_by_customer' ? 'red' : 'orange'}>
      {t(`alerts.reason.${alert.reason}` as MessageKey)}
    </Tag>
  );

  const columns: ColumnsType<LossAlert> = [
    {
      title: t('alerts.customer'),
      key: 'customer',
      render: (_, alert) => (
        <Badge dot={alert.unread} offset={[6, 0]}>
          {customer(alert)}
        </Badge>
      ),
    },
    { title: t('alerts.staff'), key: 'staff', width: 140, render: (_, alert) => alert.staff.name },
    { title: t('alerts.reason'), key: 'reason', width: 170, render: (_, alert) => reason(alert) },
    { title: t('alerts.at'), dataIndex: 'created_at', width: 170, render: (v: string) => format.dateTime(v) },
    {
      title: t('common.actions'),
      key: 'actions',
      width: 110,
      render: (_, alert) =>
        !alert.unread ? null : (
          <Button type="link" size="small" onClick={() => markRead([alert.id])}>
            {t('alerts.markRead')}
          </Button>
        ),
    },
  ];

  return (
    <>
      <PageHeader
        title={
          <Flex align="center" gap={8}>
            {t('nav.wecom.alerts')}
            <Badge
              count={(pager.state.data as { unread_count?: number } | undefined)?.unread_count ?? 0}
              data-testid="alerts-unread"
            />
          </Flex>
        }
        subtitle={t('alerts.subtitle')}
        extra={
          unreadIds.length ? (
            <Button icon={<CheckOutlined />} onClick={() => markRead(unreadIds)} data-testid="alerts-read-all">
              {t('alerts.markAllRead')}
            </Button>
          ) : null
        }
      />
      <Card>
        <Flex align="center" gap={8} style={{ marginBottom: 16 }}>
          <Switch checked={unreadOnly} onChange={setUnreadOnly} size="small" />
          <Typography.Text>{t('alerts.unreadOnly')}</Typography.Text>
        </Flex>
        <PagedTable<LossAlert>
          pager={pager}
          columns={columns}
          rowKey="id"
          testId="alert-table"
          mobileCard={(alert) => (
            <Card key={alert.id} size="small" style={{ marginBottom: 8 }} data-testid="alert-card">
              <Flex justify="space-between" align="center" gap={8}>
                <Badge dot={alert.unread} offset={[6, 0]}>
                  {customer(alert)}
                </Badge>
                {reason(alert)}
              </Flex>
              <Flex justify="space-between" align="center" style={{ marginTop: 4 }}>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {alert.staff.name} · {format.dateTime(alert.created_at)}
                </Typography.Text>
                {!alert.unread ? null : (
                  <Button size="small" type="link" onClick={() => markRead([alert.id])}>
                    {t('alerts.markRead')}
                  </Button>
                )}
              </Flex>
            </Card>
          )}
          empty={<EmptyState testId="alerts-empty" text={t('alerts.empty')} />}
        />
      </Card>
    </>
  );
}
