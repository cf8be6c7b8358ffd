import { useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Flex,
  Image,
  Radio,
  Result,
  Row,
  Skeleton,
  Space,
  Statistic,
  Tag,
  Typography,
} from 'antd';
import { ArrowLeftOutlined, EditOutlined, ReloadOutlined } from '@ant-design/icons';
import { Link, useParams } from 'react-router-dom';
import { liveCodeQrUrl, wecomApi } from '../../../api/wecom';
import type { DayCounts, LiveCode, LiveCodeStatsReport } from '../../../api/wecomTypes';
import { EChart, type ChartOption } from '../../../components/charts/EChart';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { PageHeader } from '../../../components/PageHeader';
import { todayIn, useFormat } from '../../../format';
import { useAsync } from '../../../hooks/useAsync';
import { useTags } from '../../../hooks/useTags';
import { useT, type MessageKey, type Translate } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import { StaffStatusTag, SyncTag } from '../shared';
import { LiveCodeDrawer } from './LiveCodeDrawer';
import { statsRange } from './stats';

const SERIES: readonly { key: keyof Omit<DayCounts, 'day'>; labelKey: MessageKey; color: string }[] = [
  { key: 'scans', labelKey: 'liveCodes.scans', color: '#1677ff' },
  { key: 'adds', labelKey: 'liveCodes.adds', color: '#52c41a' },
  { key: 'losses', labelKey: 'liveCodes.losses', color: '#ff4d4f' },
  { key: 'net_adds', labelKey: 'liveCodes.netAdds', color: '#722ed1' },
];

function dailyOption(days: DayCounts[], t: Translate): ChartOption {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: 'category', data: days.map((d) => d.day.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: SERIES.map((s) => ({
      name: t(s.labelKey),
      type: s.key === 'net_adds' ? 'line' : 'bar',
      data: days.map((d) => d[s.key]),
      itemStyle: { color: s.color },
      smooth: true,
    })),
  };
}

function channelOption(report: LiveCodeStatsReport, t: Translate): ChartOption {
  const channels = report.channels;
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: 'category', data: channels.map((c) => t(`channel.${c.channel}` as MessageKey)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: SERIES.map((s) => ({
      name: t(s.labelKey),
      type: 'bar',
      data: channels.map((c) => c.total[s.key]),
      itemStyle: { color: s.color },
    })),
  };
}

function QrPlaceholder({ children }: { children: ReactNode }) {
  return (
    <Flex
      align="center"
      justify="center"
      style={{ width: 132, height: 132, border: '1px dashed #d9d9d9', padding: 8, textAlign: 'center' }}
    >
      {children}
    </Flex>
  );
}

/** A staff member's contact-me QR image as WeCom serves it; a link to it when it is not an image. */
function StaffQr({ url, name }: { url: string; name: string }) {
  const t = useT();
  const [broken, setBroken] = useState(false);
  if (broken) {
    return (
      <QrPlaceholder>
        <Typography.Link
          href={url}
          target="_blank"
          rel="noreferrer"
          style={{ fontSize: 12 }}
          data-testid="live-code-qr"
        >
          {t('liveCodes.openQr')}
        </Typography.Link>
      </QrPlaceholder>
    );
  }
  return (
    <Image
      src={url}
      width={132}
      height={132}
      alt={name}
      onError={() => setBroken(true)}
      preview={{ mask: false }}
      data-testid="live-code-qr"
      style={{ border: '1px solid #f0f0f0', objectFit: 'contain' }}
    />
  );
}

/** Refetches a code while WeCom is still creating its QR codes. */
function useLiveCode(id: number) {
  const state = useAsync(() => wecomApi.liveCode(id), [id]);
  const pending = state.data?.sync_status === 'pending';
  useEffect(() => {
    if (!pending) return undefined;
    const timer = window.setTimeout(state.reload, 1500);
    return () => window.clearTimeout(timer);
  }, [pending, state.data, state.reload]);
  return state;
}

/** One live code: the staff QR codes from WeCom, the landing link, daily and per-channel statistics. */
export default function LiveCodeDetailPage() {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const id = Number(useParams().id);
  const { data: code, error, loading, reload } = useLiveCode(id);
  const [days, setDays] = useState(30);
  const [editing, setEditing] = useState<{ code?: LiveCode } | null>(null);
  const range = useMemo(() => statsRange(todayIn(format.timeZone), days), [format.timeZone, days]);
  const own = useAsync(() => wecomApi.liveCodeStats({ ...range, live_code_id: id }), [id, range, code?.updated_at]);
  const all = useAsync(() => wecomApi.liveCodeStats(range), [range]);
  const { tagById } = useTags();

  if (!Number.isInteger(id) || id <= 0) return <Result status="404" title="404" subTitle={t('status.notFound')} />;
  if (loading && !code) return <Skeleton active paragraph={{ rows: 10 }} />;
  if (error && !code) return <ErrorAlert error={error} onRetry={reload} />;
  if (!code) return null;

  const codeStats = own.data?.live_codes.find((c) => c.live_code_id === id);
  const total = codeStats?.total ?? own.data?.total;
  const landing = code.landing_url;

  return (
    <>
      <PageHeader
        title={
          <Space>
            <Link to="/wecom/live-codes" aria-label={t('wecom.back')}>
              <ArrowLeftOutlined />
            </Link>
            <span data-testid="live-code-title">{code.name}</span>
            <Tag>{t(`channel.${code.channel}` as MessageKey)}</Tag>
            <SyncTag status={code.sync_status} />
          </Space>
        }
        extra={
          <>
            <Button icon={<ReloadOutlined />} onClick={reload}>
              {t('wecom.refresh')}
            </Button>
            {can('wecom.manage') ? (
              <Button icon={<EditOutlined />} onClick={() => setEditing({ code })}>
                {t('common.edit')}
              </Button>
            ) : null}
          </>
        }
      />
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={10}>
          <Card title={t('liveCodes.detail')} style={{ height: '100%' }}>
            <Descriptions column={1} size="small">
              <Descriptions.Item label={t('liveCodes.mode')}>
                {t(`assign.${code.assign_mode}` as MessageKey)}
                {code.daily_cap ? ` · ${t('liveCodes.dailyCap')} ${code.daily_cap}` : ''}
              </Descriptions.Item>
              <Descriptions.Item label={t('liveCodes.tags')}>
                {code.tag_ids.length
                  ? code.tag_ids.map((tagId) => <Tag key={tagId}>{tagById.get(tagId)?.name ?? `#${tagId}`}</Tag>)
                  : '—'}
              </Descriptions.Item>
              <Descriptions.Item label={t('liveCodes.welcomeText')}>
                <Typography.Paragraph style={{ marginBottom: 0, whiteSpace: 'pre-wrap' }}>
                  {code.welcome.text || '—'}
                </Typography.Paragraph>
              </Descriptions.Item>
              <Descriptions.Item label={t('liveCodes.skipVerify')}>{code.skip_verify ? '✓' : '✗'}</Descriptions.Item>
              <Descriptions.Item label={t('liveCodes.validity')}>
                {code.valid_from || code.valid_to
                  ? `${format.date(code.valid_from)} ~ ${format.date(code.valid_to)}`
                  : t('liveCodes.validityHint')}
              </Descriptions.Item>
              <Descriptions.Item label={t('liveCodes.landing')}>
                <Typography.Text copyable={{ text: landing }} data-testid="live-code-landing">
                  {landing}
                </Typography.Text>
              </Descriptions.Item>
            </Descriptions>
            <Flex gap={12} align="center" style={{ marginTop: 8 }}>
              <img
                src={liveCodeQrUrl(code.id, 'png')}
                width={112}
                height={112}
                alt={t('liveCodes.posterQr')}
                data-testid="live-code-landing-qr"
              />
              <Flex vertical gap={4}>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('liveCodes.landingHint')}
                </Typography.Text>
                <Space>
                  <a href={liveCodeQrUrl(code.id, 'png')} download>
                    PNG
                  </a>
                  <a href={liveCodeQrUrl(code.id, 'svg')} download>
                    SVG
                  </a>
                </Space>
              </Flex>
            </Flex>
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card title={t('liveCodes.qrCodes')} style={{ height: '100%' }}>
            <Flex wrap gap={16} data-testid="live-code-qr-list">
              {code.staff.map((member) => (
                <Flex key={member.staff_id} vertical align="center" gap={4} style={{ width: 148 }}>
                  {member.qr_code ? (
                    <StaffQr url={member.qr_code} name={member.name} />
                  ) : (
                    <QrPlaceholder>
                      <Typography.Text
                        type={member.sync_status === 'failed' ? 'danger' : 'secondary'}
                        style={{ fontSize: 12 }}
                      >
                        {member.sync_status === 'failed' ? member.sync_error : t('liveCodes.qrPending')}
                      </Typography.Text>
                    </QrPlaceholder>
                  )}
                  <Typography.Text strong>{member.name}</Typography.Text>
                  <Space size={4}>
                    {member.staff_status !== 'active' ? <StaffStatusTag status={member.staff_status} /> : null}
                    <SyncTag status={member.sync_status} error={member.sync_error} />
                  </Space>
                </Flex>
              ))}
            </Flex>
          </Card>
        </Col>
        <Col xs={24}>
          <Card
            title={t('liveCodes.stats')}
            extra={
              <Radio.Group
                size="small"
                optionType="button"
                value={days}
                onChange={(event) => setDays(event.target.value as number)}
                options={[7, 30, 90].map((value) => ({ value, label: t('liveCodes.lastDays', { days: value }) }))}
              />
            }
          >
            {own.error ? <ErrorAlert error={own.error} onRetry={own.reload} /> : null}
            <Row gutter={16} style={{ marginBottom: 16 }} data-testid="live-code-totals">
              {SERIES.map((s) => (
                <Col xs={12} sm={6} key={s.key}>
                  <Statistic
                    title={t(s.labelKey)}
                    value={total ? total[s.key] : 0}
                    loading={own.loading && !own.data}
                    valueStyle={{ color: s.color }}
                    data-testid={`live-code-total-${s.key}`}
                  />
                </Col>
              ))}
            </Row>
            {codeStats ? (
              <EChart option={dailyOption(codeStats.days, t)} height={280} testId="live-code-chart" />
            ) : null}
            {!codeStats && !own.loading ? <Empty /> : null}
          </Card>
        </Col>
        <Col xs={24}>
          <Card title={t('liveCodes.channelCompare')}>
            {all.error ? <ErrorAlert error={all.error} onRetry={all.reload} /> : null}
            {all.data ? (
              <EChart option={channelOption(all.data, t)} height={260} testId="channel-chart" />
            ) : (
              <Skeleton active />
            )}
          </Card>
        </Col>
      </Row>
      <LiveCodeDrawer
        target={editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          reload();
        }}
      />
    </>
  );
}
