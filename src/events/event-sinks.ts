// The eventer's sink registry: `--sink` key → factory.
import type { ParsedUri } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import { checkOptions } from '../config/uri.js';
import type { Logger } from '../core/log.js';
import type { SelfMetrics } from '../core/self-metrics.js';
import type { SinkOf } from '../pipeline/sink-queue.js';
import { createInfluxdbEventSink } from './influxdb-event-sink.js';
import { LogEventSink } from './log-event-sink.js';
import type { KubeEvent } from './types.js';

/** A sink of the eventer: an EventSink, or a ChunkedSink of event lists for the sink runtime. */
export type EventSinkLike = SinkOf<readonly KubeEvent[]>;

/** What an event sink factory may use besides its URI. */
export interface EventSinkContext {
  readonly logger: Logger;
  /** The sink runtime's metrics (for sinks that run their own queue). */
  readonly metrics: SelfMetrics;
  /** Longest one write request may take, ms. */
  readonly writeTimeoutMs: number;
}

type Factory = (uri: ParsedUri, ctx: EventSinkContext) => EventSinkLike | Promise<EventSinkLike>;

/** Sinks the original eventer had that need servers that cannot run here. */
const NOT_SUPPORTED = ['elasticsearch', 'kafka', 'riemann', 'honeycomb'];

/** Sinks that queue and retry on their own (the eventer must not queue them again). */
const SELF_QUEUED = new WeakSet<EventSinkLike>();

/** True when `sink` has its own sink runtime queue (gcl). */
export function queuesItself(sink: EventSinkLike): boolean {
  return SELF_QUEUED.has(sink);
}

/** gcl is built in src/sinks/google; loaded on demand (its client library is large). */
async function createGcl(uri: ParsedUri, ctx: EventSinkContext): Promise<EventSinkLike> {
  const { createGclEventSink } = await import('../sinks/google/gcl-sink.js');
  const sink = createGclEventSink(uri, {
    logger: ctx.logger,
    metrics: ctx.metrics,
    writeTimeoutMs: ctx.writeTimeoutMs,
  });
  SELF_QUEUED.add(sink);
  return sink;
}

const FACTORIES: ReadonlyMap<string, Factory> = new Map<string, Factory>([
  [
    'log',
    (uri) => {
      checkOptions(uri, [], '--sink');
      return new LogEventSink();
    },
  ],
  ['influxdb', createInfluxdbEventSink],
  ['gcl', createGcl],
]);

/** Keys the eventer knows, sorted. */
export function eventSinkKeys(): string[] {
  return [...FACTORIES.keys()].sort();
}

/**
 * Creates the event sink a `--sink` URI names, at start-up. Throws (rejects with) ConfigError
 * naming the flag value for an unknown key or a bad or unknown option.
 */
export async function createEventSink(
  uri: ParsedUri,
  ctx: EventSinkContext,
): Promise<EventSinkLike> {
  const factory = FACTORIES.get(uri.key);
  if (factory === undefined) {
    const why = NOT_SUPPORTED.includes(uri.key) ? ' is not supported yet' : ' is unknown';
    throw new ConfigError(
      `--sink=${uri.raw}: event sink "${uri.key}"${why} (known: ${eventSinkKeys().join(', ')})`,
    );
  }
  return factory(uri, ctx);
}
