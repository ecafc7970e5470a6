import uPlot from 'uplot';
import type { SeriesJson } from '../../src/api/dashboard-types.js';
import { h, replace } from './dom.js';
import { formatDuration, formatterFor } from './format.js';

/** One line of a chart: a series id of the API and how to draw it. */
export interface LineSpec {
  metric: string;
  label: string;
  color: string;
  dash?: number[];
  fill?: boolean;
  /** Hide when every value is 0 or missing (requests/limits Kubernetes reports as 0 when unset). */
  hideIfZero?: boolean;
}

/** A chart: title, unit of its values, lines. */
export interface ChartSpec {
  id: string;
  title: string;
  unit: 'cpu' | 'bytes' | 'rate';
  lines: LineSpec[];
}

/** What a chart draws, exposed on `window.__heapsterCharts[id]` for tests and debugging. */
export interface ChartHandle {
  readonly spec: ChartSpec;
  /** Series ids drawn, in uPlot order after the time axis. */
  metrics: string[];
  plot: uPlot | undefined;
}

declare global {
  interface Window {
    __heapsterCharts?: Record<string, ChartHandle>;
  }
}

function visible(spec: ChartSpec, s: SeriesJson): LineSpec[] {
  return spec.lines.filter((l) => {
    const v = s.series[l.metric];
    if (v === undefined || v.length === 0) return false;
    return !l.hideIfZero || v.some((x) => x !== null && x !== 0);
  });
}

function last(values: readonly (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
  return null;
}

/**
 * A chart card (figure with a heading, the uPlot canvas and a text summary for screen readers).
 * `update` redraws with new series; a chart whose series are all missing says so.
 */
export class Chart {
  readonly el: HTMLElement;
  private readonly plotEl: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly handle: ChartHandle;
  private readonly resize: ResizeObserver;

  constructor(private readonly spec: ChartSpec) {
    this.plotEl = h('div', { class: 'plot', 'aria-hidden': 'true' });
    this.caption = h('figcaption', { class: 'caption' });
    this.el = h(
      'figure',
      { class: 'chart', id: `chart-${spec.id}`, 'data-chart': spec.id },
      h('h3', {}, spec.title),
      this.plotEl,
      this.caption,
    );
    this.handle = { spec, metrics: [], plot: undefined };
    window.__heapsterCharts ??= {};
    window.__heapsterCharts[spec.id] = this.handle;
    this.resize = new ResizeObserver(() => {
      const u = this.handle.plot;
      if (u !== undefined && this.plotEl.clientWidth > 0 && u.width !== this.plotEl.clientWidth)
        u.setSize({ width: this.plotEl.clientWidth, height: u.height });
    });
    this.resize.observe(this.plotEl);
  }

  /** Draws `s` (times in ms; uPlot gets seconds). */
  update(s: SeriesJson, requestedMs: number): void {
    const lines = visible(this.spec, s);
    const fmt = formatterFor(this.spec.unit);
    const ids = lines.map((l) => l.metric);
    if (lines.length === 0 || s.timestampsMs.length === 0) {
      this.destroy();
      this.el.classList.add('empty');
      replace(
        this.caption,
        `No ${this.spec.title.toLowerCase()} data for this entity in this range.`,
      );
      return;
    }
    this.el.classList.remove('empty');
    const data: uPlot.AlignedData = [
      s.timestampsMs.map((t) => t / 1000),
      ...lines.map((l) => s.series[l.metric]),
    ];
    const same =
      this.handle.plot !== undefined && ids.join('\n') === this.handle.metrics.join('\n');
    if (same) {
      this.handle.plot!.setData(data);
      setTimeout(() => this.showLast(), 0);
    } else {
      this.destroy();
      const opts: uPlot.Options = {
        width: Math.max(200, this.plotEl.clientWidth || 480),
        height: 180,
        series: [
          { value: (_u, v) => (v === null ? '—' : new Date(v * 1000).toLocaleTimeString()) },
          ...lines.map((l) => ({
            label: l.label,
            stroke: l.color,
            width: l.fill ? 2 : 1.5,
            dash: l.dash,
            fill: l.fill ? `${l.color}22` : undefined,
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => fmt(v),
          })),
        ],
        axes: [
          { stroke: '#4b5563', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#e5e7eb' } },
          {
            stroke: '#4b5563',
            grid: { stroke: '#e5e7eb' },
            ticks: { stroke: '#e5e7eb' },
            // Wide enough for the longest label ("15000 cores"), at least 56 px.
            size: (u, values, axisIdx, cycleNum) => {
              const prev = (u.axes[axisIdx] as { _size?: number })._size;
              if (cycleNum > 1 && prev !== undefined) return prev;
              const longest = Math.max(0, ...(values ?? []).map((v) => v.length));
              return Math.max(56, Math.ceil(longest * 7.5) + 18);
            },
            values: (_u, splits) => splits.map((v) => fmt(v)),
            incrs: this.spec.unit === 'cpu' ? undefined : BINARY_INCRS,
          },
        ],
        scales: {
          // One point (the first tick): a minute around it, not uPlot's multi-year default.
          x: {
            range: (u, min, max) => {
              const xs = u.data[0];
              return xs.length === 1 ? [xs[0] - 30, xs[0] + 30] : [min, max];
            },
          },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
        legend: { live: true },
        // Outside the plot the legend shows the latest values instead of dashes.
        hooks: {
          ready: [(u) => this.showLast(u)],
          setCursor: [(u) => void (u.cursor.idx == null && setTimeout(() => this.showLast(u), 0))],
        },
        cursor: { drag: { x: false, y: false } },
      };
      const u = new uPlot(opts, data, this.plotEl);
      this.handle.plot = u;
      this.handle.metrics = ids;
    }
    const spanMs =
      s.timestampsMs.length > 1 ? s.timestampsMs[s.timestampsMs.length - 1] - s.timestampsMs[0] : 0;
    const parts = lines.map((l) => `${l.label} ${fmt(last(s.series[l.metric]))}`);
    let text = `Now: ${parts.join(', ')}.`;
    if (spanMs < requestedMs * 0.8)
      text += ` History available: ${s.timestampsMs.length} point${s.timestampsMs.length === 1 ? '' : 's'} over ${formatDuration(spanMs)}.`;
    if (s.bucketMs !== undefined)
      text += ` Each point is the average over ${formatDuration(s.bucketMs)}.`;
    else if (s.bucketPoints > 1) text += ` Each point averages ${s.bucketPoints} samples.`;
    replace(this.caption, text);
  }

  private showLast(u: uPlot | undefined = this.handle.plot): void {
    const n = u?.data[0].length ?? 0;
    if (u !== undefined && n > 0) u.setLegend({ idx: n - 1 });
  }

  /** Removes the plot (the card stays). */
  destroy(): void {
    this.handle.plot?.destroy();
    this.handle.plot = undefined;
    this.handle.metrics = [];
  }

  /** Destroys the plot and stops observing size; call when the view goes away. */
  dispose(): void {
    this.destroy();
    this.resize.disconnect();
    if (window.__heapsterCharts?.[this.spec.id] === this.handle)
      delete window.__heapsterCharts[this.spec.id];
  }
}

/** Axis steps for bytes: 1, 2, 4 … 512 times each power of 1024 (256 MiB, not 238.4 MiB). */
const BINARY_INCRS: number[] = [];
for (let p = 0; p <= 5; p++) for (let m = 1; m < 1024; m *= 2) BINARY_INCRS.push(m * 1024 ** p);

const BLUE = '#2563eb';
const GREEN = '#059669';
const ORANGE = '#d97706';
const RED = '#dc2626';
const GREY = '#6b7280';
const PURPLE = '#7c3aed';

/** The four charts of every entity page. */
export const CHARTS: readonly ChartSpec[] = [
  {
    id: 'cpu',
    title: 'CPU',
    unit: 'cpu',
    lines: [
      { metric: 'cpu/usage_rate', label: 'usage', color: BLUE, fill: true },
      { metric: 'cpu/request', label: 'requests', color: GREEN, dash: [6, 4], hideIfZero: true },
      { metric: 'cpu/limit', label: 'limits', color: ORANGE, dash: [6, 4], hideIfZero: true },
      {
        metric: 'cpu/node_allocatable',
        label: 'allocatable',
        color: PURPLE,
        dash: [2, 3],
        hideIfZero: true,
      },
      {
        metric: 'cpu/node_capacity',
        label: 'capacity',
        color: GREY,
        dash: [2, 3],
        hideIfZero: true,
      },
    ],
  },
  {
    id: 'memory',
    title: 'Memory',
    unit: 'bytes',
    lines: [
      { metric: 'memory/usage', label: 'usage', color: BLUE, fill: true },
      { metric: 'memory/working_set', label: 'working set', color: RED },
      { metric: 'memory/request', label: 'requests', color: GREEN, dash: [6, 4], hideIfZero: true },
      { metric: 'memory/limit', label: 'limits', color: ORANGE, dash: [6, 4], hideIfZero: true },
      {
        metric: 'memory/node_allocatable',
        label: 'allocatable',
        color: PURPLE,
        dash: [2, 3],
        hideIfZero: true,
      },
      {
        metric: 'memory/node_capacity',
        label: 'capacity',
        color: GREY,
        dash: [2, 3],
        hideIfZero: true,
      },
    ],
  },
  {
    id: 'network',
    title: 'Network',
    unit: 'rate',
    lines: [
      { metric: 'network/rx_rate', label: 'received', color: BLUE, fill: true },
      { metric: 'network/tx_rate', label: 'sent', color: ORANGE },
    ],
  },
  {
    id: 'filesystem',
    title: 'Filesystem',
    unit: 'bytes',
    lines: [
      { metric: 'filesystem/usage', label: 'used', color: BLUE, fill: true },
      { metric: 'filesystem/limit', label: 'size', color: GREY, dash: [2, 3], hideIfZero: true },
    ],
  },
];
