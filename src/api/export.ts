import type { FastifyInstance } from 'fastify';
import type { Batch } from '../core/batch.js';
import type { Store } from '../core/contracts.js';
import { parseEntityKey } from '../core/keys.js';
import type { LabelDescriptor } from '../core/labels.js';
import {
  ALL_LABELS,
  COMMON_LABELS,
  CONTAINER_LABELS,
  LABEL_CONTAINER_NAME,
  LABEL_TYPE,
  POD_LABELS,
} from '../core/labels.js';
import type { MetricDescriptor, Units } from '../core/metrics.js';
import {
  ADDITIONAL_METRICS,
  LABELED_METRICS,
  STANDARD_METRICS,
  metricDescriptor,
} from '../core/metrics.js';
import { roundValue } from './model.js';
import { GO_ZERO_TIME_MS, formatRfc3339 } from './rfc3339.js';

/** A point of `/api/v1/metric-export` (`types.Point`). */
export interface ExportPointJson {
  start: string;
  end: string;
  labels?: Record<string, string>;
  value: number;
}

/** One entity of `/api/v1/metric-export` (`types.Timeseries`). */
export interface ExportTimeseriesJson {
  metrics: Record<string, ExportPointJson[]>;
  labels?: Record<string, string>;
}

/** `types.LabelDescriptor`: empty fields are omitted, as Go's `omitempty` does. */
export interface SchemaLabelJson {
  key?: string;
  description?: string;
}

/** `types.MetricDescriptor`: empty fields are omitted, as Go's `omitempty` does. */
export interface SchemaMetricJson {
  name?: string;
  description?: string;
  labels?: SchemaLabelJson[];
  type?: string;
  value_type?: string;
  units?: string;
}

/** `types.TimeseriesSchema`. */
export interface TimeseriesSchemaJson {
  metrics?: SchemaMetricJson[];
  common_labels?: SchemaLabelJson[];
  pod_labels?: SchemaLabelJson[];
}

const EXPORTED_ADDITIONAL = new Set(['cpu/limit', 'memory/limit']);

/** Metrics the original exported (`gkeMetrics`): standard, labeled, cpu/limit, memory/limit. */
const EXPORTED_METRICS: ReadonlySet<string> = new Set([
  ...STANDARD_METRICS.map((m) => m.name),
  ...LABELED_METRICS.map((m) => m.name),
  ...EXPORTED_ADDITIONAL,
]);

/** Labels the original exported (`gkeLabels`): common, container and pod labels. */
const EXPORTED_LABELS: ReadonlySet<string> = new Set(
  [...COMMON_LABELS, ...CONTAINER_LABELS, ...POD_LABELS].map((l) => l.key),
);

const EXPORTED_TYPES = new Set(['node', 'pod', 'pod_container', 'sys_container']);

const LABEL_DESCRIPTIONS: ReadonlyMap<string, string> = new Map(
  ALL_LABELS.map((l) => [l.key, l.description]),
);

/** Units as the original's UnitsType prints them; the units it lacked print as count (''). */
export function originalUnits(units: Units): '' | 'bytes' | 'ms' | 'ns' | 'millicores' {
  switch (units) {
    case 'bytes':
    case 'ms':
    case 'ns':
    case 'millicores':
      return units;
    default:
      return '';
  }
}

function exportValue(name: string, value: number): number {
  const desc = metricDescriptor(name);
  const isInt = desc ? desc.valueType === 'int64' : Number.isInteger(value);
  return isInt ? roundValue(value) : value;
}

/**
 * `/api/v1/metric-export` (§7.4): the newest batch as one Timeseries per node, pod, pod
 * container and system container set (sorted by key), with only the exported metrics and labels;
 * nodes get `container_name=machine`, pods `container_name=/pod`. A point spans
 * [batch time, batch time], or [create time, batch time] for cumulative metrics (Go's zero time
 * when the create time is unknown, i.e. 0).
 */
export function toMetricExport(batch: Batch | undefined): ExportTimeseriesJson[] {
  if (batch === undefined) return [];
  const end = formatRfc3339(batch.timestampMs);
  const out: ExportTimeseriesJson[] = [];
  for (const key of [...batch.sets.keys()].sort()) {
    const set = batch.sets.get(key);
    if (set === undefined) continue;
    const type = set.labels[LABEL_TYPE] ?? parseEntityKey(key)?.type;
    if (type === undefined || !EXPORTED_TYPES.has(type)) continue;
    const labels: Record<string, string> = {};
    for (const k of Object.keys(set.labels).sort()) {
      if (EXPORTED_LABELS.has(k)) labels[k] = set.labels[k];
    }
    if (type === 'node') labels[LABEL_CONTAINER_NAME] = 'machine';
    if (type === 'pod') labels[LABEL_CONTAINER_NAME] = '/pod';
    const created = formatRfc3339(set.createMs === 0 ? GO_ZERO_TIME_MS : set.createMs);
    const startOf = (name: string) =>
      metricDescriptor(name)?.kind === 'cumulative' ? created : end;
    const metrics: Record<string, ExportPointJson[]> = {};
    const add = (name: string, point: ExportPointJson) => (metrics[name] ??= []).push(point);
    for (const name of [...set.values.keys()].sort()) {
      if (!EXPORTED_METRICS.has(name)) continue;
      const value = set.values.get(name) ?? 0;
      add(name, { start: startOf(name), end, value: exportValue(name, value) });
    }
    for (const lv of set.labeled) {
      if (!EXPORTED_METRICS.has(lv.name)) continue;
      add(lv.name, {
        start: startOf(lv.name),
        end,
        labels: { ...lv.labels },
        value: exportValue(lv.name, lv.value),
      });
    }
    const ts: ExportTimeseriesJson = { metrics };
    if (Object.keys(labels).length > 0) ts.labels = labels;
    out.push(ts);
  }
  return out;
}

function labelJson(l: LabelDescriptor): SchemaLabelJson {
  const out: SchemaLabelJson = {};
  if (l.key) out.key = l.key;
  if (l.description) out.description = l.description;
  return out;
}

function metricJson(m: MetricDescriptor): SchemaMetricJson {
  const out: SchemaMetricJson = { name: m.name };
  if (m.description) out.description = m.description;
  if (m.labels && m.labels.length > 0) {
    out.labels = m.labels.map((key) =>
      labelJson({ key, description: LABEL_DESCRIPTIONS.get(key) ?? '' }),
    );
  }
  out.type = m.kind;
  out.value_type = m.valueType;
  const units = originalUnits(m.units);
  if (units) out.units = units;
  return out;
}

/**
 * `/api/v1/metric-export-schema` (§7.4): the exported metric descriptors (standard, then
 * cpu/limit and memory/limit, then labeled), `common_labels` (common + container labels) and
 * `pod_labels`. Empty fields are omitted like the original's `omitempty` (so count metrics have
 * no `units`).
 */
export function metricExportSchema(): TimeseriesSchemaJson {
  return {
    metrics: [
      ...STANDARD_METRICS,
      ...ADDITIONAL_METRICS.filter((m) => EXPORTED_ADDITIONAL.has(m.name)),
      ...LABELED_METRICS,
    ].map(metricJson),
    common_labels: [...COMMON_LABELS, ...CONTAINER_LABELS].map(labelJson),
    pod_labels: POD_LABELS.map(labelJson),
  };
}

/** Dependencies of the export routes. */
export interface ExportRoutesDeps {
  store: Store;
  /** `--disable_export`: the export answers `[]`. */
  disableExport: boolean;
}

/** Registers `/api/v1/metric-export` and `/api/v1/metric-export-schema`. */
export function registerExportRoutes(app: FastifyInstance, deps: ExportRoutesDeps): void {
  app.get('/api/v1/metric-export', async () =>
    deps.disableExport ? [] : toMetricExport(deps.store.latest()),
  );
  app.get('/api/v1/metric-export-schema', async () => metricExportSchema());
}
