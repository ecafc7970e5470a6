// The main job: collect, process, store, serve and export until SIGINT/SIGTERM.
import { componentLogger, rootLogger } from './core/log.js';
import { SelfMetrics } from './core/self-metrics.js';
import type { Sink, Source } from './core/contracts.js';
import { ConfigError } from './config/types.js';
import type { Config } from './config/types.js';
import { VERSION } from './config/flags.js';
import { createSource } from './sources/registry.js';
import { createSink } from './sinks/registry.js';
import { defaultProcessors } from './processors/index.js';
import { MemoryStore } from './store/memory-store.js';
import { createStore, recoveryMessage } from './store/create-store.js';
import { Pipeline } from './pipeline/pipeline.js';
import { QueuedSink } from './pipeline/sink-queue.js';
import { createApiServer } from './api/server.js';
import { createHistoricalBackend } from './api/historical-source.js';
import type { ClosableHistoricalBackend } from './api/historical-source.js';
import { loadApiTls } from './api/tls-auth.js';
import type { ApiTlsOptions } from './api/tls-auth.js';
import { clusterViewOf } from './sources/kubernetes/cluster-view.js';
import { untilStopSignal } from './core/stop-signal.js';

/** How stale the latest batch may be before /healthz fails: the original's 3 minutes, or three ticks if longer. */
export function healthMaxDelayMs(cfg: Config): number {
  return Math.max(180_000, 3 * cfg.metricResolutionMs + cfg.scrapeOffsetMs + cfg.scrapeTimeoutMs);
}

/** Runs the main job with a parsed configuration; resolves with the exit code. */
export async function runMain(cfg: Config): Promise<number> {
  const logger = componentLogger('main');
  const metrics = new SelfMetrics({ defaultMetrics: true });
  let sources: Source[];
  let sinks: Sink[];
  let tls: ApiTlsOptions | undefined;
  let historical: ClosableHistoricalBackend | undefined;
  try {
    tls = loadApiTls(cfg);
    if (cfg.historicalSource) historical = createHistoricalBackend(cfg.historicalSource);
    const ctx = {
      nodeName: cfg.nodeName,
      resolutionMs: cfg.metricResolutionMs,
      logger: rootLogger,
    };
    sources = cfg.sources.map((uri) => createSource(uri, ctx));
    // `metric` is the in-memory store behind the API, always on unless --disable_metric_sink.
    sinks = cfg.sinks.filter((uri) => uri.key !== 'metric').map((uri) => createSink(uri, ctx));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`heapster: ${err.message}`);
      return 2;
    }
    throw err;
  }
  // A kubernetes source's discovery feeds the enrichers and the Metrics API.
  const cluster = clusterViewOf(sources);
  const opened = cfg.disableMetricSink
    ? undefined
    : createStore(
        {
          dataDir: cfg.dataDir,
          retentionRawMs: cfg.storeRetentionMs,
          retentionMs: cfg.retentionMs,
        },
        metrics.registry,
        componentLogger('store'),
      );
  const store = opened?.store;
  // While the stored history is read back (a large WAL takes a while), the API answers: the
  // health check and data routes say what is going on, and collection starts afterwards.
  let recovering = opened !== undefined && cfg.dataDir !== '';
  const queued = sinks.map(
    (s) =>
      new QueuedSink(s, {
        capacity: 3,
        writeTimeoutMs: cfg.sinkExportDataTimeoutMs,
        metrics,
        logger: componentLogger(`sink:${s.name}`),
      }),
  );
  const pipeline = new Pipeline({
    sources,
    processors: defaultProcessors({
      cluster,
      labels: { separator: cfg.labelSeparator, ignore: cfg.ignoreLabels, store: cfg.storeLabels },
    }),
    store,
    sinks: queued,
    resolutionMs: cfg.metricResolutionMs,
    scrapeOffsetMs: cfg.scrapeOffsetMs,
    scrapeTimeoutMs: cfg.scrapeTimeoutMs,
    metrics,
    logger: componentLogger('pipeline'),
  });
  const api = createApiServer({
    store: store ?? new MemoryStore({ retentionMs: 0 }),
    selfMetrics: metrics,
    resolutionMs: cfg.metricResolutionMs,
    healthMaxDelayMs: healthMaxDelayMs(cfg),
    logger: componentLogger('api'),
    disableExport: cfg.disableExport,
    historicalSource: cfg.historicalSource,
    historicalBackend: historical,
    tls,
    cluster,
    recovering: () => (recovering && opened ? recoveryMessage(cfg.dataDir, opened) : undefined),
  });
  try {
    await api.listen({ port: cfg.heapsterPort, host: cfg.listenIp || '::' });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal(
      { err: message },
      `cannot serve the API on ${cfg.listenIp || '*'}:${cfg.heapsterPort}: ${message}`,
    );
    opened?.cancel();
    await pipeline.stop();
    await store?.close();
    return 1;
  }
  logger.info(
    {
      version: VERSION,
      sources: cfg.sources.map((s) => s.raw),
      sinks: cfg.sinks.map((s) => s.raw),
      resolutionMs: cfg.metricResolutionMs,
      port: cfg.heapsterPort,
    },
    `heapster ${VERSION} started: ${sources.map((s) => s.name).join(', ')} every ${cfg.metricResolutionMs / 1000}s; API on port ${cfg.heapsterPort}`,
  );
  const stop = untilStopSignal();
  let signal: NodeJS.Signals | undefined;
  if (recovering && opened) {
    opened.start();
    const startedMs = Date.now();
    logger.info(
      { dataDir: cfg.dataDir, bytes: opened.progress.totalBytes },
      `reading the stored history from ${cfg.dataDir} (${(opened.progress.totalBytes / 1e6).toFixed(0)} MB) before collecting; data requests get 503 until then`,
    );
    const read = opened.recovered.then(
      (): undefined => undefined,
      (err: unknown): undefined => {
        const message = err instanceof Error ? err.message : String(err);
        logger.error(
          { dataDir: cfg.dataDir, err: message },
          `reading the stored history from ${cfg.dataDir} failed (${message}); collecting with what was read`,
        );
      },
    );
    signal = await Promise.race([read, stop]);
    if (signal !== undefined) opened.cancel();
    else {
      logger.info(
        { dataDir: cfg.dataDir, ms: Date.now() - startedMs },
        `stored history read in ${((Date.now() - startedMs) / 1000).toFixed(1)} s; collecting`,
      );
    }
    recovering = false;
  }
  if (signal === undefined) {
    pipeline.start();
    signal = await stop;
  }
  logger.info({ signal }, `received ${signal}, shutting down`);
  await pipeline.stop();
  await closeSources(sources);
  await api.close();
  await historical?.close();
  await store?.close();
  logger.info('stopped');
  return 0;
}

/** Releases what sources hold (informers, kubelet connections); errors are logged. */
async function closeSources(sources: readonly Source[]): Promise<void> {
  await Promise.all(
    sources.map(async (s) => {
      const close = (s as { close?: () => Promise<void> }).close;
      if (typeof close !== 'function') return;
      try {
        await close.call(s);
      } catch (err) {
        componentLogger('main').warn(
          { source: s.name, err: String(err) },
          'closing a source failed',
        );
      }
    }),
  );
}
