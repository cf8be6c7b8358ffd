import { useEffect, useState } from 'react';
import {
  App,
  Button,
  Card,
  Drawer,
  Empty,
  Flex,
  Form,
  Input,
  InputNumber,
  Skeleton,
  Space,
  Switch,
  Table,
  Tag,
} from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { loyaltyApi } from '../../../api/loyalty';
import type { PaidPlan, TopupOffer } from '../../../api/loyaltyTypes';
import { applyFieldError, describeError } from '../../../components/errors';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { useFormat } from '../../../format';
import { toApiError, useAsync } from '../../../hooks/useAsync';
import { useIsMobile } from '../../../hooks/useMediaQuery';
import { useT } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { ListSelect, YuanInput } from '../shared';
import { DrawerFooter } from '../../../components/DrawerFooter';

type Editing = { kind: 'offer'; offer?: TopupOffer } | { kind: 'plan'; plan?: PaidPlan } | null;

interface Values {
  name: string;
  pay_amount?: number;
  bonus_amount?: number;
  price?: number;
  duration_days?: number;
  benefits?: string[];
  active: boolean;
}

function EditDrawer({ target, onClose, onSaved }: { target: Editing; onClose: () => void; onSaved: () => void }) {
  const t = useT();
  const isMobile = useIsMobile();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const isOffer = target?.kind === 'offer';
  const existing = target?.kind === 'offer' ? target.offer : target?.plan;

  useEffect(() => {
    if (!target) return;
    form.resetFields();
    if (target.kind === 'offer') form.setFieldsValue(target.offer ?? { active: true, bonus_amount: 0 });
    else form.setFieldsValue(target.plan ?? { active: true, duration_days: 365, benefits: [] });
  }, [target, form]);

  const save = async (values: Values) => {
    if (!target) return;
    setSaving(true);
    try {
      if (target.kind === 'offer') {
        const input = {
          name: values.name.trim(),
          pay_amount: values.pay_amount,
          bonus_amount: values.bonus_amount ?? 0,
          active: values.active,
        };
        if (target.offer) await loyaltyApi.updateOffer(target.offer.id, input);
        else await loyaltyApi.createOffer(input);
      } else {
        const input = {
          name: values.name.trim(),
          price: values.price,
          duration_days: values.duration_days,
          benefits: values.benefits ?? [],
          active: values.active,
        };
        if (target.plan) await loyaltyApi.updatePlan(target.plan.id, input);
        else await loyaltyApi.createPlan(input);
      }
      message.success(t('storedValue.saved'));
      onSaved();
    } catch (reason) {
      const fields = ['name', 'pay_amount', 'bonus_amount', 'price', 'duration_days', 'benefits', 'active'];
      if (!applyFieldError(form, reason, fields, t)) message.error(describeError(toApiError(reason), t));
    } finally {
      setSaving(false);
    }
  };

  const required = [{ required: true, message: t('validation.required') }];
  return (
    <Drawer
      title={t(
        isOffer
          ? existing
            ? 'storedValue.editOffer'
            : 'storedValue.createOffer'
          : existing
            ? 'storedValue.editPlan'
            : 'storedValue.createPlan',
      )}
      open={target !== null}
      onClose={onClose}
      width={isMobile ? '100%' : 480}
      destroyOnHidden
      footer={<DrawerFooter onCancel={onClose} onSave={() => form.submit()} saving={saving} />}
    >
      <Form<Values> form={form} layout="vertical" onFinish={save}>
        <Form.Item
          name="name"
          label={t('storedValue.name')}
          rules={[...required, { max: 50, message: t('validation.maxLength', { max: 50 }) }]}
        >
          <Input />
        </Form.Item>
        {isOffer ? (
          <Flex gap={16}>
            <Form.Item name="pay_amount" label={t('storedValue.pay')} rules={required} style={{ flex: 1 }}>
              <YuanInput min={1} />
            </Form.Item>
            <Form.Item name="bonus_amount" label={t('storedValue.bonus')} style={{ flex: 1 }}>
              <YuanInput />
            </Form.Item>
          </Flex>
        ) : (
          <>
            <Flex gap={16}>
              <Form.Item name="price" label={t('storedValue.price')} rules={required} style={{ flex: 1 }}>
                <YuanInput />
              </Form.Item>
              <Form.Item name="duration_days" label={t('storedValue.duration')} rules={required} style={{ flex: 1 }}>
                <InputNumber min={1} precision={0} suffix={t('coupons.days')} style={{ width: '100%' }} />
              </Form.Item>
            </Flex>
            <Form.Item name="benefits" label={t('tiers.benefits')}>
              <ListSelect placeholder={t('tiers.benefitsPlaceholder')} />
            </Form.Item>
          </>
        )}
        <Form.Item
          name="active"
          label={t(isOffer ? 'storedValue.active' : 'storedValue.onSale')}
          valuePropName="checked"
        >
          <Switch />
        </Form.Item>
      </Form>
    </Drawer>
  );
}

export default function StoredValuePage() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const { modal, message } = App.useApp();
  const canManage = can('loyalty.manage');
  const offers = useAsync(() => loyaltyApi.offers().then((answer) => answer.data), []);
  const plans = useAsync(() => loyaltyApi.plans().then((answer) => answer.data), []);
  const [editing, setEditing] = useState<Editing>(null);

  const confirm = (title: string, run: () => Promise<void>, reload: () => void) =>
    modal.confirm({
      title,
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await run();
          reload();
        } catch (reason) {
          message.error(describeError(toApiError(reason), t));
        }
      },
    });

  const activeTag = (active: boolean, on: string, off: string) => (
    <Tag color={active ? 'green' : 'default'}>{active ? on : off}</Tag>
  );

  return (
    <>
      <PageHeader title={t('nav.loyalty.storedValue')} subtitle={t('storedValue.subtitle')} />
      <Flex vertical gap={16}>
        <Card
          title={t('storedValue.offers')}
          extra={
            canManage ? (
              <Button icon={<PlusOutlined />} onClick={() => setEditing({ kind: 'offer' })}>
                {t('storedValue.createOffer')}
              </Button>
            ) : null
          }
        >
          {offers.error ? <ErrorAlert error={offers.error} onRetry={offers.reload} /> : null}
          {offers.loading && !offers.data ? (
            <Skeleton active />
          ) : (offers.data ?? []).length === 0 ? (
            <Empty description={t('storedValue.offersEmpty')} />
          ) : (
            <Table<TopupOffer>
              size="middle"
              rowKey="id"
              pagination={false}
              dataSource={offers.data}
              scroll={{ x: 640 }}
              columns={[
                { title: t('storedValue.name'), dataIndex: 'name' },
                {
                  title: t('storedValue.pay'),
                  dataIndex: 'pay_amount',
                  align: 'right',
                  render: (v: number) => format.money(v),
                },
                {
                  title: t('storedValue.bonus'),
                  dataIndex: 'bonus_amount',
                  align: 'right',
                  render: (v: number) => format.money(v),
                },
                {
                  title: t('storedValue.status'),
                  dataIndex: 'active',
                  render: (a: boolean) => activeTag(a, t('storedValue.on'), t('storedValue.off')),
                },
                ...(canManage
                  ? [
                      {
                        title: t('common.actions'),
                        key: 'actions',
                        width: 130,
                        render: (_: unknown, offer: TopupOffer) => (
                          <Space size={0}>
                            <Button type="link" size="small" onClick={() => setEditing({ kind: 'offer', offer })}>
                              {t('common.edit')}
                            </Button>
                            <Button
                              type="link"
                              size="small"
                              danger
                              onClick={() =>
                                confirm(
                                  t('storedValue.deleteOffer', { name: offer.name }),
                                  () => loyaltyApi.removeOffer(offer.id),
                                  offers.reload,
                                )
                              }
                            >
                              {t('common.delete')}
                            </Button>
                          </Space>
                        ),
                      },
                    ]
                  : []),
              ]}
            />
          )}
        </Card>
        <Card
          title={t('storedValue.plans')}
          extra={
            canManage ? (
              <Button icon={<PlusOutlined />} onClick={() => setEditing({ kind: 'plan' })}>
                {t('storedValue.createPlan')}
              </Button>
            ) : null
          }
        >
          {plans.error ? <ErrorAlert error={plans.error} onRetry={plans.reload} /> : null}
          {plans.loading && !plans.data ? (
            <Skeleton active />
          ) : (plans.data ?? []).length === 0 ? (
            <Empty description={t('storedValue.plansEmpty')} />
          ) : (
            <Table<PaidPlan>
              size="middle"
              rowKey="id"
              pagination={false}
              dataSource={plans.data}
              scroll={{ x: 720 }}
              columns={[
                { title: t('storedValue.name'), dataIndex: 'name' },
                {
                  title: t('storedValue.price'),
                  dataIndex: 'price',
                  align: 'right',
                  render: (v: number) => format.money(v),
                },
                {
                  title: t('storedValue.duration'),
                  dataIndex: 'duration_days',
                  align: 'right',
                  render: (d: number) => t('storedValue.days', { days: d }),
                },
                {
                  title: t('tiers.benefits'),
                  dataIndex: 'benefits',
                  render: (benefits: string[]) => (
                    <Flex gap={4} wrap>
                      {benefits.map((b) => (
                        <Tag key={b}>{b}</Tag>
                      ))}
                    </Flex>
                  ),
                },
                {
                  title: t('storedValue.status'),
                  dataIndex: 'active',
                  render: (a: boolean) => activeTag(a, t('storedValue.onSale'), t('storedValue.withdrawn')),
                },
                ...(canManage
                  ? [
                      {
                        title: t('common.actions'),
                        key: 'actions',
                        width: 130,
                        render: (_: unknown, plan: PaidPlan) => (
                          <Space size={0}>
                            <Button type="link" size="small" onClick={() => setEditing({ kind: 'plan', plan })}>
                              {t('common.edit')}
                            </Button>
                            {plan.active ? (
                              <Button
                                type="link"
                                size="small"
                                danger
                                onClick={() =>
                                  confirm(
                                    t('storedValue.withdrawPlan', { name: plan.name }),
                                    () => loyaltyApi.withdrawPlan(plan.id),
                                    plans.reload,
                                  )
                                }
                              >
                                {t('storedValue.withdraw')}
                              </Button>
                            ) : null}
                          </Space>
                        ),
                      },
                    ]
                  : []),
              ]}
            />
          )}
        </Card>
      </Flex>
      <EditDrawer
        target={editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          const kind = editing?.kind;
          setEditing(null);
          if (kind === 'offer') offers.reload();
          else plans.reload();
        }}
      />
    </>
  );
}
