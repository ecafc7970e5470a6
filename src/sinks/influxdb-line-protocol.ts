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

/** One tag of a point as printed: `,k=v`, the cluster tag, or '' when left out. */
function tagSegment(
  k: string,
  v: string | undefined,
  clusterTag: string,
  esc: (s: string) => string,
): string {
  if (k === 'cluster_name') return clusterTag;
  if (TAG_BLACKLIST.has(k) || v === undefined || v === '') return '';
  return ',' + esc(k) + '=' + esc(v);
}

/** The tags of a metric set, sorted by key (with cluster_name), each as printed. */
interface TagParts {
  readonly keys: string[];
  readonly segments: string[];
  /** All segments joined: the tag part of the set's plain values. */
  readonly text: string;
}

/** `,k=v,...` of the labels in key order, without blacklisted or empty ones, plus cluster_name. */
function tagParts(labels: Labels, clusterTag: string, esc: (s: string) => string): TagParts {
  const keys = Object.keys(labels);
  if (!('cluster_name' in labels)) keys.push('cluster_name');
  keys.sort();
  const segments = keys.map((k) => tagSegment(k, labels[k], clusterTag, esc));
  return { keys, segments, text: segments.join('') };
}

/**
 * The tag part of a labeled value: the set's tags merged with the value's labels (which win
 * on equal keys), in key order — the same text as tagParts of `{...labels, ...extra}`, without
 * sorting the set's labels again.
 */
function tagsWithExtra(
  p: TagParts,
  extra: Labels,
  clusterTag: string,
  esc: (s: string) => string,
): string {
  const ek = Object.keys(extra);
  if (ek.length > 1) ek.sort();
  let out = '';
  let j = 0;
  for (let i = 0; i < p.keys.length; i++) {
    const k = p.keys[i];
    while (j < ek.length && ek[j] < k) {
      out += tagSegment(ek[j], extra[ek[j]], clusterTag, esc);
      j++;
    }
    if (j < ek.length && ek[j] === k) {
      out += tagSegment(k, extra[k], clusterTag, esc);
      j++;
    } else {
      out += p.segments[i];
    }
  }
  for (; j < ek.length; j++) out += tagSegment(ek[j], extra[ek[j]], clusterTag, esc);
  return out;
}

/** A key telling label sets apart (for the per-set cache of labeled tag parts). */
function extraKey(labels: Labels): string {
  let key = '';
  let n = 0;
  for (const k in labels) {
    key += k + '\0' + labels[k] + '\0';
    n++;
  }
  return n > 1 ? labelsKey(labels) : key;
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

/** Copies `src` into `buf` at `o` (room checked by the caller); returns the offset after it. */
function put(buf: Buffer, o: number, src: Buffer): number {
  const n = src.length;
  if (n > 48) {
    buf.set(src, o);
    return o + n;
  }
  for (let i = 0; i < n; i++) buf[o + i] = src[i];
  return o + n;
}

/** Copies ASCII text `s` into `buf` at `o`; returns the offset after it. */
function putAscii(buf: Buffer, o: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) buf[o + i] = s.charCodeAt(i);
  return o + n;
}

/**
 * Prints an integer with |v| < 2^53 at `o` exactly as `String(v)` does (`-0` as `0`), without
 * making a string; returns the offset after it.
 */
function putInt(buf: Buffer, o: number, v: number): number {
  if (v < 0) {
    buf[o++] = 0x2d; // -
    v = -v;
  }
  if (v < 1e9) return putDigits(buf, o, v | 0);
  const hi = Math.floor(v / 1e9);
  o = putDigits(buf, o, hi);
  let lo = (v - hi * 1e9) | 0;
  for (let i = o + 8; i >= o; i--) {
    buf[i] = 0x30 + (lo % 10);
    lo = (lo / 10) | 0;
  }
  return o + 9;
}

/** Digits of 0 <= v < 2^31 at `o`; returns the offset after them. */
function putDigits(buf: Buffer, o: number, v: number): number {
  let n = 1;
  for (let x = v; x >= 10; x = (x / 10) | 0) n++;
  let i = o + n - 1;
  do {
    buf[i--] = 0x30 + (v % 10);
    v = (v / 10) | 0;
  } while (v > 0);
  return o + n;
}

/** Largest integer printed by the fast path (beyond it `String` is used, as before). */
const MAX_FAST_INT = 2 ** 53;

/**
 * encodeLineProtocol as a generator: each chunk is encoded when it is asked for. Hot path
 * (about 1 µs per point): the tag part of a metric set is built once and copied per point,
 * values are iterated without entry arrays, integers are printed without strings, and a set's
 * lines go straight into one byte buffer that is cut at chunk boundaries.
 */
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
  /** Points in the writer (not yet handed out). */
  let points = 0;
  /** Where full chunks end, in bytes after the writer's last `take` (after their last line). */
  const cuts: number[] = [];
  let tags: Buffer = ts;
  const add = (t: Target, tagBytes: Buffer, value: number): void => {
    const m = t.measurement;
    const f = t.field;
    // One line straight into the buffer: 25 bytes hold any number String() prints, plus `i`.
    const buf = w.room(m.length + tagBytes.length + f.length + 26 + ts.length);
    let o = w.end;
    o = put(buf, o, m);
    o = put(buf, o, tagBytes);
    o = put(buf, o, f);
    if (t.int ?? Number.isInteger(value)) {
      const v = Math.trunc(value);
      o = v < MAX_FAST_INT && v > -MAX_FAST_INT ? putInt(buf, o, v) : putAscii(buf, o, String(v));
      buf[o++] = 0x69; // i
    } else {
      o = putAscii(buf, o, String(value));
    }
    o = put(buf, o, ts);
    w.commit(o);
    if (++points % maxPoints === 0) cuts.push(w.length);
  };
  const addValue = (value: number, name: string): void => {
    const t = target(name);
    if (t.skip || !Number.isFinite(value)) return;
    add(t, tags, value);
  };
  for (const set of batch.sets.values()) {
    if (set.values.size === 0 && set.labeled.length === 0) continue;
    const parts = tagParts(set.labels, clusterTag, esc);
    if (set.values.size > 0) {
      tags = Buffer.from(parts.text);
      set.values.forEach(addValue);
    }
    let labeledTags: Map<string, Buffer> | undefined;
    for (const lv of set.labeled) {
      const t = target(lv.name);
      if (t.skip || !Number.isFinite(lv.value)) continue;
      labeledTags ??= new Map();
      const key = extraKey(lv.labels);
      let lt = labeledTags.get(key);
      if (lt === undefined) {
        lt = Buffer.from(tagsWithExtra(parts, lv.labels, clusterTag, esc));
        labeledTags.set(key, lt);
      }
      add(t, lt, lv.value);
    }
    if (cuts.length > 0) {
      let taken = 0;
      for (const cut of cuts) {
        yield { bytes: w.takeFirst(cut - taken), points: maxPoints };
        taken = cut;
      }
      cuts.length = 0;
      points %= maxPoints;
    }
  }
  if (points > 0) yield { bytes: w.take(), points };
}

/** The whole batch as one line-protocol text (see encodeLineProtocol). Pure. */
export function toLineProtocol(batch: Batch, opts: LineProtocolOptions): string {
  return encodeLineProtocol(batch, opts, Number.MAX_SAFE_INTEGER)
    .map((c) => c.bytes.toString('utf8'))
    .join('');
}
