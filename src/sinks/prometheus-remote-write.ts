import protobuf from 'protobufjs';
import { compress } from 'snappyjs';
import type { Batch, Labels } from '../core/batch.js';
import { labelsKey } from '../core/batch.js';
import { ByteWriter, varintSize } from './byte-writer.js';

/** A remote-write label (`prometheus.Label`). */
export interface PromLabel {
  name: string;
  value: string;
}

/** A remote-write series with its samples (`prometheus.TimeSeries`); timestamps in ms. */
export interface PromTimeSeries {
  labels: PromLabel[];
  samples: { value: number; timestamp: number }[];
}

// The remote write 1.0 messages (prometheus/prompb types.proto, remote.proto), defined in code.
const Label = new protobuf.Type('Label')
  .add(new protobuf.Field('name', 1, 'string'))
  .add(new protobuf.Field('value', 2, 'string'));
const Sample = new protobuf.Type('Sample')
  .add(new protobuf.Field('value', 1, 'double'))
  .add(new protobuf.Field('timestamp', 2, 'int64'));
const TimeSeries = new protobuf.Type('TimeSeries')
  .add(new protobuf.Field('labels', 1, 'Label', 'repeated'))
  .add(new protobuf.Field('samples', 2, 'Sample', 'repeated'));
const WriteRequest = new protobuf.Type('WriteRequest').add(
  new protobuf.Field('timeseries', 1, 'TimeSeries', 'repeated'),
);
new protobuf.Root().define('prometheus').add(Label).add(Sample).add(TimeSeries).add(WriteRequest);

/** Options of the remote-write mapping. */
export interface RemoteWriteOptions {
  /** Prepended to the metric name (default `heapster_`). */
  readonly prefix: string;
  /** When non-empty, a `cluster_name` label on every series. */
  readonly clusterName: string;
}

/** `cpu/usage_rate` → `<prefix>cpu_usage_rate`: characters outside `[a-zA-Z0-9_:]` become `_`. */
export function promMetricName(name: string, prefix: string): string {
  const out = (prefix + name).replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(out) ? '_' + out : out;
}

/** Label names: characters outside `[a-zA-Z0-9_]` become `_`, a leading digit gets a `_`. */
export function promLabelName(name: string): string {
  const out = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(out) ? '_' + out : out;
}

function sortedLabels(labels: Labels, clusterName: string, extra?: Labels): PromLabel[] {
  const merged = new Map<string, string>();
  const put = (l: Labels) => {
    for (const k of Object.keys(l)) {
      const v = l[k];
      if (v !== undefined && v !== '') merged.set(promLabelName(k), v);
    }
  };
  put(labels);
  if (extra) put(extra);
  if (clusterName !== '') merged.set('cluster_name', clusterName);
  merged.delete('__name__');
  return [...merged.keys()].sort().map((name) => ({ name, value: merged.get(name) as string }));
}

/**
 * The batch as remote-write series: one series per metric value (plain and labeled), name
 * `<prefix><metric with / → _>`, labels = every non-empty entity label plus the labeled
 * value's labels (and `cluster_name` when set), sorted by name with `__name__` first; one
 * sample per series at the batch timestamp (ms). Non-finite values are skipped. Pure.
 */
export function toTimeSeries(batch: Batch, opts: RemoteWriteOptions): PromTimeSeries[] {
  const out: PromTimeSeries[] = [];
  const names = new Map<string, PromLabel>();
  const nameLabel = (metric: string): PromLabel => {
    let l = names.get(metric);
    if (l === undefined) {
      l = { name: '__name__', value: promMetricName(metric, opts.prefix) };
      names.set(metric, l);
    }
    return l;
  };
  const timestamp = Math.round(batch.timestampMs);
  for (const set of batch.sets.values()) {
    let base: PromLabel[] | undefined;
    for (const [metric, value] of set.values) {
      if (!Number.isFinite(value)) continue;
      base ??= sortedLabels(set.labels, opts.clusterName);
      out.push({ labels: [nameLabel(metric), ...base], samples: [{ value, timestamp }] });
    }
    for (const lv of set.labeled) {
      if (!Number.isFinite(lv.value)) continue;
      out.push({
        labels: [nameLabel(lv.name), ...sortedLabels(set.labels, opts.clusterName, lv.labels)],
        samples: [{ value: lv.value, timestamp }],
      });
    }
  }
  return out;
}

/** Protobuf-encodes a WriteRequest of `series` (not compressed). */
export function encodeWriteRequest(series: PromTimeSeries[]): Uint8Array {
  return WriteRequest.encode({ timeseries: series }).finish();
}

/** Writes a varint at `off` of `buf`; returns the offset after it. */
function putVarint(buf: Buffer, off: number, v: number): number {
  while (v >= 0x80) {
    buf[off++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[off++] = v;
  return off;
}

/** `TimeSeries.labels` entry (field 1, length-delimited) of one Label message. */
function labelEntry(name: string, value: string): Buffer {
  const n = Buffer.byteLength(name);
  const v = Buffer.byteLength(value);
  const msgLen = 1 + varintSize(n) + n + 1 + varintSize(v) + v;
  const out = Buffer.allocUnsafe(1 + varintSize(msgLen) + msgLen);
  let o = 0;
  out[o++] = 0x0a;
  o = putVarint(out, o, msgLen);
  out[o++] = 0x0a;
  o = putVarint(out, o, n);
  o += out.write(name, o, 'utf8');
  out[o++] = 0x12;
  o = putVarint(out, o, v);
  out.write(value, o, 'utf8');
  return out;
}

function labelEntries(labels: PromLabel[], cache: Map<string, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const l of labels) {
    const key = l.name + '\u0000' + l.value;
    let b = cache.get(key);
    if (b === undefined) {
      b = labelEntry(l.name, l.value);
      cache.set(key, b);
    }
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/**
 * The batch as WriteRequest bodies of at most `maxSeries` series each — byte for byte what
 * encodeWriteRequest(toTimeSeries(batch, opts)) gives for the same series, but built from
 * cached label bytes (the labels of an entity are encoded once, not once per metric).
 * `onChunk` gets each body (not compressed) as a view into a reused buffer, valid only
 * during the call (compress or copy it there). Pure apart from the callback.
 */
export function encodeRemoteWrite(
  batch: Batch,
  opts: RemoteWriteOptions,
  maxSeries: number,
  onChunk: (body: Buffer, series: number) => void,
): void {
  for (const c of remoteWriteChunks(batch, opts, maxSeries)) onChunk(c.body, c.series);
}

/**
 * encodeRemoteWrite as a generator: each body is encoded when asked for and is a view
 * into a reused buffer, valid until the next one is asked for.
 */
export function* remoteWriteChunks(
  batch: Batch,
  opts: RemoteWriteOptions,
  maxSeries: number,
): Generator<{ body: Buffer; series: number }, void, undefined> {
  const names = new Map<string, Buffer>();
  const entries = new Map<string, Buffer>();
  const nameEntry = (metric: string): Buffer => {
    let b = names.get(metric);
    if (b === undefined) {
      b = labelEntry('__name__', promMetricName(metric, opts.prefix));
      names.set(metric, b);
    }
    return b;
  };
  const timestamp = Math.round(batch.timestampMs);
  // Sample: 0x09 <double> 0x10 <varint ts>; as TimeSeries.samples entry: 0x12 <len> sample.
  const sampleLen = 1 + 8 + 1 + varintSize(timestamp);
  const w = new ByteWriter();
  let series = 0;
  /** Appends one series; true when the chunk is full. */
  const add = (name: Buffer, labels: Buffer, value: number): boolean => {
    const tsLen = name.length + labels.length + 1 + varintSize(sampleLen) + sampleLen;
    w.byte(0x0a);
    w.varint(tsLen);
    w.bytes(name);
    w.bytes(labels);
    w.byte(0x12);
    w.varint(sampleLen);
    w.byte(0x09);
    w.double(value);
    w.byte(0x10);
    w.varint(timestamp);
    return ++series >= maxSeries;
  };
  const take = () => {
    const chunk = { body: w.view(), series };
    series = 0;
    return chunk;
  };
  for (const set of batch.sets.values()) {
    let base: Buffer | undefined;
    for (const [metric, value] of set.values) {
      if (!Number.isFinite(value)) continue;
      base ??= labelEntries(sortedLabels(set.labels, opts.clusterName), entries);
      if (add(nameEntry(metric), base, value)) {
        yield take();
        w.reset();
      }
    }
    let byLabels: Map<string, Buffer> | undefined;
    for (const lv of set.labeled) {
      if (!Number.isFinite(lv.value)) continue;
      byLabels ??= new Map();
      const key = labelsKey(lv.labels);
      let labels = byLabels.get(key);
      if (labels === undefined) {
        labels = labelEntries(sortedLabels(set.labels, opts.clusterName, lv.labels), entries);
        byLabels.set(key, labels);
      }
      if (add(nameEntry(lv.name), labels, lv.value)) {
        yield take();
        w.reset();
      }
    }
  }
  if (series > 0) yield take();
}

/** Decodes a (decompressed) WriteRequest, for tests. */
export function decodeWriteRequest(body: Uint8Array): PromTimeSeries[] {
  const msg = WriteRequest.toObject(WriteRequest.decode(body), { longs: Number, defaults: true });
  return (msg.timeseries ?? []) as PromTimeSeries[];
}

/** Snappy block compression of a request body, as remote write requires. */
export function snappyBlock(body: Uint8Array): Uint8Array {
  return compress(body);
}
