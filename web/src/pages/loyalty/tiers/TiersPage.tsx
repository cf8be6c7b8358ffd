import { useEffect, useState } from 'react';
import { App, Button, Card, Drawer, Empty, Flex, Form, Input, InputNumber, Skeleton, Space, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { PlusOutlined } from '@ant-design/icons';
import { loyaltyApi } from '../../../api/loyalty';
import type { Tier, TierInput } from '../../../api/loyaltyTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { ListSelect, TierTag } from '../shared';
import { DrawerFooter } from '../../../components/DrawerFooter';

interface Values {
  name: string;
  level: number;
  threshold: number;
  multiplier: number;
  benefits: string[];
}

const FIELDS = ['name', 'level', 'threshold', 'multiplier', 'benefits'] as const;

function TierDrawer({
  target,
  tiers,
  basis,
  onClose,
  onSaved,
}: {
  target: { tier?: Tier } | null;
  tiers: Tier[];
  basis: string | undefined;
  onClose: () => void;
  onSaved: () => void;
}) {
  const t = useT();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const editing = target?.tier;

  useEffect(() => {
    if (!target) return;
    form.resetFields();
    if (target.tier) form.setFieldsValue(target.tier);
    else {
      const top = tiers[tiers.length - 1];
      form.setFieldsValue({
        level: top ? top.level + 1 : 0,
        threshold: top ? top.threshold * 2 || 1000 : 0,
        multiplier: 100,
        benefits: [],
      });
    }
  }, [target, form, tiers]);

  const save = async (values: Values) => {
    const input: TierInput = { ...values, name: values.name.trim(), benefits: values.benefits ?? [] };
    setSaving(true);
    try {
      if (editing) await loyaltyApi.updateTier(editing.id, input);
      else await loyaltyApi.createTier(input);
      message.success(t('tiers.saved'));
      onSaved();
    } catch (reason) {
      if (!applyFieldError(form, reason, FIELDS, t)) message.error(describeError(toApiError(reason), t));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Drawer
      title={t(editing ? 'tiers.editTitle' : 'tiers.createTitle')}
      open={target !== null}
      onClose={onClose}
      width={isMobile ? '100%' : 520}
      destroyOnHidden
      footer={<DrawerFooter onCancel={onClose} onSave={() => form.submit()} saving={saving} saveTestId="tier-save" />}
    >
      <Form<Values> form={form} layout="vertical" onFinish={save} data-testid="tier-form">
        <Form.Item
          name="name"
          label={t('tiers.name')}
          rules={[
            { required: true, whitespace: true, message: t('validation.required') },
            { max: 30, message: t('validation.maxLength', { max: 30 }) },
          ]}
        >
          <Input placeholder={t('tiers.namePlaceholder')} />
        </Form.Item>
        <Flex gap={16}>
          <Form.Item
            name="level"
            label={t('tiers.level')}
            extra={t('tiers.levelHint')}
            rules={[{ required: true, message: t('validation.required') }]}
            style={{ flex: 1 }}
          >
            <InputNumber min={0} max={100} precision={0} style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item
            name="multiplier"
            label={t('tiers.multiplier')}
            extra={t('tiers.multiplierHint')}
            rules={[{ required: true, message: t('validation.required') }]}
            style={{ flex: 1 }}
          >
            <InputNumber min={0} max={1000} precision={0} suffix="%" style={{ width: '100%' }} />
          </Form.Item>
        </Flex>
        <Form.Item
          name="threshold"
          label={t(basis === 'spend' ? 'tiers.thresholdSpend' : 'tiers.thresholdPoints')}
          extra={t(basis === 'spend' ? 'tiers.thresholdSpendHint' : 'tiers.thresholdPointsHint')}
          rules={[{ required: true, message: t('validation.required') }]}
        >
          <InputNumber min={0} precision={0} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="benefits" label={t('tiers.benefits')} extra={t('tiers.benefitsHint')}>
          <ListSelect placeholder={t('tiers.benefitsPlaceholder')} />
        </Form.Item>
      </Form>
    </Drawer>
  );
}

export default function TiersPage() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const { modal, message } = App.useApp();
  const canManage = can('loyalty.manage');
  const { data, error, loading, reload } = useAsync(() => loyaltyApi.tiers().then((answer) => answer.data), []);
  const settings = useAsync(() => loyaltyApi.settings(), []);
  const [target, setTarget] = useState<{ tier?: Tier } | null>(null);
  const tiers = data ?? [];
  const basis = settings.data?.tier_basis;

  const confirmDelete = (tier: Tier) =>
    modal.confirm({
      title: t('tiers.deleteTitle', { name: tier.name }),
      content: t('tiers.deleteHint'),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await loyaltyApi.removeTier(tier.id);
          message.success(t('tiers.deleted'));
          reload();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  const columns: ColumnsType<Tier> = [
    { title: t('tiers.level'), dataIndex: 'level', width: 80 },
    {
      title: t('tiers.name'),
      dataIndex: 'name',
      render: (name: string, tier) => <TierTag name={name} level={tier.level} />,
    },
    {
      title: t(basis === 'spend' ? 'tiers.thresholdSpend' : 'tiers.thresholdPoints'),
      dataIndex: 'threshold',
      align: 'right',
      render: (value: number) => (basis === 'spend' ? format.money(value) : format.number(value)),
    },
    { title: t('tiers.multiplier'), dataIndex: 'multiplier', align: 'right', render: (value: number) => `${value}%` },
    {
      title: t('tiers.benefits'),
      dataIndex: 'benefits',
      render: (benefits: string[]) =>
        benefits.length ? (
          <Flex gap={4} wrap>
            {benefits.map((benefit) => (
              <Tag key={benefit}>{benefit}</Tag>
            ))}
          </Flex>
        ) : (
          '—'
        ),
    },
  ];
  if (canManage) {
    columns.push({
      title: t('common.actions'),
      key: 'actions',
      width: 130,
      render: (_, tier) => (
        <Space size={0}>
          <Button type="link" size="small" onClick={() => setTarget({ tier })}>
            {t('common.edit')}
          </Button>
          <Button type="link" size="small" danger onClick={() => confirmDelete(tier)}>
            {t('common.delete')}
          </Button>
        </Space>
      ),
    });
  }

  let body;
  if (loading && !data) body = <Skeleton active paragraph={{ rows: 5 }} />;
  else if (!error && tiers.length === 0) {
    body = (
      <Empty description={t(canManage ? 'tiers.empty' : 'tiers.emptyReadOnly')} style={{ padding: '32px 0' }}>
        {canManage ? (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setTarget({})}>
            {t('tiers.create')}
          </Button>
        ) : null}
      </Empty>
    );
  } else {
    body = (
      <Table<Tier>
        size="middle"
        rowKey="id"
        columns={columns}
        dataSource={tiers}
        loading={loading}
        pagination={false}
        scroll={{ x: 760 }}
        data-testid="tier-table"
      />
    );
  }

  return (
    <>
      <PageHeader
        title={t('nav.loyalty.tiers')}
        subtitle={t(basis === 'spend' ? 'tiers.subtitleSpend' : 'tiers.subtitlePoints', {
          days: settings.data?.tier_window_days ?? 365,
          grace: settings.data?.downgrade_grace_days ?? 30,
        })}
        extra={
          canManage ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setTarget({})} data-testid="tier-create">
              {t('tiers.create')}
            </Button>
          ) : null
        }
      />
      <Card>
        {error ? <ErrorAlert error={error} onRetry={reload} /> : null}
        {body}
      </Card>
      <TierDrawer
        target={target}
        tiers={tiers}
        basis={basis}
        onClose={() => setTarget(null)}
        onSaved={() => {
          setTarget(null);
          reload();
        }}
      />
    </>
  );
}
