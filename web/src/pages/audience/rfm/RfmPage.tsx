import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Col, Form, InputNumber, Modal, Row, Skeleton, Table, Tag, Typography } from 'antd';
import { SettingOutlined } from '@ant-design/icons';
import { analyticsApi } from '../../../api/analytics';
import type { RfmSettings, RfmSummary, ThresholdSource } from '../../../api/types';
import { EChart, type ChartOption } from '../../../components/charts/EChart';
import { applyFieldError, describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat, type Formatters } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useT, type Translate } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { RFM_COLORS } from '../../../domain/rfm';

type ClassRow = RfmSummary['classes'][number];

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function chartOption(summary: RfmSummary, t: Translate): ChartOption {
  const names = summary.classes.map((row) => t(`rfm.class.${row.code}`));
  return {
    grid: { left: 110, right: 24, top: 36, bottom: 24 },
    legend: { top: 0 },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (value: unknown) => `${Number(value).toFixed(1)}%`,
    },
    xAxis: { type: 'value', axisLabel: { formatter: '{value}%' } },
    yAxis: { type: 'category', data: names, inverse: true },
    series: [
      {
        name: t('rfm.customerShare'),
        type: 'bar',
        itemStyle: { color: '#1677ff' },
        data: summary.classes.map((row) => ({
          value: Number((row.share * 100).toFixed(2)),
          itemStyle: { color: RFM_COLORS[row.code] },
        })),
        barMaxWidth: 14,
      },
      {
        name: t('rfm.monetaryShare'),
        type: 'bar',
        data: summary.classes.map((row) => Number((row.monetary_share * 100).toFixed(2))),
        itemStyle: { color: '#bfbfbf' },
        barMaxWidth: 14,
      },
    ],
  };
}

function SourceTag({ source }: { source: ThresholdSource }) {
  const t = useT();
  return (
    <Tag color={source === 'setting' ? 'blue' : 'default'} style={{ marginInlineStart: 8 }}>
      {t(`rfm.source.${source}`)}
    </Tag>
  );
}

interface SettingsValues {
  period_days: number;
  recency_days?: number | null;
  frequency?: number | null;
  /** In major units (¥) in the form; minor units on the wire. */
  monetary?: number | null;
}

const SETTINGS_FIELDS = ['period_days', 'recency_days', 'frequency', 'monetary'] as const;

function SettingsModal({ open, onClose, onSaved }: { open: boolean; onClose: () => void; onSaved: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<SettingsValues>();
  const [saving, setSaving] = useState(false);
  const { data, error, loading } = useAsync<RfmSettings | null>(
    () => (open ? analyticsApi.rfmSettings() : Promise.resolve(null)),
    [open],
  );

  useEffect(() => {
    if (!data) return;
    form.setFieldsValue({ ...data, monetary: data.monetary === null ? null : data.monetary / 100 });
  }, [data, form]);

  const save = async (values: SettingsValues) => {
    setSaving(true);
    try {
      await analyticsApi.updateRfmSettings({
        period_days: values.period_days,
        recency_days: values.recency_days ?? null,
        frequency: values.frequency ?? null,
        monetary: values.monetary === null || values.monetary === undefined ? null : Math.round(values.monetary * 100),
      });
      message.success(t('rfm.settingsSaved'));
      onSaved();
    } catch (reason) {
      if (!applyFieldError(form, reason, SETTINGS_FIELDS, t)) message.error(describeError(toApiError(reason), t));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={t('rfm.settingsTitle')}
      open={open}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={saving}
      destroyOnHidden
    >
      {error ? <ErrorAlert error={error} /> : null}
      <Skeleton active loading={loading && !data}>
        <Typography.Paragraph type="secondary">{t('rfm.settingsHint')}</Typography.Paragraph>
        <Form<SettingsValues> form={form} layout="vertical" onFinish={save}>
          <Form.Item
            name="period_days"
            label={t('rfm.periodDays')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <InputNumber min={1} max={3650} precision={0} addonAfter={t('builder.days')} style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item name="recency_days" label={t('rfm.recencyThreshold')} extra={t('rfm.recencyHint')}>
            <InputNumber
              min={0}
              precision={1}
              addonAfter={t('builder.days')}
              placeholder={t('rfm.useMean')}
              style={{ width: '100%' }}
            />
          </Form.Item>
          <Form.Item name="frequency" label={t('rfm.frequencyThreshold')} extra={t('rfm.frequencyHint')}>
            <InputNumber
              min={0}
              precision={2}
              addonAfter={t('rfm.orders')}
              placeholder={t('rfm.useMean')}
              style={{ width: '100%' }}
            />
          </Form.Item>
          <Form.Item name="monetary" label={t('rfm.monetaryThreshold')} extra={t('rfm.monetaryHint')}>
            <InputNumber min={0} precision={2} prefix="¥" placeholder={t('rfm.useMean')} style={{ width: '100%' }} />
          </Form.Item>
        </Form>
      </Skeleton>
    </Modal>
  );
}

function Threshold({ label, value, source }: { label: string; value: string; source?: ThresholdSource }) {
  return (
    <Col xs={12} lg={6}>
      <Typography.Text type="secondary">{label}</Typography.Text>
      <div className="siyu-threshold-value">
        {value}
        {source ? <SourceTag source={source} /> : null}
      </div>
    </Col>
  );
}

function Thresholds({ summary, format }: { summary: RfmSummary; format: Formatters }) {
  const t = useT();
  const { thresholds } = summary;
  return (
    <Row gutter={[16, 16]} data-testid="rfm-thresholds">
      <Threshold label={t('rfm.periodDays')} value={t('rfm.daysValue', { days: summary.period_days })} />
      <Threshold
        label={t('rfm.recencyThreshold')}
        value={t('rfm.daysValue', { days: format.number(Math.round(thresholds.recency_days * 10) / 10) })}
        source={thresholds.source.recency_days}
      />
      <Threshold
        label={t('rfm.frequencyThreshold')}
        value={t('rfm.ordersValue', { count: format.number(Math.round(thresholds.frequency * 100) / 100) })}
        source={thresholds.source.frequency}
      />
      <Threshold
        label={t('rfm.monetaryThreshold')}
        value={format.money(Math.round(thresholds.monetary))}
        source={thresholds.source.monetary}
      />
    </Row>
  );
}

/** The eight RFM classes of the tenant's customers with orders in the period, and the thresholds. */
export default function RfmPage() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const [editing, setEditing] = useState(false);
  const { data, error, loading, reload } = useAsync(() => analyticsApi.rfm(), []);
  const option = useMemo(() => (data ? chartOption(data, t) : null), [data, t]);
  const empty = data?.customers_with_orders === 0;

  return (
    <>
      <PageHeader
        title={t('nav.audience.rfm')}
        subtitle={t('rfm.subtitle')}
        extra={
          can('segments.manage') ? (
            <Button icon={<SettingOutlined />} onClick={() => setEditing(true)} data-testid="rfm-settings">
              {t('rfm.settings')}
            </Button>
          ) : null
        }
      />
      {error ? <ErrorAlert error={error} onRetry={reload} /> : null}
      {loading && !data ? <Skeleton active paragraph={{ rows: 10 }} /> : null}
      {data ? (
        <Row gutter={[16, 16]}>
          <Col xs={24}>
            <Card
              title={t('rfm.thresholds')}
              extra={<Typography.Text type="secondary">{t('rfm.thresholdsHint')}</Typography.Text>}
            >
              <Thresholds summary={data} format={format} />
            </Card>
          </Col>
          {empty ? (
            <Col xs={24}>
              <Alert
                type="info"
                showIcon
                message={t('rfm.empty', { days: data.period_days })}
                data-testid="rfm-empty"
              />
            </Col>
          ) : null}
          <Col xs={24} xl={14}>
            <Card
              title={t('rfm.classes')}
              extra={t('rfm.customersWithOrders', { count: format.number(data.customers_with_orders) })}
            >
              <Table<ClassRow>
                size="small"
                rowKey="code"
                dataSource={data.classes}
                pagination={false}
                scroll={{ x: 500 }}
                data-testid="rfm-table"
                columns={[
                  {
                    title: t('rfm.class'),
                    dataIndex: 'code',
                    render: (code: ClassRow['code']) => (
                      <>
                        <span className="siyu-color-dot" style={{ background: RFM_COLORS[code], marginRight: 8 }} />
                        {t(`rfm.class.${code}`)}
                      </>
                    ),
                  },
                  {
                    title: t('rfm.customers'),
                    dataIndex: 'customers',
                    width: 72,
                    align: 'right',
                    render: (n: number) => format.number(n),
                  },
                  { title: t('rfm.customerShare'), dataIndex: 'share', width: 80, align: 'right', render: percent },
                  {
                    title: t('rfm.monetary'),
                    dataIndex: 'monetary',
                    width: 116,
                    align: 'right',
                    render: (m: number) => format.money(m),
                  },
                  {
                    title: t('rfm.monetaryShare'),
                    dataIndex: 'monetary_share',
                    width: 80,
                    align: 'right',
                    render: percent,
                  },
                ]}
                summary={() => (
                  <Table.Summary.Row>
                    <Table.Summary.Cell index={0}>{t('rfm.total')}</Table.Summary.Cell>
                    <Table.Summary.Cell index={1} align="right">
                      {format.number(data.customers_with_orders)}
                    </Table.Summary.Cell>
                    <Table.Summary.Cell index={2} align="right">
                      {data.customers_with_orders ? '100%' : '—'}
                    </Table.Summary.Cell>
                    <Table.Summary.Cell index={3} align="right">
                      {format.money(data.monetary_total)}
                    </Table.Summary.Cell>
                    <Table.Summary.Cell index={4} align="right">
                      {data.monetary_total ? '100%' : '—'}
                    </Table.Summary.Cell>
                  </Table.Summary.Row>
                )}
              />
            </Card>
          </Col>
          <Col xs={24} xl={10}>
            <Card title={t('rfm.chart')} style={{ height: '100%' }}>
              {option ? <EChart option={option} height={360} testId="chart-rfm" /> : null}
            </Card>
          </Col>
          <Col xs={24}>
            <Card title={t('rfm.legend')} size="small">
              <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
                {t('rfm.legendText')}
              </Typography.Paragraph>
            </Card>
          </Col>
        </Row>
      ) : null}
      <SettingsModal
        open={editing}
        onClose={() => setEditing(false)}
        onSaved={() => {
          setEditing(false);
          reload();
        }}
      />
    </>
  );
}
