// `gcl`: Kubernetes events to Cloud Logging (the eventer's sink, §4.4), and optionally metric
// batches as log entries (`--sink=gcl:?metrics=true` on the main pipeline).
import type { ParsedUri } from '../../config/types.js';
import { ConfigError } from '../../config/types.js';
import { checkOptions, optionBool } from '../../config/uri.js';
import type { Batch, MetricSet } from '../../core/batch.js';
import type { Logger } from '../../core/log.js';
import { SelfMetrics } from '../../core/self-metrics.js';
import type { EventSink, KubeEvent } from '../../events/types.js';
import type { Chunk, ChunkedSink, RuntimeOptions } from '../../pipeline/sink-queue.js';
import { QueuedSink } from '../../pipeline/sink-queue.js';
import type { GoogleTarget } from './google-options.js';
import { GOOGLE_OPTION_NAMES, parseGoogleTarget, protoTimestamp } from './google-options.js';
import type { LogEntry } from './logging-api.js';
import { LoggingApi, toStruct } from './logging-api.js';

/** The log events go to, as the original eventer named it. */
export const EVENTS_LOG = 'kubernetes.io/events';
/** The log metric batches go to (`metrics=true`). */
export const METRICS_LOG = 'heapster/metrics';
/** Entries per WriteLogEntries request (Cloud Logging takes up to 1000 and 10 MB). */
export const MAX_ENTRIES_PER_REQUEST = 500;
/** Rough cap of one request's JSON size, well under Cloud Logging's 10 MB. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** A log entry before its log name and resource are known (the project may come later). */
export type PartialEntry = Omit<LogEntry, 'logName' | 'resource'>;

/** One WriteLogEntries request: entries of one log. */
export interface GclPayload {
  readonly log: string;
  readonly entries: PartialEntry[];
}

/** `projects/<p>/logs/<log, URL-escaped>` (`kubernetes.io/events` → `kubernetes.io%2Fevents`). */
export function logName(project: string, log: string): string {
  return `projects/${project}/logs/${encodeURIComponent(log)}`;
}

/** Severity of an event: Warning → WARNING, Normal → INFO, anything else NOTICE (the original's constant). */
export function eventSeverity(type: string): PartialEntry['severity'] {
  if (type === 'Warning') return 'WARNING';
  if (type === 'Normal') return 'INFO';
  return 'NOTICE';
}

/**
 * The log entry of an event: time = the event's last timestamp, insertId = its UID (so a
 * retried request is deduplicated by Cloud Logging, as in the original), jsonPayload = the
 * v1 Event as the API server sent it.
 */
export function eventEntry(e: KubeEvent): PartialEntry {
  return {
    timestamp: protoTimestamp(e.lastTimestampMs),
    severity: eventSeverity(e.type),
    insertId: e.uid || `${e.namespace}/${e.name}/${e.resourceVersion}`,
    jsonPayload: toStruct(e.raw),
  };
}

/**
 * The log entry of one metric set of a batch: time = batch timestamp, insertId = key@time,
 * jsonPayload = { key, labels, scrapeTime, collectionStartTime, metrics: {name: value},
 * labeledMetrics: [{name, labels, value}] }.
 */
export function metricSetEntry(key: string, set: MetricSet, timestampMs: number): PartialEntry {
  return {
    timestamp: protoTimestamp(timestampMs),
    severity: 'INFO',
    insertId: `${key}@${timestampMs}`,
    jsonPayload: toStruct({
      key,
      labels: set.labels,
      scrapeTime: new Date(set.scrapeTimeMs).toISOString(),
      collectionStartTime: new Date(set.collectionStartMs).toISOString(),
      metrics: Object.fromEntries(set.values),
      labeledMetrics: set.labeled.map((l) => ({ name: l.name, labels: l.labels, value: l.value })),
    }),
  };
}

/** Splits entries (with their point counts) into requests of ≤ 500 entries and ~4 MB. */
function* entryChunks(
  log: string,
  items: Iterable<{ entry: PartialEntry; points: number }>,
  timestampMs: number,
): Generator<Chunk<GclPayload>, void, undefined> {
  let entries: PartialEntry[] = [];
  let points = 0;
  let bytes = 0;
  for (const { entry, points: p } of items) {
    const size = JSON.stringify(entry.jsonPayload).length + 200;
    if (
      entries.length > 0 &&
      (entries.length >= MAX_ENTRIES_PER_REQUEST || bytes + size > MAX_REQUEST_BYTES)
    ) {
      yield { payload: { log, entries }, points, timestampMs };
      entries = [];
      points = 0;
      bytes = 0;
    }
    entries.push(entry);
    points += p;
    bytes += size;
  }
  if (entries.length > 0) yield { payload: { log, entries }, points, timestampMs };
}

/** Typed `--sink=gcl[:?opts]`. */
export interface GclConfig {
  readonly target: GoogleTarget;
  /** Export metric batches as log entries (metric pipeline only). */
  readonly metrics: boolean;
  readonly runtime: RuntimeOptions;
}

/**
 * Parses a gcl URI. `forEvents` (the eventer) accepts only the common Google options; the
 * metric pipeline also takes `metrics=true` and requires it. ConfigError naming the option.
 */
export function parseGclUri(
  uri: ParsedUri,
  forEvents: boolean,
  env?: NodeJS.ProcessEnv,
  onGce?: boolean,
): GclConfig {
  checkOptions(
    uri,
    forEvents ? GOOGLE_OPTION_NAMES : ['metrics', ...GOOGLE_OPTION_NAMES],
    '--sink',
  );
  const metrics = forEvents ? false : optionBool(uri, 'metrics', false);
  if (!forEvents && !metrics) {
    throw new ConfigError(
      `--sink=${uri.raw}: gcl exports Kubernetes events (heapster eventer --sink=gcl); to write metric batches as log entries add option "metrics=true"`,
    );
  }
  const target = parseGoogleTarget(uri, env, onGce);
  return { target, metrics, runtime: target.runtime };
}

/**
 * Sends GclPayloads with WriteLogEntries, filling in the log name and the `global` resource
 * with the project (as the original eventer did). `encode` is the subclass's.
 */
abstract class GclWriter<B> implements ChunkedSink<GclPayload, B> {
  readonly name = 'gcl';
  readonly runtime: RuntimeOptions;
  private readonly api: LoggingApi;

  constructor(config: GclConfig, logger: Logger) {
    this.runtime = config.runtime;
    this.api = new LoggingApi(config.target, logger);
  }

  abstract encode(item: B): Iterable<Chunk<GclPayload>>;

  async write(item: B): Promise<void> {
    for (const c of this.encode(item)) await this.send(c.payload, AbortSignal.timeout(60_000));
  }

  async send(payload: GclPayload, signal: AbortSignal): Promise<void> {
    const project = await this.api.project(signal);
    const name = logName(project, payload.log);
    const resource = { type: 'global', labels: { project_id: project } };
    const entries = payload.entries.map((e) => ({ ...e, logName: name, resource }));
    await this.api.writeLogEntries(entries, signal);
  }

  async close(): Promise<void> {
    await this.api.close();
  }
}

/** Metric batches as entries of log `heapster/metrics`, one per metric set (metrics=true). */
class GclMetricWriter extends GclWriter<Batch> {
  *encode(batch: Batch): Generator<Chunk<GclPayload>, void, undefined> {
    const items = function* (): Generator<{ entry: PartialEntry; points: number }> {
      for (const [key, set] of batch.sets) {
        const points = set.values.size + set.labeled.length;
        if (points > 0) yield { entry: metricSetEntry(key, set, batch.timestampMs), points };
      }
    };
    yield* entryChunks(METRICS_LOG, items(), batch.timestampMs);
  }
}

/** The events of one eventer tick as entries of log `kubernetes.io/events`. */
class GclEventWriter extends GclWriter<readonly KubeEvent[]> {
  *encode(events: readonly KubeEvent[]): Generator<Chunk<GclPayload>, void, undefined> {
    const items = events.map((e) => ({ entry: eventEntry(e), points: 1 }));
    yield* entryChunks(EVENTS_LOG, items, events.at(-1)?.lastTimestampMs ?? NaN);
  }
}

/** What the eventer passes to createGclEventSink besides the URI. */
export interface GclEventSinkContext {
  readonly logger: Logger;
  /** Self-metrics to count in (heapster_sink_* with sink="gcl"); a private set when absent. */
  readonly metrics?: SelfMetrics;
  /** Longest one WriteLogEntries request may take (default 20 s, like --sink_export_data_timeout). */
  readonly writeTimeoutMs?: number;
  /** Longest `close` keeps flushing (default min(writeTimeoutMs, 5 s)). */
  readonly flushTimeoutMs?: number;
}

/**
 * The eventer's `gcl` sink: each event becomes one entry of log `kubernetes.io/events`
 * (resource `global`, severity from the event type, jsonPayload = the event). `write` only
 * queues: the events go through the same runtime as the metric sinks (QueuedSink: bounded
 * queue counted in events, `queue_points`; retries with backoff; INVALID_ARGUMENT and the like
 * are logged and dropped; flush within the deadline on close).
 */
export class GclEventSink implements EventSink {
  readonly name = 'gcl';
  private readonly queue: QueuedSink<readonly KubeEvent[]>;

  constructor(config: GclConfig, ctx: GclEventSinkContext) {
    const logger = ctx.logger.child({ sink: 'gcl' });
    this.queue = new QueuedSink<readonly KubeEvent[]>(new GclEventWriter(config, logger), {
      capacity: 3,
      writeTimeoutMs: ctx.writeTimeoutMs ?? 20_000,
      flushTimeoutMs: ctx.flushTimeoutMs,
      metrics: ctx.metrics ?? new SelfMetrics(),
      logger,
      measure: (events) => ({
        points: events.length,
        timestampMs: events.at(-1)?.lastTimestampMs ?? NaN,
      }),
    });
  }

  /** Events queued or in flight. */
  get queuedEvents(): number {
    return this.queue.queuedPoints;
  }

  write(events: readonly KubeEvent[]): Promise<void> {
    return events.length === 0 ? Promise.resolve() : this.queue.write(events);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/**
 * Factory the eventer calls for `--sink=gcl[:?project=..&endpoint=..&insecure=..&credentials=..]`.
 * Throws ConfigError naming the option (unknown option, no project off GCE, ...).
 */
export function createGclEventSink(uri: ParsedUri, ctx: GclEventSinkContext): GclEventSink {
  return new GclEventSink(parseGclUri(uri, true), ctx);
}

/** Factory of the metric sink `--sink=gcl:?metrics=true` for the registry. */
export function createGclMetricSink(
  uri: ParsedUri,
  ctx: { logger: Logger },
): ChunkedSink<GclPayload> {
  const config = parseGclUri(uri, false);
  return new GclMetricWriter(config, ctx.logger.child({ sink: 'gcl' }));
}
