import { gzipSync } from 'node:zlib';
import { LogController, fastify } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Store } from '../core/contracts.js';
import type { Logger } from '../core/log.js';
import type { SelfMetrics } from '../core/self-metrics.js';
import { cutConnectionsOnClose } from '../core/close-grace.js';
import { registerDashboardRoutes } from './dashboard.js';
import { registerExportRoutes } from './export.js';
import { registerFederateRoutes } from './federate.js';
import { registerHealthRoutes } from './health.js';
import { renderIndexPage } from './index-page.js';
import { registerModelRoutes } from './model.js';
import type { HistoricalBackend } from './historical.js';
import { isHistoryStore, registerHistoricalRoutes, storeHistoricalBackend } from './historical.js';
import { registerMetricsApiRoutes } from './metrics-api.js';
import type { ApiTlsOptions } from './tls-auth.js';
import { httpsServerOptions, registerClientCertCheck } from './tls-auth.js';
import type { ClusterView } from '../sources/kubernetes/cluster-view.js';

/** Dependencies of the HTTP API. Durations in ms. */
export interface ApiServerDeps {
  store: Store;
  selfMetrics: SelfMetrics;
  /** Metric resolution, shown on the index page. */
  resolutionMs: number;
  /** `/healthz` fails when the latest batch is older than this (original: 3 min). */
  healthMaxDelayMs: number;
  logger: Logger;
  /** `--disable_export`: `/api/v1/metric-export` answers `[]`. */
  disableExport?: boolean;
  /** `--historical_source`: when set, the historical API is not served from the store. */
  historicalSource?: string;
  /** The backend of `--historical_source` (e.g. InfluxDB); serves `/api/v1/historical`. */
  historicalBackend?: HistoricalBackend;
  /** Clock (ms since epoch), for tests. */
  now?: () => number;
  /** Serve HTTPS (`--tls_cert`/`--tls_key`), with client-certificate checks when it has a CA. */
  tls?: ApiTlsOptions;
  /** Discovery caches of a kubernetes source, for the Metrics API. */
  cluster?: ClusterView;
  /** On close, how long requests in flight may finish before all connections are cut. */
  closeGraceMs?: number;
  /**
   * While the store reads its files back at start: what to tell clients, else undefined. Data
   * routes then answer 503 with it and `/healthz` fails with it; the dashboard's files and
   * `/metrics` are served.
   */
  recovering?: () => string | undefined;
}

/** Routes served while the store recovers (they read no stored data, or say it recovers). */
const SERVED_WHILE_RECOVERING = /^\/(healthz|metrics|plain|ui\/[^/?]*)?(\?.*)?$/;

/** Responses at least this large are gzipped when the client accepts it. */
const GZIP_MIN_BYTES = 1024;

/** True when an Accept-Encoding header allows gzip (`gzip` or `*` with q > 0). */
export function acceptsGzip(header: string): boolean {
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'gzip' && name !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/**
 * Builds the HTTP API (not listening; the caller calls `listen`): `/` (web dashboard), `/plain`
 * (plain index page), the Model API under `/api/v1/model`, `/api/v1/metric-export[-schema]`, `/healthz` and `/metrics`.
 * Trailing slashes are optional; responses ≥ 1 KiB are gzipped for clients that accept it.
 * Request logging is off (the API is polled); errors still go to `logger`.
 */
export function createApiServer(deps: ApiServerDeps): FastifyInstance {
  const now = deps.now ?? Date.now;
  const app = fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
    ...(deps.tls ? { https: httpsServerOptions(deps.tls) } : {}),
  }) as unknown as FastifyInstance;
  if (deps.tls) registerClientCertCheck(app, deps.tls);
  const recovering = deps.recovering;
  if (recovering !== undefined) {
    app.addHook('onRequest', async (req, reply) => {
      const message = recovering();
      if (message === undefined || SERVED_WHILE_RECOVERING.test(req.url)) return;
      reply.header('retry-after', '5');
      // A Kubernetes Status (kubectl prints its message); `error` for the dashboard's client.
      return reply.code(503).send({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason: 'ServiceUnavailable',
        code: 503,
        error: message,
      });
    });
  }

  app.addHook('onSend', async (req, reply, payload) => {
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    const accept = req.headers['accept-encoding'];
    if (typeof accept !== 'string' || !acceptsGzip(accept)) return payload;
    if (reply.hasHeader('content-encoding')) return payload;
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (size < GZIP_MIN_BYTES) return payload;
    reply.header('content-encoding', 'gzip');
    reply.header('vary', 'accept-encoding');
    reply.removeHeader('content-length');
    return gzipSync(payload);
  });

  app.get('/plain', async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(renderIndexPage({ resolutionMs: deps.resolutionMs, latest: deps.store.latest() })),
  );
  registerHealthRoutes(app, {
    store: deps.store,
    selfMetrics: deps.selfMetrics,
    healthMaxDelayMs: deps.healthMaxDelayMs,
    now,
    recovering,
  });
  registerExportRoutes(app, { store: deps.store, disableExport: deps.disableExport ?? false });
  registerModelRoutes(app, { store: deps.store, now });
  if (deps.historicalBackend) {
    registerHistoricalRoutes(app, { backend: deps.historicalBackend, now });
  } else if (!deps.historicalSource && isHistoryStore(deps.store)) {
    registerHistoricalRoutes(app, { backend: storeHistoricalBackend(deps.store), now });
  }
  registerMetricsApiRoutes(app, {
    store: deps.store,
    cluster: deps.cluster,
    resolutionMs: deps.resolutionMs,
    now,
  });
  registerDashboardRoutes(app, {
    store: deps.store,
    resolutionMs: deps.resolutionMs,
    now,
    logger: deps.logger,
  });
  registerFederateRoutes(app, { store: deps.store });
  cutConnectionsOnClose(app, deps.closeGraceMs);
  return app;
}
