import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Store } from '../core/contracts.js';
import type { Logger } from '../core/log.js';
import { dashboardBundle } from './dashboard-bundle.js';
import {
  DashboardData,
  DashboardRequestError,
  parseEntitiesQuery,
  parseTimeRange,
} from './dashboard-data.js';
import { escapeHtml } from './index-page.js';

/** Path prefix of the dashboard's JSON API. */
export const DASHBOARD_API_PREFIX = '/api/v1/dashboard';

/** Dependencies of the dashboard routes. */
export interface DashboardDeps {
  store: Store;
  resolutionMs: number;
  now: () => number;
  logger: Logger;
}

type Query = Record<string, string | undefined>;

function fail(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof DashboardRequestError)
    return reply.code(err.statusCode).send({ error: err.message });
  throw err;
}

function unavailablePage(error: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Heapster dashboard unavailable</title></head>
<body><h1>Heapster dashboard unavailable</h1>
<p role="alert">The dashboard bundle could not be loaded: ${escapeHtml(error)}.</p>
<p>Build it with <code>node scripts/build-ui.mjs</code> (needs the <code>esbuild</code> package), then restart.
The APIs work without it: <a href="plain">plain index</a>, <a href="api/v1/model/debug/allkeys">/api/v1/model/debug/allkeys</a>, <a href="healthz">/healthz</a>.</p>
</body></html>
`;
}

/**
 * Registers the web dashboard: `/` (its page), `/ui/app.js`, `/ui/app.css` and the JSON API
 * under `/api/v1/dashboard/` (`status`, `entities`, `entity`; see ui/API.md). The bundle is
 * built in memory when the server starts listening (or on the first request); when it cannot
 * be built or found, `/` answers 503 with a page saying why and how to fix it. Bad query
 * parameters answer 400 `{ error }` naming the parameter; an unknown entity 404.
 */
export function registerDashboardRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  const data = new DashboardData(deps);
  app.addHook('onListen', async () => {
    const bundle = await dashboardBundle();
    if (!bundle.ok)
      deps.logger.warn({ err: bundle.error }, `dashboard unavailable: ${bundle.error}`);
  });

  const asset = async (name: string, reply: FastifyReply) => {
    const bundle = await dashboardBundle();
    if (!bundle.ok) {
      if (name !== 'index.html') return reply.code(404).send({ error: bundle.error });
      return reply.code(503).type('text/html; charset=utf-8').send(unavailablePage(bundle.error));
    }
    const file = bundle.files.get(name);
    if (file === undefined) return reply.code(404).send({ error: `no such file: ${name}` });
    return reply.header('cache-control', 'no-cache').type(file.type).send(file.body);
  };
  app.get('/', async (_req, reply) => asset('index.html', reply));
  app.get<{ Params: { file: string } }>('/ui/:file', async (req, reply) =>
    asset(req.params.file, reply),
  );

  app.get(`${DASHBOARD_API_PREFIX}/status`, async () => data.status());
  app.get<{ Querystring: Query }>(`${DASHBOARD_API_PREFIX}/entities`, async (req, reply) => {
    try {
      return data.entities(parseEntitiesQuery(req.query, deps.now()));
    } catch (err) {
      return fail(reply, err);
    }
  });
  app.get<{ Querystring: Query }>(`${DASHBOARD_API_PREFIX}/entity`, async (req, reply) => {
    try {
      const key = req.query.key;
      if (!key) throw new DashboardRequestError('key: missing');
      return data.entity(key, parseTimeRange(req.query, deps.now()));
    } catch (err) {
      return fail(reply, err);
    }
  });
}
