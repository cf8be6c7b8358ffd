import { useEffect } from 'react';
import { Button, Col, DatePicker, Flex, Form, Input, Row } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import type { CustomerFilters } from '../../api/types';
import { StoreSelect } from '../../components/StoreSelect';
import { useT } from '../../i18n';

interface Values {
  name?: string;
  phone?: string;
  store_id?: number | null;
  created?: [Dayjs, Dayjs];
}

interface Props {
  filters: CustomerFilters;
  onApply: (filters: CustomerFilters) => void;
}

const DAY = 'YYYY-MM-DD';

function toValues(filters: CustomerFilters): Values {
  return {
    name: filters.name,
    phone: filters.phone,
    store_id: filters.store_id ?? null,
    created:
      filters.created_from && filters.created_to ? [dayjs(filters.created_from), dayjs(filters.created_to)] : undefined,
  };
}

/** The advanced filters of the customer list; the free-text search stays outside. */
export function CustomerFilterForm({ filters, onApply }: Props) {
  const t = useT();
  const [form] = Form.useForm<Values>();

  useEffect(() => form.setFieldsValue(toValues(filters)), [filters, form]);

  const apply = (values: Values) =>
    onApply({
      q: filters.q,
      name: values.name?.trim() || undefined,
      phone: values.phone?.trim() || undefined,
      store_id: values.store_id ?? undefined,
      created_from: values.created?.[0]?.format(DAY),
      created_to: values.created?.[1]?.format(DAY),
    });

  const reset = () => {
    form.resetFields();
    onApply({ q: filters.q });
  };

  return (
    <Form<Values> form={form} layout="vertical" onFinish={apply} data-testid="customer-filters">
      <Row gutter={16}>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item name="name" label={t('customer.name')}>
            <Input allowClear placeholder={t('customer.filter.namePlaceholder')} />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item name="phone" label={t('customer.phone')}>
            <Input allowClear placeholder={t('customer.filter.phonePlaceholder')} inputMode="tel" />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item name="store_id" label={t('customer.store')}>
            <StoreSelect placeholder={t('customer.filter.anyStore')} />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item name="created" label={t('customer.createdRange')}>
            <DatePicker.RangePicker style={{ width: '100%' }} />
          </Form.Item>
        </Col>
      </Row>
      <Flex justify="flex-end" gap={8}>
        <Button onClick={reset}>{t('common.reset')}</Button>
        <Button type="primary" htmlType="submit">
          {t('common.apply')}
        </Button>
      </Flex>
    </Form>
  );
}
