import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AggregateBucket, Aggregation, HistoryStore, Store } from '../core/contracts.js';
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

/** Dependencies of the historical routes. */
export interface HistoricalRoutesDeps {
  store: HistoryStore;
  now: () => number;
}

/**
 * Registers `/api/v1/historical/*` (§7.2) served from the embedded store: the Model API paths
 * (raw points as MetricResult) and their `metrics-aggregated/{aggregations}/{metric}` variants
 * (`bucket`, `start`, `end`, `labels`). Lists (nodes, namespaces, ...) come from every entity
 * with stored history. Bad parameters answer 400 naming the parameter.
 */
export function registerHistoricalRoutes(app: FastifyInstance, deps: HistoricalRoutesDeps): void {
  const prefix = HISTORICAL_PREFIX + '/';
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
    const route = resolveModelPath(segs);
    if (
      route === undefined ||
      (aggs !== undefined && route.kind !== 'metric' && route.kind !== 'podList')
    ) {
      reply.callNotFound();
      return reply;
    }
    const query = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
    if (route.kind !== 'metric' && route.kind !== 'podList') return listFor(deps.store, route);
    const params = parseMetricParams(query, deps.now());
    if ('error' in params) return reply.code(400).send({ error: params.error });
    const metric = resolveMetricName(route.metric);
    const keys =
      route.kind === 'metric' ? [route.key] : route.pods.map((p) => podKey(route.namespace, p));
    let read: (key: string) => unknown;
    if (aggs === undefined) {
      read = (key) => toMetricResult(metric, deps.store.query({ key, metric, ...params }));
    } else {
      const stepMs = parseBucketMs(query.get('bucket'));
      if (typeof stepMs !== 'number') return reply.code(400).send(stepMs);
      const a = aggs;
      read = (key) => ({
        buckets: deps.store
          .queryAggregated({ key, metric, ...params, stepMs })
          .map((b) => toBucketJson(metric, b, a)),
        bucketSize: stepMs * 1e6,
      });
    }
    return route.kind === 'metric' ? read(route.key) : { items: keys.map(read) };
  });
}

/** Lists of the historical API, from every entity key with history. */
function listFor(store: HistoryStore, route: ModelRoute): unknown {
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
