import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {
  AggregateBucket,
  AggregateQuery,
  Aggregation,
  HistoryStore,
  Point,
  Query,
  Store,
} from '../core/contracts.js';
import { podKey } from '../core/keys.js';
import { metricDescriptor } from '../core/metrics.js';
import { parseDurationMs } from '../config/duration.js';
import { formatRfc3339 } from './rfc3339.js';
import { parseMetricParams, resolveMetricName, resolveModelPath, toMetricResult } from './model.js';
import type { ModelRoute } from './model.js';

/** Path prefix of the historical API (§7.2). */
export const HISTORICAL_PREFIX = '/api/v1/historical';

const AGGREGATIONS: readonly Aggregation[] = [
  'average',
  'max',
  'min',
  'median',
  'count',
  '50-perc',
  '95-perc',
  '99-perc',
];

/** True when a store can answer the historical API. */
export function isHistoryStore(store: Store): store is HistoryStore {
  return typeof (store as Partial<HistoryStore>).queryAggregated === 'function';
}

/** Parses `bucket` (`ms`,`s`,`m`,`h`,`d`; e.g. `5m`, `1d`) into ms; default 1 h. */
export function parseBucketMs(text: string | null): number | { error: string } {
  if (text === null || text === '') return 3_600_000;
  const d = /^(\d+)d$/.exec(text);
  let ms: number;
  try {
    ms = d ? Number(d[1]) * 86_400_000 : parseDurationMs(text);
  } catch {
    return {
      error: `bucket: cannot parse ${JSON.stringify(text)} as a duration (e.g. 5m, 1h, 1d)`,
    };
  }
  if (!(ms >= 1)) return { error: `bucket: ${JSON.stringify(text)} must be at least 1ms` };
  return ms;
}

/** A value in the original's `{"intValue":…}|{"floatValue":…}` form. */
function typed(metric: string, v: number): { intValue: number } | { floatValue: number } {
  const desc = metricDescriptor(metric);
  const isInt = desc ? desc.valueType === 'int64' : Number.isInteger(v);
  return isInt ? { intValue: Math.round(v) } : { floatValue: v };
}

/** The original's aggregation JSON for one bucket, with only the requested aggregations. */
export function toBucketJson(
  metric: string,
  b: AggregateBucket,
  aggs: ReadonlySet<Aggregation>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { timestamp: formatRfc3339(b.startMs) };
  if (aggs.has('count')) out.count = b.count;
  if (aggs.has('average')) out.average = typed(metric, b.average);
  if (aggs.has('max')) out.maximum = typed(metric, b.max);
  if (aggs.has('min')) out.minimum = typed(metric, b.min);
  if (aggs.has('median')) out.median = typed(metric, b.median);
  const pct: Record<string, unknown> = {};
  if (aggs.has('50-perc')) pct['50'] = typed(metric, b.p50);
  if (aggs.has('95-perc')) pct['95'] = typed(metric, b.p95);
  if (aggs.has('99-perc')) pct['99'] = typed(metric, b.p99);
  if (Object.keys(pct).length > 0) out.percentiles = pct;
  return out;
}

/**
 * What the historical API reads from: the embedded store (`storeHistoricalBackend`) or an
 * external database (`--historical_source`, e.g. InfluxDB). Keys are entity keys
 * (src/core/keys.ts) or, for backends with `podIds`, `pod-id:UID` and
 * `pod-id:UID/container:C`. Times in ms, [startMs, endMs] inclusive. Methods reject with a
 * HistoricalSourceError when the backend cannot be reached or fails.
 */
export interface HistoricalBackend {
  /** True when `/pod-id/...` and `/pod-id-list/...` can be answered. */
  readonly podIds: boolean;
  /** Raw points of one metric of one entity, time-sorted. */
  points(q: Query): Promise<Point[]>;
  /** Buckets of one metric of one entity; only the fields of `aggs` need be meaningful. */
  aggregate(q: AggregateQuery, aggs: ReadonlySet<Aggregation>): Promise<AggregateBucket[]>;
  /** A list route (names, nodes, namespaces, pods, containers, freecontainers, allkeys). */
  list(route: HistoricalListRoute): Promise<string[]>;
}

/** The list routes of the historical API. */
export type HistoricalListRoute =
  | Exclude<ModelRoute, { kind: 'metric' } | { kind: 'podList' }>
  | { kind: 'podIdContainers'; podId: string };

/** A backend that cannot be reached or answered with an error; the API answers 502/504. */
export class HistoricalSourceError extends Error {
  constructor(
    message: string,
    /** 502 (bad gateway: down, error answer) or 504 (timeout). */
    readonly status: 502 | 504 = 502,
  ) {
    super(message);
  }
}

/** Key of a pod by uid, for backends with `podIds`. */
export function podIdKey(podId: string, container?: string): string {
  return container === undefined ? `pod-id:${podId}` : `pod-id:${podId}/container:${container}`;
}

/** The embedded store as a historical backend (no pod ids: the store keys pods by name). */
export function storeHistoricalBackend(store: HistoryStore): HistoricalBackend {
  return {
    podIds: false,
    points: async (q) => store.query(q),
    aggregate: async (q) => store.queryAggregated(q),
    list: async (route) => listFor(store, route),
  };
}

/** Dependencies of the historical routes. */
export interface HistoricalRoutesDeps {
  backend: HistoricalBackend;
  now: () => number;
}

type HistoricalRoute =
  | HistoricalListRoute
  | { kind: 'metric'; key: string; metric: string }
  | { kind: 'list'; keys: string[]; metric: string };

/** Resolves the pod-id routes of §7.2 (`pod-id/{uid}/...`, `pod-id-list/{uids}/...`). */
function resolvePodIdPath(segs: readonly string[]): HistoricalRoute | undefined {
  const [a, b, c, d, e] = segs;
  if (b === undefined || b === '') return undefined;
  const tail = (from: number) => {
    const m = segs.slice(from).join('/');
    return m === '' ? undefined : m;
  };
  if (a === 'pod-id-list' && c === 'metrics') {
    const metric = tail(3);
    return metric === undefined
      ? undefined
      : { kind: 'list', keys: b.split(',').map((id) => podIdKey(id)), metric };
  }
  if (a !== 'pod-id') return undefined;
  if (c === 'metrics') {
    const key = podIdKey(b);
    const metric = tail(3);
    return metric === undefined ? { kind: 'names', key } : { kind: 'metric', key, metric };
  }
  if (c === 'containers') {
    if (segs.length === 3) return { kind: 'podIdContainers', podId: b };
    if (d === undefined || d === '' || e !== 'metrics') return undefined;
    const key = podIdKey(b, d);
    const metric = tail(5);
    return metric === undefined ? { kind: 'names', key } : { kind: 'metric', key, metric };
  }
  return undefined;
}

function resolveHistoricalPath(
  segs: readonly string[],
  podIds: boolean,
): HistoricalRoute | undefined {
  if (segs[0] === 'pod-id' || segs[0] === 'pod-id-list') {
    return podIds ? resolvePodIdPath(segs) : undefined;
  }
  const route = resolveModelPath(segs);
  if (route?.kind === 'podList') {
    return {
      kind: 'list',
      keys: route.pods.map((p) => podKey(route.namespace, p)),
      metric: route.metric,
    };
  }
  return route;
}

/**
 * Registers `/api/v1/historical/*` (§7.2) served from `deps.backend`: the Model API paths
 * (raw points as MetricResult), the pod-id paths when the backend knows pod ids, and their
 * `metrics-aggregated/{aggregations}/{metric}` variants (`bucket`, `start`, `end`, `labels`).
 * Bad parameters answer 400 naming the parameter; a backend failure answers 502 (504 on a
 * timeout) with `{"error": ...}` naming the backend.
 */
export function registerHistoricalRoutes(app: FastifyInstance, deps: HistoricalRoutesDeps): void {
  const prefix = HISTORICAL_PREFIX + '/';
  const { backend } = deps;
  app.get(`${HISTORICAL_PREFIX}/*`, async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = req.raw.url ?? req.url;
    const qi = raw.indexOf('?');
    const path = qi < 0 ? raw : raw.slice(0, qi);
    let segs: string[];
    try {
      segs = path
        .slice(prefix.length)
        .split('/')
        .map((s) => decodeURIComponent(s));
    } catch {
      return reply.code(400).send({ error: `bad path encoding: ${path}` });
    }
    if (segs.length > 1 && segs[segs.length - 1] === '') segs.pop();
    // `metrics-aggregated/{aggs}/metric` → `metrics/metric` plus the aggregation list.
    let aggs: Set<Aggregation> | undefined;
    const ai = segs.indexOf('metrics-aggregated');
    if (ai >= 0) {
      const list = (segs[ai + 1] ?? '').split(',');
      const bad = list.find((a) => !AGGREGATIONS.includes(a as Aggregation));
      if (bad !== undefined) {
        return reply.code(400).send({
          error: `aggregations: unknown ${JSON.stringify(bad)} (known: ${AGGREGATIONS.join(',')})`,
        });
      }
      aggs = new Set(list as Aggregation[]);
      segs = [...segs.slice(0, ai), 'metrics', ...segs.slice(ai + 2)];
    }
    const route = resolveHistoricalPath(segs, backend.podIds);
    if (
      route === undefined ||
      (aggs !== undefined && route.kind !== 'metric' && route.kind !== 'list')
    ) {
      reply.callNotFound();
      return reply;
    }
    const query = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
    try {
      if (route.kind !== 'metric' && route.kind !== 'list') return await backend.list(route);
      const params = parseMetricParams(query, deps.now());
      if ('error' in params) return reply.code(400).send({ error: params.error });
      const metric = resolveMetricName(route.metric);
      let read: (key: string) => Promise<unknown>;
      if (aggs === undefined) {
        read = async (key) =>
          toMetricResult(metric, await backend.points({ key, metric, ...params }));
      } else {
        const stepMs = parseBucketMs(query.get('bucket'));
        if (typeof stepMs !== 'number') return reply.code(400).send(stepMs);
        const a = aggs;
        read = async (key) => ({
          buckets: (await backend.aggregate({ key, metric, ...params, stepMs }, a)).map((b) =>
            toBucketJson(metric, b, a),
          ),
          bucketSize: stepMs * 1e6,
        });
      }
      return route.kind === 'metric'
        ? await read(route.key)
        : { items: await Promise.all(route.keys.map(read)) };
    } catch (err) {
      if (!(err instanceof HistoricalSourceError)) throw err;
      req.log.warn({ err: err.message }, `historical API: ${err.message}`);
      return reply.code(err.status).send({ error: err.message });
    }
  });
}

/** Lists of the historical API, from every entity key with history. */
function listFor(store: HistoryStore, route: HistoricalListRoute): string[] {
  const keys = store.keys();
  const parts = (k: string) => k.split('/').map((p) => p.split(':'));
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  switch (route.kind) {
    case 'names':
      return store.metricNames(route.key);
    case 'nodes':
      return uniq(keys.filter((k) => /^node:[^/]+$/.test(k)).map((k) => k.slice(5)));
    case 'namespaces':
      return uniq(keys.filter((k) => /^namespace:[^/]+$/.test(k)).map((k) => k.slice(10)));
    case 'pods':
      return uniq(
        keys
          .map(parts)
          .filter((p) => p.length === 2 && p[0][1] === route.namespace && p[1][0] === 'pod')
          .map((p) => p[1][1]),
      );
    case 'containers':
      return uniq(
        keys
          .map(parts)
          .filter((p) => p.length === 3 && p[0][1] === route.namespace && p[1][1] === route.pod)
          .map((p) => p[2].slice(1).join(':')),
      );
    case 'freecontainers':
      return uniq(
        keys
          .filter((k) => k.startsWith(`node:${route.node}/container:`))
          .map((k) => k.slice(`node:${route.node}/container:`.length)),
      );
    case 'allkeys':
      return keys;
    default:
      return [];
  }
}
