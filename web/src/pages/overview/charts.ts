import type { ChartOption } from '../../components/charts/EChart';
import type { EventCount, LifecycleStage, LoyaltyStats, OverviewStats } from '../../api/types';
import { eventNameLabel } from '../../domain/events';
import type { Formatters } from '../../format';
import type { MessageKey, Translate } from '../../i18n';

const BLUE = '#1677ff';
const GENDER_COLORS = { female: '#f759ab', male: '#1677ff', unknown: '#bfbfbf' };
const TEAL = '#36cfc9';
const MAX_STORES = 12;
export const TOP_EVENTS = 10;

export function newByDayOption(stats: OverviewStats, t: Translate, formatNumber: (n: number) => string): ChartOption {
  return {
    grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', valueFormatter: (value: number) => formatNumber(value) },
    xAxis: {
      type: 'category',
      boundaryGap: false,
      data: stats.new_by_day.map((day) => day.date.slice(5)),
      axisTick: { show: false },
    },
    yAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { type: 'dashed' } } },
    series: [
      {
        name: t('overview.newCustomers'),
        type: 'line',
        smooth: true,
        smoothMonotone: 'x',
        showSymbol: stats.new_by_day.length <= 31,
        data: stats.new_by_day.map((day) => day.count),
        itemStyle: { color: BLUE },
        areaStyle: {
          color: {
            type: 'linear',
            x: 0,
            y: 0,
            x2: 0,
            y2: 1,
            colorStops: [
              { offset: 0, color: 'rgba(22,119,255,0.25)' },
              { offset: 1, color: 'rgba(22,119,255,0.02)' },
            ],
          },
        },
      },
    ],
  };
}

export function byStoreOption(stats: OverviewStats, t: Translate, formatNumber: (n: number) => string): ChartOption {
  const rows = [...stats.by_store]
    .sort((a, b) => b.count - a.count)
    .slice(0, MAX_STORES)
    .reverse();
  return {
    grid: { left: 8, right: 32, top: 8, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (value: number) => formatNumber(value),
    },
    xAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { type: 'dashed' } } },
    yAxis: {
      type: 'category',
      data: rows.map((row) => (row.store_id !== null && row.name ? row.name : t('overview.noStore'))),
      axisTick: { show: false },
      axisLabel: { width: 110, overflow: 'truncate' },
    },
    series: [
      {
        name: t('overview.customers'),
        type: 'bar',
        data: rows.map((row) => row.count),
        barMaxWidth: 18,
        itemStyle: { color: BLUE, borderRadius: [0, 4, 4, 0] },
        label: { show: true, position: 'right', formatter: ({ value }: { value: number }) => formatNumber(value) },
      },
    ],
  };
}

export function genderOption(stats: OverviewStats, t: Translate, formatNumber: (n: number) => string): ChartOption {
  const genders = ['female', 'male', 'unknown'] as const;
  return {
    tooltip: {
      trigger: 'item',
      formatter: ({ name, value, percent }: { name: string; value: number; percent: number }) =>
        `${name}: ${formatNumber(value)} (${percent}%)`,
    },
    legend: { bottom: 0, icon: 'circle' },
    series: [
      {
        type: 'pie',
        radius: ['40%', '62%'],
        center: ['50%', '45%'],
        avoidLabelOverlap: true,
        percentPrecision: 1,
        itemStyle: { borderColor: '#fff', borderWidth: 2 },
        label: { formatter: '{d}%' },
        labelLine: { length: 8, length2: 8 },
        data: genders.map((gender) => ({
          name: t(`gender.${gender}`),
          value: stats.by_gender[gender] ?? 0,
          itemStyle: { color: GENDER_COLORS[gender] },
        })),
      },
    ],
  };
}

/** The most frequent event names: events and distinct customers side by side. */
export function eventsOption(rows: EventCount[], t: Translate, formatNumber: (n: number) => string): ChartOption {
  const top = [...rows]
    .sort((a, b) => b.events - a.events)
    .slice(0, TOP_EVENTS)
    .reverse();
  const label = { show: true, position: 'right', formatter: ({ value }: { value: number }) => formatNumber(value) };
  return {
    grid: { left: 8, right: 48, top: 32, bottom: 8, containLabel: true },
    legend: { top: 0, left: 0, icon: 'roundRect' },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (value: number) => formatNumber(value),
    },
    xAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { type: 'dashed' } } },
    yAxis: {
      type: 'category',
      data: top.map((row) => eventNameLabel(row.event, t)),
      axisTick: { show: false },
      axisLabel: { width: 120, overflow: 'truncate' },
    },
    series: [
      {
        name: t('overview.eventCount'),
        type: 'bar',
        data: top.map((row) => row.events),
        barMaxWidth: 14,
        itemStyle: { color: BLUE, borderRadius: [0, 4, 4, 0] },
        label,
      },
      {
        name: t('overview.eventCustomers'),
        type: 'bar',
        data: top.map((row) => row.customers),
        barMaxWidth: 14,
        itemStyle: { color: TEAL, borderRadius: [0, 4, 4, 0] },
        label,
      },
    ],
  };
}

const ORANGE = '#fa8c16';
const CHANNEL_COLORS = ['#1677ff', '#36cfc9', '#73d13d', '#fadb14', '#ff7a45', '#9254de', '#f759ab', '#bfbfbf'];
const KNOWN_CHANNELS = ['store', 'wechat', 'wecom', 'miniapp', 'web', 'app', 'import', 'api'];
const STAGE_COLORS: Record<LifecycleStage, string> = {
  prospect: '#bfbfbf',
  registered: '#1677ff',
  first_purchase: '#36cfc9',
  repurchase: '#73d13d',
  loyal: '#faad14',
  dormant: '#ff7a45',
};

/** Orders (bars, left axis) and revenue net of refunds (line, right axis) per day. */
export function ordersOption(stats: LoyaltyStats, t: Translate, format: Formatters): ChartOption {
  return {
    grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
    legend: { top: 0, left: 0, icon: 'roundRect' },
    tooltip: {
      trigger: 'axis',
      formatter: (
        items: { seriesIndex: number; axisValue: string; value: number; marker: string; seriesName: string }[],
      ) =>
        [items[0]?.axisValue ?? '']
          .concat(
            items.map(
              (item) =>
                `${item.marker}${item.seriesName}: ${item.seriesIndex === 1 ? format.money(item.value) : format.number(item.value)}`,
            ),
          )
          .join('<br/>'),
    },
    xAxis: {
      type: 'category',
      data: stats.by_day.map((day) => day.date.slice(5)),
      axisTick: { show: false },
    },
    yAxis: [
      { type: 'value', minInterval: 1, splitLine: { lineStyle: { type: 'dashed' } } },
      {
        type: 'value',
        splitLine: { show: false },
        axisLabel: { formatter: (value: number) => format.money(value).replace(/\.00$/, '') },
      },
    ],
    series: [
      {
        name: t('overview.orderCount'),
        type: 'bar',
        barMaxWidth: 14,
        data: stats.by_day.map((day) => day.orders),
        itemStyle: { color: BLUE, borderRadius: [3, 3, 0, 0] },
      },
      {
        name: t('overview.revenue'),
        type: 'line',
        yAxisIndex: 1,
        smooth: true,
        smoothMonotone: 'x',
        showSymbol: stats.by_day.length <= 31,
        data: stats.by_day.map((day) => day.revenue),
        itemStyle: { color: ORANGE },
      },
    ],
  };
}

export function channelLabel(channel: string, t: Translate): string {
  if (!channel) return t('overview.channel.unknown');
  return KNOWN_CHANNELS.includes(channel) ? t(`overview.channel.${channel}` as MessageKey) : channel;
}

/** New members per registration channel, as a doughnut. */
export function channelOption(stats: LoyaltyStats, t: Translate, formatNumber: (n: number) => string): ChartOption {
  return {
    tooltip: {
      trigger: 'item',
      formatter: ({ name, value, percent }: { name: string; value: number; percent: number }) =>
        `${name}: ${formatNumber(value)} (${percent}%)`,
    },
    legend: { bottom: 0, icon: 'circle' },
    series: [
      {
        type: 'pie',
        radius: ['40%', '62%'],
        center: ['50%', '45%'],
        percentPrecision: 1,
        itemStyle: { borderColor: '#fff', borderWidth: 2 },
        label: { formatter: '{b} {d}%' },
        data: stats.new_members_by_channel.map((row, index) => ({
          name: channelLabel(row.channel, t),
          value: row.count,
          itemStyle: { color: CHANNEL_COLORS[index % CHANNEL_COLORS.length] },
        })),
      },
    ],
  };
}

/** Customers per lifecycle stage, in the order a customer moves through them. */
export function lifecycleOption(
  counts: { stage: LifecycleStage; count: number }[],
  t: Translate,
  formatNumber: (n: number) => string,
): ChartOption {
  return {
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (value: number) => formatNumber(value),
    },
    xAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { type: 'dashed' } } },
    yAxis: {
      type: 'category',
      inverse: true,
      data: counts.map((c) => t(`lifecycle.${c.stage}`)),
      axisTick: { show: false },
    },
    series: [
      {
        type: 'bar',
        barMaxWidth: 24,
        data: counts.map((c) => ({
          value: c.count,
          itemStyle: { color: STAGE_COLORS[c.stage], borderRadius: [0, 4, 4, 0] },
        })),
        label: { show: true, position: 'right', formatter: ({ value }: { value: number }) => formatNumber(value) },
      },
    ],
  };
}
