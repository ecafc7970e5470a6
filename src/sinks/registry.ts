import type { ParsedUri } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import { checkOptions } from '../config/uri.js';
import type { Sink } from '../core/contracts.js';
import type { Logger } from '../core/log.js';
import { LogSink } from './log-sink.js';
import { createInfluxdbSink } from './influxdb-sink.js';
import { createPrometheusSink } from './prometheus-sink.js';
import { createGraphiteSink } from './graphite-sink.js';
import { createOpentsdbSink } from './opentsdb-sink.js';
import { createStatsdSink } from './statsd-sink.js';
import { createGcmSink } from './google/gcm-sink.js';
import { createStackdriverSink } from './google/stackdriver-sink.js';
import { createGclMetricSink } from './google/gcl-sink.js';

/** What a sink factory may use besides its URI. Durations in ms. */
export interface SinkContext {
  nodeName: string;
  resolutionMs: number;
  logger: Logger;
}

/** Creates a sink from its `--sink` URI; throws ConfigError naming the bad option. */
export type SinkFactory = (uri: ParsedUri, ctx: SinkContext) => Sink;

function createLogSink(uri: ParsedUri): Sink {
  checkOptions(uri, [], '--sink');
  return new LogSink();
}

/** The sink registry: `--sink` key → factory. */
export const SINK_FACTORIES: ReadonlyMap<string, SinkFactory> = new Map<string, SinkFactory>([
  ['log', createLogSink],
  ['influxdb', createInfluxdbSink],
  ['prometheus', createPrometheusSink],
  ['graphite', createGraphiteSink],
  ['opentsdb', createOpentsdbSink],
  ['statsd', createStatsdSink],
  ['gcm', createGcmSink],
  ['stackdriver', createStackdriverSink],
  ['gcl', createGclMetricSink],
]);

/**
 * Creates the sink a `--sink` URI names, at start-up. Throws ConfigError naming the flag and
 * value for an unknown sink key or option.
 */
export function createSink(uri: ParsedUri, ctx: SinkContext): Sink {
  const factory = SINK_FACTORIES.get(uri.key);
  if (factory === undefined) {
    const known = [...SINK_FACTORIES.keys()].sort().join(', ');
    throw new ConfigError(`--sink=${uri.raw}: unknown sink "${uri.key}" (known: ${known})`);
  }
  return factory(uri, ctx);
}
