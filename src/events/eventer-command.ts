// `heapster eventer`: Kubernetes events to log, InfluxDB and Cloud Logging (§1.3).
import { fastify } from 'fastify';
import { VERSION } from '../config/flags.js';
import { ConfigError } from '../config/types.js';
import { cutConnectionsOnClose } from '../core/close-grace.js';
import { componentLogger } from '../core/log.js';
import { QueuedSink, isChunkedSink } from '../pipeline/sink-queue.js';
import type { EventerConfig } from './eventer-flags.js';
import { eventerHelp, parseEventerFlags } from './eventer-flags.js';
import { EventerMetrics } from './eventer-metrics.js';
import { Eventer } from './eventer.js';
import { createEventSink, queuesItself } from './event-sinks.js';
import type { EventSinkLike } from './event-sinks.js';
import { createKubernetesEventSource } from './kubernetes-event-source.js';
import type { KubernetesEventSource } from './kubernetes-event-source.js';
import type { KubeEvent } from './types.js';
import { untilStopSignal } from '../core/stop-signal.js';

/** The original eventer's DefaultSinkExportEventsTimeout: the longest one write may take. */
const WRITE_TIMEOUT_MS = 20_000;
/** Ticks a plain sink (log) may fall behind before the oldest waiting tick is dropped. */
const PLAIN_SINK_TICKS = 100;

type Events = readonly KubeEvent[];

const printOut = (text: string): boolean => process.stdout.write(`${text}\n`);
const printErr = (text: string): boolean => process.stderr.write(`${text}\n`);

function measure(events: Events): { points: number; timestampMs: number } {
  return { points: events.length, timestampMs: events.at(-1)?.lastTimestampMs ?? NaN };
}

/** A plain sink that also counts the events it wrote (point sinks are counted by the runtime). */
function counted(sink: EventSinkLike, metrics: EventerMetrics): EventSinkLike {
  return {
    name: sink.name,
    async write(events) {
      await sink.write(events);
      metrics.self.sinkPointsWritten.inc({ sink: sink.name }, events.length);
    },
    close: () => sink.close(),
  };
}

/**
 * Runs the eventer until SIGINT/SIGTERM. Returns the exit code: 0 after a clean stop (the last
 * events flushed), 2 for a bad flag or option (the message names it), 1 when the healthz port
 * cannot be bound.
 */
export async function eventerCommand(argv: string[]): Promise<number> {
  let cfg: EventerConfig;
  try {
    cfg = parseEventerFlags(argv);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    printErr(`heapster eventer: ${err.message}`);
    return 2;
  }
  if (cfg.help) {
    printOut(eventerHelp().trimEnd());
    return 0;
  }
  if (cfg.version) {
    printOut(`heapster eventer version ${VERSION}`);
    return 0;
  }
  const logger = componentLogger('eventer');
  const metrics = new EventerMetrics({ processMetrics: true });
  const startMs = Date.now();
  let source: KubernetesEventSource;
  let sinks: EventSinkLike[];
  try {
    source = createKubernetesEventSource(cfg.source, {
      logger: componentLogger('events-source'),
      metrics,
      initialCutoffMs: startMs - cfg.frequencyMs,
    });
    sinks = [];
    for (const uri of cfg.sinks) {
      sinks.push(
        await createEventSink(uri, {
          logger: componentLogger('eventer-sink'),
          metrics: metrics.self,
          writeTimeoutMs: WRITE_TIMEOUT_MS,
        }),
      );
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    printErr(`heapster eventer: ${err.message}`);
    return 2;
  }
  if (sinks.length === 0) logger.warn('no --sink given: events are read and dropped');
  const queued = sinks.map((s) =>
    queuesItself(s)
      ? s
      : new QueuedSink<Events>(isChunkedSink(s) ? s : counted(s, metrics), {
          capacity: PLAIN_SINK_TICKS,
          writeTimeoutMs: WRITE_TIMEOUT_MS,
          metrics: metrics.self,
          logger: componentLogger(`sink:${s.name}`),
          measure,
        }),
  );
  const eventer = new Eventer({
    feed: source,
    sinks: queued,
    frequencyMs: cfg.frequencyMs,
    metrics,
    logger,
  });

  const app = fastify({ logger: false });
  cutConnectionsOnClose(app);
  app.get('/healthz', async (_req, reply) => {
    const health = eventer.health();
    reply.type('text/plain; charset=utf-8');
    if (health.ok) return 'ok';
    return reply.code(500).send(health.reason);
  });
  app.get('/metrics', async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
  try {
    await app.listen({ port: cfg.healthzPort, host: cfg.healthzIp });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal(
      { err: message },
      `cannot serve /healthz on ${cfg.healthzIp}:${cfg.healthzPort}: ${message}`,
    );
    await Promise.all(sinks.map((s) => s.close()));
    return 1;
  }
  const bound = app.server.address();
  const healthz =
    bound !== null && typeof bound === 'object'
      ? `${bound.address}:${bound.port}`
      : `${cfg.healthzIp}:${cfg.healthzPort}`;
  source.start();
  eventer.start();
  logger.info(
    {
      version: VERSION,
      source: cfg.source.raw,
      sinks: cfg.sinks.map((s) => s.raw),
      frequencyMs: cfg.frequencyMs,
      healthz,
    },
    `eventer ${VERSION} started: events every ${cfg.frequencyMs / 1000}s to ${sinks.map((s) => s.name).join(', ') || 'no sink'}; /healthz on ${healthz}`,
  );

  const signal = await untilStopSignal();
  logger.info({ signal }, `received ${signal}, flushing and shutting down`);
  await source.stop();
  await eventer.stop();
  await app.close();
  logger.info('stopped');
  return 0;
}
