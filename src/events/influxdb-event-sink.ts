// `--sink=influxdb:...` of the eventer: events as InfluxDB points (the original's
// events/sinks/influxdb/influxdb.go schema), sent through the metric influxdb sink.
import type { ParsedUri } from '../config/types.js';
import type { Logger } from '../core/log.js';
import type { Chunk, ChunkedSink, RuntimeOptions } from '../pipeline/sink-queue.js';
import { escapeMeasurement, escapeTag } from '../sinks/influxdb-line-protocol.js';
import { InfluxdbSink, parseInfluxdbUri } from '../sinks/influxdb-sink.js';
import { eventJson } from './decode.js';
import type { KubeEvent } from './types.js';

/** Events per write request (the original eventer's maxSendBatchSize). */
export const INFLUXDB_EVENTS_BATCH = 1000;

/** Measurement of the default schema. */
export const EVENTS_MEASUREMENT = 'log/events';
/** Measurement of the `withfields` schema (the Grafana "Events" dashboard reads it). */
export const EVENTS_MEASUREMENT_WITHFIELDS = 'events';

/** How events are written (the `withfields` and `cluster_name` options of §4.1). */
export interface EventPointOptions {
  readonly withFields: boolean;
  readonly clusterName: string;
}

/** A string field value: `"` and `\` escaped with `\` (line protocol spec); newlines are kept. */
export function escapeStringField(text: string): string {
  return '"' + text.replace(/[\\"]/g, '\\$&') + '"';
}

/**
 * The tags and fields of one event, as the original wrote them.
 * Default: measurement `log/events`, field `value` = the event as indented JSON, tags `uid`,
 * `hostname` (source.host), `cluster_name`, and for events about a Pod `pod_id` and
 * `pod_name` (the involved pod's uid and name).
 * withfields: measurement `events`, field `message`, tags `uid`, `object_name`, `type`,
 * `kind`, `component`, `reason`, `namespace_name`, `hostname`, `cluster_name`, and `pod_id`
 * for Pod events. Empty tag values are left out (InfluxDB drops them too).
 */
export function eventPoint(
  event: KubeEvent,
  opts: EventPointOptions,
): { measurement: string; tags: Record<string, string>; fields: Record<string, string> } {
  const io = event.involvedObject;
  const isPod = io.kind === 'Pod';
  const tags: Record<string, string> = { uid: event.uid };
  if (opts.withFields) {
    if (isPod) tags.pod_id = io.uid ?? '';
    tags.object_name = io.name;
    tags.type = event.type;
    tags.kind = io.kind;
    tags.component = event.sourceComponent;
    tags.reason = event.reason;
    tags.namespace_name = event.namespace;
    tags.hostname = event.sourceHost ?? '';
    tags.cluster_name = opts.clusterName;
    return { measurement: EVENTS_MEASUREMENT_WITHFIELDS, tags, fields: { message: event.message } };
  }
  if (isPod) {
    tags.pod_id = io.uid ?? '';
    tags.pod_name = io.name;
  }
  tags.hostname = event.sourceHost ?? '';
  tags.cluster_name = opts.clusterName;
  return { measurement: EVENTS_MEASUREMENT, tags, fields: { value: eventJson(event) } };
}

/** One event as a line of line protocol (ending in `\n`), time in ms (`precision=ms`). Pure. */
export function eventLine(event: KubeEvent, opts: EventPointOptions): string {
  const p = eventPoint(event, opts);
  let line = escapeMeasurement(p.measurement);
  for (const k of Object.keys(p.tags).sort()) {
    const v = p.tags[k];
    if (v !== '') line += ',' + escapeTag(k) + '=' + escapeTag(v);
  }
  let sep = ' ';
  for (const [k, v] of Object.entries(p.fields)) {
    line += sep + escapeTag(k) + '=' + escapeStringField(v);
    sep = ',';
  }
  return `${line} ${Math.round(event.lastTimestampMs)}\n`;
}

/** Events as line protocol in chunks of at most `maxPoints` lines. Pure. */
export function* eventChunks(
  events: readonly KubeEvent[],
  opts: EventPointOptions,
  maxPoints: number = INFLUXDB_EVENTS_BATCH,
): Generator<{ text: string; points: number; timestampMs: number }, void, undefined> {
  for (let i = 0; i < events.length; i += maxPoints) {
    const slice = events.slice(i, i + maxPoints);
    yield {
      text: slice.map((e) => eventLine(e, opts)).join(''),
      points: slice.length,
      timestampMs: slice[slice.length - 1].lastTimestampMs,
    };
  }
}

/**
 * The eventer's influxdb sink: same URI and options as the metric sink (§4.1, plus v2 and the
 * runtime options `queue_points`, `retry_max_delay`; `disable_counter_metrics` is accepted and
 * has no effect on events). Sending, database and retention-policy creation, the "database not
 * found" retry and the v2 API are the metric sink's own; only the points differ. Driven by the
 * sink runtime (QueuedSink), which counts one event as one point.
 */
export class InfluxdbEventSink implements ChunkedSink<Buffer, readonly KubeEvent[]> {
  readonly name: string;
  readonly runtime: RuntimeOptions;
  private readonly points: EventPointOptions;

  constructor(private readonly base: InfluxdbSink) {
    this.name = base.name;
    this.runtime = base.runtime;
    this.points = { withFields: base.config.withFields, clusterName: base.config.clusterName };
  }

  *encode(events: readonly KubeEvent[]): Generator<Chunk<Buffer>, void, undefined> {
    for (const c of eventChunks(events, this.points)) {
      yield { payload: Buffer.from(c.text), points: c.points, timestampMs: c.timestampMs };
    }
  }

  send(payload: Buffer, signal: AbortSignal): Promise<void> {
    return this.base.send(payload, signal);
  }

  async write(events: readonly KubeEvent[]): Promise<void> {
    for (const c of this.encode(events)) await this.send(c.payload, AbortSignal.timeout(60_000));
  }

  close(): Promise<void> {
    return this.base.close();
  }
}

/** Factory: parses the URI (ConfigError naming a bad or unknown option) and builds the sink. */
export function createInfluxdbEventSink(
  uri: ParsedUri,
  ctx: { logger: Logger },
): InfluxdbEventSink {
  const config = parseInfluxdbUri(uri);
  return new InfluxdbEventSink(new InfluxdbSink(config, ctx.logger.child({ sink: 'influxdb' })));
}
