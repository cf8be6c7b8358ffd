import { useEffect, useState } from 'react';
import { Alert, App, Button, Col, Flex, Result, Row, Skeleton, Tag, Typography } from 'antd';
import { ArrowLeftOutlined, DeleteOutlined, EditOutlined } from '@ant-design/icons';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { customersApi } from '../../api/customers';
import type { Customer } from '../../api/types';
import { describeError } from '../../components/errors';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useFormat } from '../../format';
import { toApiError, useAsync } from '../../hooks/useAsync';
import { useStores } from '../../hooks/useStores';
import { useT } from '../../i18n';
import { useCan } from '../../session/SessionContext';
import { CustomerAvatar } from './CustomerAvatar';
import { CustomerFormDrawer } from './CustomerFormDrawer';
import { customerRefLabel, displayName, genderLabel } from './display';
import { CUSTOMER_SECTIONS } from './sections';

function BackLink() {
  const t = useT();
  return (
    <Link to="/customers" style={{ display: 'inline-block', marginBottom: 12 }}>
      <ArrowLeftOutlined /> {t('customer.backToList')}
    </Link>
  );
}

/** What the page shows after a visit to a merged customer's id. */
interface MergedState {
  mergedFrom?: number;
}

interface Loaded {
  /** The id in the URL when the customer was read; a merged id answers its survivor. */
  requested: number;
  customer: Customer;
}

export function CustomerDetailPage() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const navigate = useNavigate();
  const { modal, message } = App.useApp();
  const { byId } = useStores();
  const location = useLocation();
  const id = Number(useParams().id);
  const { data, error, loading, reload, setData } = useAsync<Loaded>(
    () => customersApi.get(id).then((customer) => ({ requested: id, customer })),
    [id],
  );
  const [editing, setEditing] = useState(false);
  const current = data && (data.requested === id || data.customer.id === id) ? data : undefined;
  const customer = current?.customer;
  const mergedFrom = (location.state as MergedState | null)?.mergedFrom;

  useEffect(() => {
    if (current && current.requested === id && current.customer.id !== id) {
      navigate(`/customers/${current.customer.id}`, { replace: true, state: { mergedFrom: id } satisfies MergedState });
    }
  }, [current, id, navigate]);

  const setCustomer = (next: Customer) => setData({ requested: next.id, customer: next });

  if (loading && !customer) return <Skeleton active avatar paragraph={{ rows: 10 }} />;
  if (error?.status === 404 || !Number.isInteger(id)) {
    return (
      <Result
        status="404"
        title={t('customer.notFound')}
        subTitle={t('customer.notFoundHint')}
        extra={<Button onClick={() => navigate('/customers')}>{t('customer.backToList')}</Button>}
      />
    );
  }
  if (error || !customer) return error ? <ErrorAlert error={error} onRetry={reload} /> : null;

  const name = displayName(customer, t);
  const store = customer.store_id ? byId.get(customer.store_id) : undefined;

  const confirmDelete = () =>
    modal.confirm({
      title: t('customer.deleteTitle', { name }),
      content: t('customer.deleteHint'),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await customersApi.remove(customer.id);
          message.success(t('customer.deleted'));
          navigate('/customers', { replace: true });
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  return (
    <>
      <BackLink />
      {mergedFrom && mergedFrom !== customer.id ? (
        <Alert
          type="info"
          showIcon
          closable
          message={t('customer.mergedNotice', { from: mergedFrom, to: customerRefLabel(customer, t) })}
          style={{ marginBottom: 16 }}
          data-testid="customer-merged-notice"
        />
      ) : null}
      <Flex justify="space-between" align="center" wrap gap={12} style={{ marginBottom: 16 }}>
        <Flex align="center" gap={12} style={{ minWidth: 0 }}>
          <CustomerAvatar customer={customer} label={name} size={48} />
          <div style={{ minWidth: 0 }}>
            <Typography.Title level={4} style={{ margin: 0 }} ellipsis data-testid="customer-title">
              {name}
            </Typography.Title>
            <Flex gap={4} wrap style={{ marginTop: 4 }}>
              {customer.gender && customer.gender !== 'unknown' ? <Tag>{genderLabel(customer.gender, t)}</Tag> : null}
              {store ? <Tag color="blue">{store.name}</Tag> : null}
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t('customer.since', { date: format.date(customer.created_at) })}
              </Typography.Text>
            </Flex>
          </div>
        </Flex>
        <Flex gap={8}>
          {can('customers.write') ? (
            <Button icon={<EditOutlined />} onClick={() => setEditing(true)} data-testid="customer-edit">
              {t('common.edit')}
            </Button>
          ) : null}
          {can('customers.delete') ? (
            <Button danger icon={<DeleteOutlined />} onClick={confirmDelete} data-testid="customer-delete">
              {t('common.delete')}
            </Button>
          ) : null}
        </Flex>
      </Flex>
      <Row gutter={[16, 16]}>
        {CUSTOMER_SECTIONS.filter((section) => !section.permission || can(section.permission)).map((section) => (
          <Col key={section.key} xs={24} xl={section.half ? 12 : 24}>
            <section.component customer={customer} onChange={setCustomer} />
          </Col>
        ))}
      </Row>
      <CustomerFormDrawer
        open={editing}
        customer={customer}
        onClose={() => setEditing(false)}
        onSaved={(saved) => {
          setCustomer(saved);
          setEditing(false);
        }}
      />
    </>
  );
}
