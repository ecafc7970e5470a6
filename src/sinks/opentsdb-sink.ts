import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { VERSION } from '../config/flags.js';
import type { ParsedUri } from '../config/types.js';
import { checkOptions, optionString } from '../config/uri.js';
import type { Batch, Labels } from '../core/batch.js';
import type { Logger } from '../core/log.js';
import { metricDescriptor } from '../core/metrics.js';
import type { Chunk, ChunkedSink, RuntimeOptions } from '../pipeline/sink-queue.js';
import { PermanentWriteError } from '../pipeline/sink-queue.js';
import { RUNTIME_OPTION_NAMES, runtimeOptions } from './runtime-options.js';

/** Data points per `/api/put` request, as in the original. */
export const OPENTSDB_BATCH_POINTS = 1000;

/** One OpenTSDB data point as `/api/put` takes it (timestamp in seconds). */
export interface TsdbPoint {
  metric: string;
  timestamp: number;
  value: number;
  tags: Record<string, string>;
}

/** Entity ids are not tags (OpenTSDB allows 8 tags per point by default). */
const TAG_BLACKLIST: ReadonlySet<string> = new Set([
  'namespace_id',
  'pod_id',
  'hostname',
  'host_id',
]);

/** Characters OpenTSDB does not allow in names and tag values become `_`. */
export function tsdbSanitize(text: string): string {
  return text.replace(/[^a-zA-Z0-9\-_./]/g, '_');
}

/** `cpu/usage_rate` → `cpu_usage_rate_gauge` (sanitized, `/` → `_`, suffix = metric kind). */
export function tsdbMetricName(name: string): string {
  const kind = metricDescriptor(name)?.kind ?? 'gauge';
  return tsdbSanitize(name).replace(/\//g, '_') + '_' + kind;
}

/**
 * The batch as OpenTSDB points (§4.6): name per tsdbMetricName, tags = non-empty entity
 * labels (sanitized; without namespace_id, pod_id, hostname, host_id) plus `cluster`, and —
 * unlike the original, which skipped them — labeled values too, with their labels
 * (`resource_id`, ...) as tags. Timestamp = batch time in seconds. Pure.
 */
export function toTsdbPoints(batch: Batch, cluster: string): TsdbPoint[] {
  return [...tsdbPoints(batch, cluster)];
}

/** toTsdbPoints as a generator. */
export function* tsdbPoints(batch: Batch, cluster: string): Generator<TsdbPoint, void, undefined> {
  const timestamp = Math.floor(batch.timestampMs / 1000);
  const tagsOf = (labels: Labels): Record<string, string> => {
    const tags: Record<string, string> = {};
    for (const k of Object.keys(labels)) {
      const v = labels[k];
      if (TAG_BLACKLIST.has(k) || v === undefined || v === '') continue;
      tags[tsdbSanitize(k)] = tsdbSanitize(v);
    }
    tags.cluster = tsdbSanitize(cluster);
    return tags;
  };
  for (const set of batch.sets.values()) {
    const tags = tagsOf(set.labels);
    for (const [name, value] of set.values) {
      if (Number.isFinite(value)) yield { metric: tsdbMetricName(name), timestamp, value, tags };
    }
    for (const lv of set.labeled) {
      if (!Number.isFinite(lv.value)) continue;
      yield {
        metric: tsdbMetricName(lv.name),
        timestamp,
        value: lv.value,
        tags: tagsOf({ ...set.labels, ...lv.labels }),
      };
    }
  }
}

/**
 * `--sink=opentsdb:http://host:4242?cluster=k8s-cluster` (default host 127.0.0.1:4242):
 * `POST /api/put?summary` with JSON arrays of up to 1000 points. A 400 answer or a summary
 * with failed points rejects the chunk (logged, not retried); other failures are retried.
 */
export class OpentsdbSink implements ChunkedSink<string> {
  readonly name: string;
  readonly runtime: RuntimeOptions;
  private readonly dispatcher: Dispatcher = new Agent({ connections: 2 });
  private readonly putUrl: string;

  constructor(
    private readonly baseUrl: string,
    private readonly cluster: string,
    runtime: RuntimeOptions,
  ) {
    this.runtime = runtime;
    this.name = `opentsdb:${new URL(baseUrl).host}`;
    this.putUrl = `${baseUrl}/api/put?summary`;
  }

  *encode(batch: Batch): Generator<Chunk<string>, void, undefined> {
    let part: TsdbPoint[] = [];
    for (const p of tsdbPoints(batch, this.cluster)) {
      part.push(p);
      if (part.length >= OPENTSDB_BATCH_POINTS) {
        yield {
          payload: JSON.stringify(part),
          points: part.length,
          timestampMs: batch.timestampMs,
        };
        part = [];
      }
    }
    if (part.length > 0) {
      yield { payload: JSON.stringify(part), points: part.length, timestampMs: batch.timestampMs };
    }
  }

  async write(batch: Batch): Promise<void> {
    for (const c of this.encode(batch)) await this.send(c.payload, AbortSignal.timeout(60_000));
  }

  async send(body: string, signal: AbortSignal): Promise<void> {
    const res = await request(this.putUrl, {
      method: 'POST',
      body,
      signal,
      dispatcher: this.dispatcher,
      headers: { 'content-type': 'application/json', 'user-agent': `heapster/${VERSION}` },
    });
    const text = await res.body.text();
    const detail = `HTTP ${res.statusCode} from ${this.putUrl}: ${text.trim().slice(0, 300)}`;
    if (res.statusCode >= 200 && res.statusCode < 300) {
      const failed = /"failed"\s*:\s*(\d+)/.exec(text)?.[1];
      if (failed !== undefined && Number(failed) > 0) throw new PermanentWriteError(detail);
      return;
    }
    if (res.statusCode === 400) throw new PermanentWriteError(detail);
    throw new Error(detail);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Factory for the registry; ConfigError on an unknown option. */
export function createOpentsdbSink(uri: ParsedUri, _ctx: { logger: Logger }): OpentsdbSink {
  checkOptions(uri, ['cluster', ...RUNTIME_OPTION_NAMES], '--sink');
  const scheme = uri.url?.protocol === 'https:' ? 'https' : 'http';
  const host = uri.url?.host || '127.0.0.1:4242';
  return new OpentsdbSink(
    `${scheme}://${host}`,
    optionString(uri, 'cluster', 'k8s-cluster'),
    runtimeOptions(uri),
  );
}
