// Pure conversion of a batch into Cloud Monitoring custom metrics as the original `gcm` sink
// wrote them (§4.2): metric type custom.googleapis.com/kubernetes.io/<metric>, labels from
// core.GcmLabels (node autoscaling metrics: hostname, resource_id, resource_type=instance).
import type { Batch } from '../../core/batch.js';
import {
  LABEL_CONTAINER_BASE_IMAGE,
  LABEL_CONTAINER_NAME,
  LABEL_CUSTOM_METRIC_NAME,
  LABEL_HOST_ID,
  LABEL_HOSTNAME,
  LABEL_NAMESPACE_NAME,
  LABEL_POD_NAME,
  LABEL_RESOURCE_ID,
  LABEL_RESOURCE_TYPE,
  LABEL_TYPE,
  ALL_LABELS,
} from '../../core/labels.js';
import { metricDescriptor } from '../../core/metrics.js';
import type { MetricDescriptor, TimeSeries } from './monitoring-api.js';
import { protoTimestamp } from './google-options.js';
import type { SeriesItem } from './series-chunks.js';

/** `metrics=` of the gcm sink: everything, or only the node autoscaling metrics. */
export type GcmMetricFilter = 'all' | 'autoscaling';

/** core.GcmLabels() of the original: the labels a gcm series may carry (9, under GCM's limit of 10). */
export const GCM_LABELS: readonly string[] = [
  LABEL_TYPE,
  LABEL_POD_NAME,
  LABEL_NAMESPACE_NAME,
  LABEL_HOSTNAME,
  LABEL_HOST_ID,
  LABEL_CONTAINER_NAME,
  LABEL_CONTAINER_BASE_IMAGE,
  LABEL_CUSTOM_METRIC_NAME,
  LABEL_RESOURCE_ID,
];

/** core.GcmNodeAutoscalingLabels(): the labels of the node autoscaling metrics. */
export const GCM_AUTOSCALING_LABELS: readonly string[] = [
  LABEL_RESOURCE_ID,
  LABEL_RESOURCE_TYPE,
  LABEL_HOSTNAME,
];

const GCM_LABEL_SET = new Set(GCM_LABELS);

/** Prefix of every gcm metric type. */
export const GCM_TYPE_PREFIX = 'custom.googleapis.com/kubernetes.io/';

/** Metric type of a Heapster metric, e.g. `custom.googleapis.com/kubernetes.io/cpu/usage_rate`. */
export function gcmMetricType(metric: string): string {
  return GCM_TYPE_PREFIX + metric;
}

/** How a metric is declared in Cloud Monitoring. */
export interface GcmMetricInfo {
  readonly name: string;
  readonly kind: 'CUMULATIVE' | 'GAUGE';
  readonly valueType: 'INT64' | 'DOUBLE';
  /** A node autoscaling metric (special labels; the only ones with metrics=autoscaling). */
  readonly autoscaling: boolean;
  readonly description: string;
}

/**
 * The declaration of `metric` from the catalogue. Metrics the catalogue lacks (`custom/<x>`,
 * `<resource>/request`) are gauges whose value type follows `value` (INT64 for an integer):
 * the sink remembers the first answer so a series never changes type.
 */
export function gcmMetricInfo(metric: string, value: number): GcmMetricInfo {
  const d = metricDescriptor(metric);
  if (d === undefined) {
    return {
      name: metric,
      kind: 'GAUGE',
      valueType: Number.isInteger(value) ? 'INT64' : 'DOUBLE',
      autoscaling: false,
      description: `Heapster metric ${metric}`,
    };
  }
  return {
    name: metric,
    kind: d.kind === 'cumulative' ? 'CUMULATIVE' : 'GAUGE',
    valueType: d.valueType === 'int64' ? 'INT64' : 'DOUBLE',
    autoscaling: d.group === 'autoscaling',
    description: d.description,
  };
}

const LABEL_DESCRIPTIONS = new Map(ALL_LABELS.map((l) => [l.key, l.description]));

/** The MetricDescriptor the sink creates once per metric (`name` is filled in by the API wrapper). */
export function gcmDescriptor(info: GcmMetricInfo): MetricDescriptor {
  const keys = info.autoscaling ? GCM_AUTOSCALING_LABELS : GCM_LABELS;
  return {
    type: gcmMetricType(info.name),
    metricKind: info.kind,
    valueType: info.valueType,
    description: info.description,
    labels: keys.map((key) => ({
      key,
      valueType: 'STRING',
      description: LABEL_DESCRIPTIONS.get(key) ?? key,
    })),
  };
}

/** Options of gcmSeries. */
export interface GcmSeriesOptions {
  readonly filter: GcmMetricFilter;
  /** Project id for the `global` resource ('' when resolved later; the sink fills it in). */
  readonly project: string;
  /** Declaration of a metric (the sink caches gcmMetricInfo per name). */
  readonly infoOf: (metric: string, value: number) => GcmMetricInfo;
  /** Called for a value that cannot be written (non-finite, or cumulative without a start time). */
  readonly onSkip?: (metric: string, why: string) => void;
}

/**
 * Every series of `batch` for the gcm sink, one point each, on the `global` resource (the
 * original set no resource, which Cloud Monitoring treats as `global`). End time = batch
 * timestamp. Gauges carry only the end time; cumulative metrics start at the entity's
 * collection start (container start; falls back to its create time) and are left out when
 * that is unknown or not before the end (Cloud Monitoring requires start < end). INT64 values
 * are rounded, DOUBLE values sent as they are.
 */
export function* gcmSeries(batch: Batch, opts: GcmSeriesOptions): Generator<SeriesItem> {
  const resource = { type: 'global', labels: { project_id: opts.project } };
  const endTime = protoTimestamp(batch.timestampMs);
  const skip = opts.onSkip ?? (() => undefined);
  for (const set of batch.sets.values()) {
    const startMs = set.collectionStartMs > 0 ? set.collectionStartMs : set.createMs;
    const make = (
      info: GcmMetricInfo,
      value: number,
      labels: Record<string, string>,
    ): TimeSeries | undefined => {
      const metric = info.name;
      if (!Number.isFinite(value)) {
        skip(metric, `value ${value} is not finite`);
        return undefined;
      }
      let interval: { startTime?: typeof endTime; endTime: typeof endTime } = { endTime };
      if (info.kind === 'CUMULATIVE') {
        if (!(startMs > 0 && startMs < batch.timestampMs)) {
          skip(metric, 'cumulative metric without a start time before the batch time');
          return undefined;
        }
        interval = { startTime: protoTimestamp(startMs), endTime };
      }
      return {
        metric: { type: gcmMetricType(metric), labels },
        resource,
        metricKind: info.kind,
        valueType: info.valueType,
        points: [
          {
            interval,
            value:
              info.valueType === 'INT64'
                ? { int64Value: Math.round(value) }
                : { doubleValue: value },
          },
        ],
      };
    };
    for (const [metric, value] of set.values) {
      const info = opts.infoOf(metric, value);
      if (opts.filter === 'autoscaling' && !info.autoscaling) continue;
      let labels: Record<string, string>;
      if (info.autoscaling) {
        labels = {
          [LABEL_HOSTNAME]: set.labels[LABEL_HOSTNAME] ?? '',
          [LABEL_RESOURCE_ID]: set.labels[LABEL_HOST_ID] ?? '',
          [LABEL_RESOURCE_TYPE]: 'instance',
        };
      } else {
        labels = gcmLabels(set.labels);
      }
      const ts = make(info, value, labels);
      if (ts) yield { series: ts, counted: true };
    }
    if (opts.filter === 'autoscaling') continue; // no labeled autoscaling metrics
    for (const lv of set.labeled) {
      const labels = gcmLabels(set.labels);
      for (const [k, v] of Object.entries(lv.labels)) if (GCM_LABEL_SET.has(k) && v) labels[k] = v;
      const ts = make(opts.infoOf(lv.name, lv.value), lv.value, labels);
      if (ts) yield { series: ts, counted: true };
    }
  }
}

function gcmLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of GCM_LABELS) {
    const v = labels[k];
    if (v) out[k] = v;
  }
  return out;
}
