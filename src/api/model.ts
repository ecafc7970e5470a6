import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Batch } from '../core/batch.js';
import type { Point, Store } from '../core/contracts.js';
import {
  CLUSTER_KEY,
  namespaceKey,
  nodeKey,
  parseEntityKey,
  podContainerKey,
  podKey,
  sysContainerKey,
} from '../core/keys.js';
import { LABEL_HOSTNAME, LABEL_TYPE } from '../core/labels.js';
import { metricDescriptor } from '../core/metrics.js';
import { GO_ZERO_TIME, GO_ZERO_TIME_MS, formatRfc3339, parseRfc3339 } from './rfc3339.js';

/** Path prefix of the Model API. */
export const MODEL_PREFIX = '/api/v1/model';

/** Deprecated metric names the original accepted (`metricNamesConversion`). */
export const METRIC_ALIASES: ReadonlyMap<string, string> = new Map([
  ['cpu-usage', 'cpu/usage_rate'],
  ['cpu-limit', 'cpu/limit'],
  ['memory-limit', 'memory/limit'],
  ['memory-usage', 'memory/usage'],
  ['memory-working', 'memory/working_set'],
]);

/** One point of a MetricResult; `floatValue` only for double values. */
export interface MetricPointJson {
  timestamp: string;
  value: number;
  floatValue?: number;
}

/** `types.MetricResult` of the original. */
export interface MetricResultJson {
  metrics: MetricPointJson[];
  latestTimestamp: string;
}

/** A resolved Model API path. */
export type ModelRoute =
  | { kind: 'names'; key: string }
  | { kind: 'metric'; key: string; metric: string }
  | { kind: 'podList'; namespace: string; pods: string[]; metric: string }
  | { kind: 'nodes' }
  | { kind: 'namespaces' }
  | { kind: 'pods'; namespace: string }
  | { kind: 'containers'; namespace: string; pod: string }
  | { kind: 'freecontainers'; node: string }
  | { kind: 'allkeys' };

/** Metric name after the deprecated aliases (`cpu-usage` → `cpu/usage_rate`). */
export function resolveMetricName(name: string): string {
  return METRIC_ALIASES.get(name) ?? name;
}

/**
 * Rounds half away from zero, as a float-to-int conversion should (and unlike the original,
 * which truncated and then wrapped negatives through uint64).
 */
export function roundValue(v: number): number {
  const r = Math.sign(v) * Math.round(Math.abs(v));
  return r === 0 ? 0 : r;
}

/**
 * Converts stored points of `metric` into the original's MetricResult JSON: `value` is the
 * integer value (rounded half away from zero, negatives kept), `floatValue` the exact value for
 * double metrics (catalogue `double`, or a non-integer value of a metric the catalogue does not
 * know). `latestTimestamp` is the last point's time, Go's zero time when there are none.
 */
export function toMetricResult(metric: string, points: readonly Point[]): MetricResultJson {
  const desc = metricDescriptor(metric);
  const metrics: MetricPointJson[] = [];
  let latestMs = GO_ZERO_TIME_MS;
  for (const p of points) {
    const isDouble = desc ? desc.valueType === 'double' : !Number.isInteger(p.value);
    const out: MetricPointJson = {
      timestamp: formatRfc3339(p.timestampMs),
      value: roundValue(p.value),
    };
    if (isDouble) out.floatValue = p.value;
    metrics.push(out);
    if (p.timestampMs > latestMs) latestMs = p.timestampMs;
  }
  return {
    metrics,
    latestTimestamp: metrics.length === 0 ? GO_ZERO_TIME : formatRfc3339(latestMs),
  };
}

function metricTail(segs: readonly string[], from: number): string | undefined {
  const name = segs.slice(from).join('/');
  return name === '' ? undefined : name;
}

/**
 * Resolves the decoded path segments after `/api/v1/model/` (trailing empty segment already
 * removed) into a route; undefined when no route matches. Metric names are the remaining
 * segments joined by `/`; a free container name is everything between `freecontainers/` and the
 * last `metrics` segment, so both raw and %2F-encoded `/` in it work.
 */
export function resolveModelPath(segs: readonly string[]): ModelRoute | undefined {
  if (segs.some((s, i) => s === '' && i < 3)) return undefined;
  const [a, b, c, d, e, f, g] = segs;
  const n = segs.length;
  switch (a) {
    case 'metrics': {
      const metric = metricTail(segs, 1);
      return metric === undefined
        ? { kind: 'names', key: CLUSTER_KEY }
        : { kind: 'metric', key: CLUSTER_KEY, metric };
    }
    case 'nodes': {
      if (n === 1) return { kind: 'nodes' };
      if (c === 'metrics') {
        const key = nodeKey(b);
        const metric = metricTail(segs, 3);
        return metric === undefined ? { kind: 'names', key } : { kind: 'metric', key, metric };
      }
      if (c === 'freecontainers') {
        if (n === 3) return { kind: 'freecontainers', node: b };
        const rest = segs.slice(3);
        const m = rest.lastIndexOf('metrics');
        if (m < 1) return undefined;
        const container = rest.slice(0, m).join('/');
        if (container === '' || rest.slice(0, m).includes('')) return undefined;
        const key = sysContainerKey(b, container);
        const metric = metricTail(rest, m + 1);
        return metric === undefined ? { kind: 'names', key } : { kind: 'metric', key, metric };
      }
      return undefined;
    }
    case 'namespaces': {
      if (n === 1) return { kind: 'namespaces' };
      if (c === 'metrics') {
        const key = namespaceKey(b);
        const metric = metricTail(segs, 3);
        return metric === undefined ? { kind: 'names', key } : { kind: 'metric', key, metric };
      }
      if (c === 'pods') {
        if (n === 3) return { kind: 'pods', namespace: b };
        if (d === '') return undefined;
        if (e === 'metrics') {
          const key = podKey(b, d);
          const metric = metricTail(segs, 5);
          return metric === undefined ? { kind: 'names', key } : { kind: 'metric', key, metric };
        }
        if (e === 'containers') {
          if (n === 5) return { kind: 'containers', namespace: b, pod: d };
          if (f === '' || g !== 'metrics') return undefined;
          const key = podContainerKey(b, d, f);
          const metric = metricTail(segs, 7);
          return metric === undefined ? { kind: 'names', key } : { kind: 'metric', key, metric };
        }
        return undefined;
      }
      if (c === 'pod-list' && d !== undefined && d !== '' && e === 'metrics') {
        const metric = metricTail(segs, 5);
        if (metric === undefined) return undefined;
        return { kind: 'podList', namespace: b, pods: d.split(','), metric };
      }
      return undefined;
    }
    case 'debug':
      return n === 2 && b === 'allkeys' ? { kind: 'allkeys' } : undefined;
    default:
      return undefined;
  }
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** Node names listed by `/nodes/`: the `hostname` label of node sets (node name if missing). */
export function listNodes(batch: Batch | undefined): string[] {
  if (batch === undefined) return [];
  const out: string[] = [];
  for (const [key, set] of batch.sets) {
    const e = parseEntityKey(key);
    if (e?.type !== 'node' && set.labels[LABEL_TYPE] !== 'node') continue;
    const host = set.labels[LABEL_HOSTNAME];
    if (host) out.push(host);
    else if (e?.type === 'node') out.push(e.node);
  }
  return sortedUnique(out);
}

/** Namespace names of the `namespace:NS` sets of a batch. */
export function listNamespaces(batch: Batch | undefined): string[] {
  if (batch === undefined) return [];
  const out: string[] = [];
  for (const key of batch.sets.keys()) {
    const e = parseEntityKey(key);
    if (e?.type === 'ns') out.push(e.namespace);
  }
  return sortedUnique(out);
}

/** Pod names of the pod sets of a namespace. */
export function listPods(batch: Batch | undefined, namespace: string): string[] {
  if (batch === undefined) return [];
  const out: string[] = [];
  for (const key of batch.sets.keys()) {
    const e = parseEntityKey(key);
    if (e?.type === 'pod' && e.namespace === namespace) out.push(e.pod);
  }
  return sortedUnique(out);
}

/** Container names of the pod-container sets of a pod. */
export function listContainers(batch: Batch | undefined, namespace: string, pod: string): string[] {
  if (batch === undefined) return [];
  const out: string[] = [];
  for (const key of batch.sets.keys()) {
    const e = parseEntityKey(key);
    if (e?.type === 'pod_container' && e.namespace === namespace && e.pod === pod) {
      out.push(e.container);
    }
  }
  return sortedUnique(out);
}

/** System containers of a node: those whose `hostname` label or key node equals `node`. */
export function listFreeContainers(batch: Batch | undefined, node: string): string[] {
  if (batch === undefined) return [];
  const out: string[] = [];
  for (const [key, set] of batch.sets) {
    const e = parseEntityKey(key);
    if (e?.type !== 'sys_container') continue;
    if (e.node === node || set.labels[LABEL_HOSTNAME] === node) out.push(e.container);
  }
  return sortedUnique(out);
}

/** Parsed query parameters of a metric request. Times in ms, inclusive. */
export interface MetricParams {
  startMs: number;
  endMs: number;
  labels?: Record<string, string>;
}

/**
 * Parses `start`, `end` (RFC3339; defaults Go's zero time and `nowMs`) and `labels`
 * (`k:v,k2:v2`; a value may contain `:`). Returns an error message naming the parameter and
 * value when one is malformed or an explicit start is after an explicit end. Unknown parameters
 * are ignored.
 */
export function parseMetricParams(
  query: URLSearchParams,
  nowMs: number,
): MetricParams | { error: string } {
  const startText = query.get('start') ?? '';
  const endText = query.get('end') ?? '';
  const startMs = startText === '' ? GO_ZERO_TIME_MS : parseRfc3339(startText);
  if (startMs === undefined) {
    return { error: `start: cannot parse ${JSON.stringify(startText)} as an RFC3339 time` };
  }
  const endMs = endText === '' ? nowMs : parseRfc3339(endText);
  if (endMs === undefined) {
    return { error: `end: cannot parse ${JSON.stringify(endText)} as an RFC3339 time` };
  }
  // Only explicit bounds can contradict each other; a start after the default end (now) just
  // selects nothing.
  if (startText !== '' && endText !== '' && startMs > endMs) {
    return {
      error: `start (${formatRfc3339(startMs)}) is after end (${formatRfc3339(endMs)})`,
    };
  }
  const labelsText = query.get('labels') ?? '';
  if (labelsText === '') return { startMs, endMs };
  const labels: Record<string, string> = {};
  for (const pair of labelsText.split(',')) {
    const colon = pair.indexOf(':');
    const k = colon < 0 ? '' : pair.slice(0, colon);
    if (k === '' || Object.hasOwn(labels, k)) {
      return {
        error: `labels: invalid label pair ${JSON.stringify(pair)} in ${JSON.stringify(labelsText)} (want k:v,k2:v2 with distinct keys)`,
      };
    }
    labels[k] = pair.slice(colon + 1);
  }
  return { startMs, endMs, labels };
}

/** Splits a raw request path into decoded segments; undefined when a segment is badly encoded. */
function splitPath(rawPath: string): string[] | undefined {
  const segs = rawPath.split('/');
  if (segs.length > 1 && segs[segs.length - 1] === '') segs.pop();
  try {
    return segs.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

/** Dependencies of the Model API routes. */
export interface ModelRoutesDeps {
  store: Store;
  now: () => number;
}

/**
 * Registers `/api/v1/model/*` (§7.1). The raw URL is parsed here (not by the router) so that
 * names holding `/` work both raw and %2F-encoded. Lists come from the latest batch; metric
 * results from the store. Bad parameters answer 400 `{"error": ...}`; unknown keys and metrics
 * answer 200 with an empty result.
 */
export function registerModelRoutes(app: FastifyInstance, deps: ModelRoutesDeps): void {
  const prefix = MODEL_PREFIX + '/';
  app.get(`${MODEL_PREFIX}/*`, async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = req.raw.url ?? req.url;
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const segs = path.startsWith(prefix) ? splitPath(path.slice(prefix.length)) : undefined;
    if (segs === undefined) return reply.code(400).send({ error: `bad path encoding: ${path}` });
    const route = resolveModelPath(segs);
    if (route === undefined) {
      reply.callNotFound();
      return reply;
    }
    const latest = deps.store.latest();
    switch (route.kind) {
      case 'names':
        return deps.store.metricNames(route.key);
      case 'nodes':
        return listNodes(latest);
      case 'namespaces':
        return listNamespaces(latest);
      case 'pods':
        return listPods(latest, route.namespace);
      case 'containers':
        return listContainers(latest, route.namespace, route.pod);
      case 'freecontainers':
        return listFreeContainers(latest, route.node);
      case 'allkeys':
        return latest === undefined ? [] : [...latest.sets.keys()].sort();
      case 'metric':
      case 'podList': {
        const params = parseMetricParams(
          new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)),
          deps.now(),
        );
        if ('error' in params) return reply.code(400).send({ error: params.error });
        const metric = resolveMetricName(route.metric);
        const read = (key: string): MetricResultJson =>
          toMetricResult(metric, deps.store.query({ key, metric, ...params }));
        if (route.kind === 'metric') return read(route.key);
        return { items: route.pods.map((pod) => read(podKey(route.namespace, pod))) };
      }
    }
  });
}
