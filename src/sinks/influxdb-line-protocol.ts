import type { Batch, Labels } from '../core/batch.js';
import { labelsKey } from '../core/batch.js';
import { RATED_METRICS, isIntMetric, metricDescriptor } from '../core/metrics.js';
import { ByteWriter } from './byte-writer.js';

/** How a batch is written as InfluxDB points (§4.1). */
export interface LineProtocolOptions {
  /** `withfields` schema: measurement = family (`cpu`), field = rest (`usage_rate`). */
  readonly withFields: boolean;
  /** Value of the `cluster_name` tag added to every point. */
  readonly clusterName: string;
  /** Skip the cumulative metrics that have a rate counterpart (`cpu/usage`, `network/rx`, ...). */
  readonly disableCounterMetrics: boolean;
}

/** Labels never written as tags (high cardinality or redundant), as in the original. */
const TAG_BLACKLIST: ReadonlySet<string> = new Set([
  'namespace_id',
  'pod_id',
  'hostname',
  'host_id',
]);

/** Cumulative metrics with a rate counterpart (the original's RateMetricsMapping keys). */
const COUNTER_METRICS: ReadonlySet<string> = new Set(RATED_METRICS.map((m) => m.name));

/** Measurement names: `,` and space are escaped with `\` (line protocol spec). */
export function escapeMeasurement(name: string): string {
  return /[, \n\r]/.test(name) ? name.replace(/[\n\r]/g, ' ').replace(/[, ]/g, '\\$&') : name;
}

/**
 * Tag keys, tag values and field keys: `,`, `=` and space are escaped with `\` (line protocol
 * spec). Newlines cannot be represented and become spaces; a trailing `\` is doubled so it
 * cannot escape the separator after it. Quotes need no escaping here.
 */
export function escapeTag(text: string): string {
  if (!/[,= \n\r\\]/.test(text)) return text;
  let out = text.replace(/[\n\r]/g, ' ').replace(/[,= ]/g, '\\$&');
  if (out.endsWith('\\') && !out.endsWith('\\\\')) out += '\\';
  return out;
}

/** Measurement and field key of a metric name in either schema, as bytes ready to print. */
interface Target {
  /** `<measurement>` (escaped). */
  readonly measurement: Buffer;
  /** ` <field>=` (escaped). */
  readonly field: Buffer;
  /** True when the metric is skipped (disable_counter_metrics). */
  readonly skip: boolean;
  /** int64 in the catalogue: true/false; unknown metrics: undefined (decided per value). */
  readonly int: boolean | undefined;
}

function makeTarget(name: string, opts: LineProtocolOptions): Target {
  const skip = opts.disableCounterMetrics && COUNTER_METRICS.has(name);
  const int = metricDescriptor(name) ? isIntMetric(name, 0.5) : undefined;
  const slash = name.indexOf('/');
  const [measurement, field] =
    !opts.withFields || slash < 0
      ? [escapeMeasurement(name), 'value']
      : [escapeMeasurement(name.slice(0, slash)), escapeTag(name.slice(slash + 1))];
  return {
    measurement: Buffer.from(measurement),
    field: Buffer.from(' ' + field + '='),
    skip,
    int,
  };
}

/** `,k=v,...` of the labels in key order, without blacklisted or empty ones, plus cluster_name. */
function tagString(
  labels: Labels,
  clusterTag: string,
  esc: (s: string) => string,
  extra?: Labels,
): string {
  const merged: Labels = extra ? { ...labels, ...extra } : labels;
  const keys = Object.keys(merged);
  if (!('cluster_name' in merged)) keys.push('cluster_name');
  keys.sort();
  let out = '';
  for (const k of keys) {
    if (k === 'cluster_name') {
      out += clusterTag;
      continue;
    }
    if (TAG_BLACKLIST.has(k)) continue;
    const v = merged[k];
    if (v === undefined || v === '') continue;
    out += ',' + esc(k) + '=' + esc(v);
  }
  return out;
}

/** Encoded line protocol of up to `maxPoints` points (each line ends with `\n`). */
export interface LineChunk {
  readonly bytes: Buffer;
  readonly points: number;
}

/**
 * Writes `batch` as line protocol, one point per metric value (plain and labeled), split
 * into chunks of at most `maxPoints` lines (each line ends with `\n`). Timestamps are the
 * batch timestamp in milliseconds (write with `precision=ms`). Tags: every entity label with
 * a non-empty value except `namespace_id`, `pod_id`, `hostname`, `host_id`, plus the
 * labeled value's labels and `cluster_name`, sorted by key. Fields: `<int>i` for int64
 * metrics of the catalogue (unknown metrics: integers as int64), plain decimals for
 * doubles; values that are not finite are skipped. Pure.
 */
export function encodeLineProtocol(
  batch: Batch,
  opts: LineProtocolOptions,
  maxPoints: number,
): LineChunk[] {
  return [...lineProtocolChunks(batch, opts, maxPoints)];
}

/** encodeLineProtocol as a generator: each chunk is encoded when it is asked for. */
export function* lineProtocolChunks(
  batch: Batch,
  opts: LineProtocolOptions,
  maxPoints: number,
): Generator<LineChunk, void, undefined> {
  const targets = new Map<string, Target>();
  const target = (name: string): Target => {
    let t = targets.get(name);
    if (t === undefined) {
      t = makeTarget(name, opts);
      targets.set(name, t);
    }
    return t;
  };
  const clusterTag = ',cluster_name=' + escapeTag(opts.clusterName);
  // Label keys and values repeat across entities (node names, namespaces, images).
  const escaped = new Map<string, string>();
  const esc = (text: string): string => {
    let e = escaped.get(text);
    if (e === undefined) {
      e = escapeTag(text);
      escaped.set(text, e);
    }
    return e;
  };
  const ts = Buffer.from(' ' + Math.round(batch.timestampMs) + '\n');
  const w = new ByteWriter();
  let points = 0;
  /** Appends one line; true when the chunk is full. */
  const add = (t: Target, tags: Buffer, value: number): boolean => {
    const int = t.int ?? Number.isInteger(value);
    w.bytes(t.measurement);
    w.bytes(tags);
    w.bytes(t.field);
    if (int) {
      w.ascii(String(Math.trunc(value)));
      w.byte(0x69); // i
    } else {
      w.ascii(String(value));
    }
    w.bytes(ts);
    return ++points >= maxPoints;
  };
  const take = (): LineChunk => {
    const chunk = { bytes: w.take(), points };
    points = 0;
    return chunk;
  };
  for (const set of batch.sets.values()) {
    let tags: Buffer | undefined;
    for (const [name, value] of set.values) {
      const t = target(name);
      if (t.skip || !Number.isFinite(value)) continue;
      tags ??= Buffer.from(tagString(set.labels, clusterTag, esc));
      if (add(t, tags, value)) yield take();
    }
    let labeledTags: Map<string, Buffer> | undefined;
    for (const lv of set.labeled) {
      const t = target(lv.name);
      if (t.skip || !Number.isFinite(lv.value)) continue;
      labeledTags ??= new Map();
      const key = labelsKey(lv.labels);
      let lt = labeledTags.get(key);
      if (lt === undefined) {
        lt = Buffer.from(tagString(set.labels, clusterTag, esc, lv.labels));
        labeledTags.set(key, lt);
      }
      if (add(t, lt, lv.value)) yield take();
    }
  }
  if (points > 0) yield take();
}

/** The whole batch as one line-protocol text (see encodeLineProtocol). Pure. */
export function toLineProtocol(batch: Batch, opts: LineProtocolOptions): string {
  return encodeLineProtocol(batch, opts, Number.MAX_SAFE_INTEGER)
    .map((c) => c.bytes.toString('utf8'))
    .join('');
}
