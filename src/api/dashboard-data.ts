import type { Batch, MetricSet } from '../core/batch.js';
import type { HistoryStore, Query, Store } from '../core/contracts.js';
import { CLUSTER_KEY, namespaceKey, nodeKey, parseEntityKey, podKey } from '../core/keys.js';
import type { EntityKey } from '../core/keys.js';
import { LABEL_HOSTNAME, LABEL_NODENAME } from '../core/labels.js';
import type {
  Crumb,
  DashboardEntityType,
  EntitiesJson,
  EntityJson,
  EntityRow,
  SeriesJson,
  StatusJson,
} from './dashboard-types.js';

/** Plain metrics the entity charts show (absent ones are simply missing from `series`). */
export const CHART_METRICS: readonly string[] = Object.freeze([
  'cpu/usage_rate',
  'cpu/request',
  'cpu/limit',
  'cpu/node_allocatable',
  'cpu/node_capacity',
  'memory/usage',
  'memory/working_set',
  'memory/request',
  'memory/limit',
  'memory/node_allocatable',
  'memory/node_capacity',
  'network/rx_rate',
  'network/tx_rate',
]);

/** Labeled metrics the charts show, summed over their label sets (resource ids). */
export const CHART_LABELED_METRICS: readonly string[] = Object.freeze([
  'filesystem/usage',
  'filesystem/limit',
]);

/** Most points a chart series carries; longer ranges are averaged into buckets. */
export const MAX_CHART_POINTS = 1000;
/** Most values of a sparkline. */
export const MAX_SPARK_POINTS = 60;
/** Most rows one `entities` request returns. */
export const MAX_PAGE_ROWS = 500;
/** Longest time range accepted: 31 days. */
export const MAX_RANGE_MS = 31 * 24 * 3_600_000;
/** Range used when the request names none: 15 minutes. */
export const DEFAULT_RANGE_MS = 15 * 60_000;

/** A resolved time range, [startMs, endMs] inclusive; `rangeMs` set when relative to now. */
export interface TimeRange {
  startMs: number;
  endMs: number;
  rangeMs?: number;
}

/** A request the caller got wrong: answered with 400 and `message`. */
export class DashboardRequestError extends Error {
  constructor(
    message: string,
    readonly statusCode: 400 | 404 = 400,
  ) {
    super(message);
  }
}

/** Sort orders of `entities`. */
export type SortKey = 'name' | 'cpu' | 'memory' | 'network' | 'fs' | 'namespace' | 'node';
const SORT_KEYS: readonly SortKey[] = [
  'name',
  'cpu',
  'memory',
  'network',
  'fs',
  'namespace',
  'node',
];
const TYPES: readonly DashboardEntityType[] = [
  'cluster',
  'node',
  'sys_container',
  'ns',
  'pod',
  'pod_container',
];

/** Query of the entity table. */
export interface EntitiesQuery {
  type: DashboardEntityType;
  /** Key of the parent entity (node, namespace, pod); absent or `cluster` = all of the type. */
  parent?: string;
  sort: SortKey;
  descending: boolean;
  offset: number;
  limit: number;
  /** Case-insensitive substring of name, namespace or node. */
  filter?: string;
  /** When set, rows carry sparklines over this range. */
  sparkRange?: TimeRange;
}

function intParam(
  raw: string | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw new DashboardRequestError(`${name}: not an integer: ${raw}`);
  const v = Number(raw);
  if (v < min || v > max)
    throw new DashboardRequestError(`${name}: ${v} is outside [${min}, ${max}]`);
  return v;
}

/**
 * Resolves `range` (ms back from now) or `start` and `end` (ms since the epoch, both inclusive)
 * into a time range; neither = the last 15 minutes. Throws DashboardRequestError naming the bad
 * parameter.
 */
export function parseTimeRange(
  q: { range?: string; start?: string; end?: string },
  nowMs: number,
): TimeRange {
  const range = intParam(q.range, 'range', 1000, MAX_RANGE_MS);
  const start = intParam(q.start, 'start', 0, 8.64e15);
  const end = intParam(q.end, 'end', 0, 8.64e15);
  if (range !== undefined && (start !== undefined || end !== undefined))
    throw new DashboardRequestError('range: give either range or start/end, not both');
  if (start !== undefined || end !== undefined) {
    if (start === undefined) throw new DashboardRequestError('start: missing (end was given)');
    const endMs = end ?? nowMs;
    if (endMs < start) throw new DashboardRequestError(`end: ${endMs} is before start ${start}`);
    if (endMs - start > MAX_RANGE_MS)
      throw new DashboardRequestError(`start: range longer than ${MAX_RANGE_MS} ms`);
    return { startMs: start, endMs };
  }
  const rangeMs = range ?? DEFAULT_RANGE_MS;
  return { startMs: nowMs - rangeMs, endMs: nowMs, rangeMs };
}

/** Parses the query string of `entities`; throws DashboardRequestError naming the bad one. */
export function parseEntitiesQuery(
  q: Record<string, string | undefined>,
  nowMs: number,
): EntitiesQuery {
  const type = q.type as DashboardEntityType;
  if (!TYPES.includes(type))
    throw new DashboardRequestError(
      `type: must be one of ${TYPES.join(', ')}, got ${q.type ?? '(none)'}`,
    );
  const sort = (q.sort ?? 'name') as SortKey;
  if (!SORT_KEYS.includes(sort))
    throw new DashboardRequestError(`sort: must be one of ${SORT_KEYS.join(', ')}, got ${q.sort}`);
  const order =
    q.order ?? (sort === 'name' || sort === 'namespace' || sort === 'node' ? 'asc' : 'desc');
  if (order !== 'asc' && order !== 'desc')
    throw new DashboardRequestError(`order: must be asc or desc, got ${order}`);
  if (q.parent !== undefined && q.parent !== '' && parseEntityKey(q.parent) === undefined)
    throw new DashboardRequestError(`parent: not an entity key: ${q.parent}`);
  const spark = q.spark === '1' || q.spark === 'true';
  return {
    type,
    parent: q.parent || undefined,
    sort,
    descending: order === 'desc',
    offset: intParam(q.offset, 'offset', 0, 1e9) ?? 0,
    limit: intParam(q.limit, 'limit', 1, MAX_PAGE_ROWS) ?? 50,
    filter: q.q ? q.q.toLowerCase() : undefined,
    sparkRange: spark ? parseTimeRange(q, nowMs) : undefined,
  };
}

function sumLabeled(set: MetricSet, name: string): number | undefined {
  let sum: number | undefined;
  for (const lv of set.labeled) if (lv.name === name) sum = (sum ?? 0) + lv.value;
  return sum;
}

function nodeOfSet(e: EntityKey, set: MetricSet): string | undefined {
  if (e.type === 'node' || e.type === 'sys_container') return e.node;
  return set.labels[LABEL_NODENAME] || set.labels[LABEL_HOSTNAME] || undefined;
}

function nameOf(e: EntityKey): string {
  switch (e.type) {
    case 'cluster':
      return 'cluster';
    case 'node':
      return e.node;
    case 'ns':
      return e.namespace;
    case 'pod':
      return e.pod;
    case 'sys_container':
    case 'pod_container':
      return e.container;
  }
}

/** Builds the row of one entity from its latest metric set (capacity of children filled later). */
export function rowOf(key: string, e: EntityKey, set: MetricSet): EntityRow {
  const v = set.values;
  const row: EntityRow = {
    key,
    type: e.type,
    name: nameOf(e),
    cpu: {
      usage: v.get('cpu/usage_rate'),
      request: v.get('cpu/request'),
      limit: v.get('cpu/limit'),
      capacity: v.get('cpu/node_capacity'),
    },
    memory: {
      usage: v.get('memory/usage'),
      workingSet: v.get('memory/working_set'),
      request: v.get('memory/request'),
      limit: v.get('memory/limit'),
      capacity: v.get('memory/node_capacity'),
    },
    network: { rx: v.get('network/rx_rate'), tx: v.get('network/tx_rate') },
    fs: { usage: sumLabeled(set, 'filesystem/usage'), limit: sumLabeled(set, 'filesystem/limit') },
  };
  if (e.type === 'ns' || e.type === 'pod' || e.type === 'pod_container')
    row.namespace = e.namespace;
  if (e.type === 'pod_container') row.pod = e.pod;
  if (e.type !== 'cluster' && e.type !== 'ns') row.node = nodeOfSet(e, set);
  if (row.cpu.capacity !== undefined || row.memory.capacity !== undefined) row.capacityOf = 'own';
  return row;
}

/** One entity of the latest batch; parsed and turned into a row only when needed. */
interface Entry {
  readonly key: string;
  readonly set: MetricSet;
  parsed?: EntityKey;
}

function parsedOf(en: Entry): EntityKey {
  return (en.parsed ??= parseEntityKey(en.key)!);
}

/** The latest batch indexed for the tables; built once per batch, parts of it lazily. */
interface BatchIndex {
  readonly batch: Batch;
  readonly latestMs: number;
  readonly byType: Map<DashboardEntityType, Entry[]>;
  /** `${type}` → (parent key → entries), built on the first parent query of that type. */
  readonly byParent: Map<DashboardEntityType, Map<string, Entry[]>>;
  /** `${type}|${parent}|${sort}|${order}` → sorted entries. */
  readonly sorted: Map<string, Entry[]>;
  /** Cluster totals summed over nodes (usage, capacity, requests, limits, network, fs). */
  readonly clusterRow: EntityRow;
}

function add(a: number | undefined, b: number | undefined): number | undefined {
  return b === undefined ? a : (a ?? 0) + b;
}

/** Type of a set: its `type` label when valid (cheap), else parsed from the key. */
function typeOf(key: string, set: MetricSet): DashboardEntityType | undefined {
  const t = set.labels.type as DashboardEntityType;
  if (TYPES.includes(t)) return t;
  return parseEntityKey(key)?.type;
}

function indexBatch(batch: Batch): BatchIndex {
  const byType = new Map<DashboardEntityType, Entry[]>(TYPES.map((t) => [t, []]));
  for (const [key, set] of batch.sets) {
    const t = typeOf(key, set);
    if (t !== undefined) byType.get(t)!.push({ key, set });
  }
  const cluster: EntityRow = {
    key: CLUSTER_KEY,
    type: 'cluster',
    name: 'cluster',
    cpu: {},
    memory: {},
    network: {},
    fs: {},
  };
  for (const en of byType.get('node')!) {
    const row = rowOf(en.key, parsedOf(en), en.set);
    cluster.cpu.usage = add(cluster.cpu.usage, row.cpu.usage);
    cluster.cpu.request = add(cluster.cpu.request, row.cpu.request);
    cluster.cpu.limit = add(cluster.cpu.limit, row.cpu.limit);
    cluster.cpu.capacity = add(cluster.cpu.capacity, row.cpu.capacity);
    cluster.memory.usage = add(cluster.memory.usage, row.memory.usage);
    cluster.memory.workingSet = add(cluster.memory.workingSet, row.memory.workingSet);
    cluster.memory.request = add(cluster.memory.request, row.memory.request);
    cluster.memory.limit = add(cluster.memory.limit, row.memory.limit);
    cluster.memory.capacity = add(cluster.memory.capacity, row.memory.capacity);
    cluster.network.rx = add(cluster.network.rx, row.network.rx);
    cluster.network.tx = add(cluster.network.tx, row.network.tx);
    cluster.fs.usage = add(cluster.fs.usage, row.fs.usage);
    cluster.fs.limit = add(cluster.fs.limit, row.fs.limit);
  }
  if (cluster.cpu.capacity !== undefined || cluster.memory.capacity !== undefined)
    cluster.capacityOf = 'own';
  return {
    batch,
    latestMs: batch.timestampMs,
    byType,
    byParent: new Map(),
    sorted: new Map(),
    clusterRow: cluster,
  };
}

/** Parent keys of an entry: node for sys containers; namespace and node for pods; pod for containers. */
function parentsOf(en: Entry): string[] {
  const e = parsedOf(en);
  switch (e.type) {
    case 'sys_container':
      return [nodeKey(e.node)];
    case 'pod': {
      const node = nodeOfSet(e, en.set);
      return node ? [namespaceKey(e.namespace), nodeKey(node)] : [namespaceKey(e.namespace)];
    }
    case 'pod_container':
      return [podKey(e.namespace, e.pod)];
    default:
      return [];
  }
}

function entriesUnder(idx: BatchIndex, type: DashboardEntityType, parent: string): Entry[] {
  let m = idx.byParent.get(type);
  if (m === undefined) {
    m = new Map();
    for (const en of idx.byType.get(type) ?? []) {
      for (const p of parentsOf(en)) {
        const list = m.get(p);
        if (list === undefined) m.set(p, [en]);
        else list.push(en);
      }
    }
    idx.byParent.set(type, m);
  }
  return m.get(parent) ?? [];
}

/** The full row of an entry, with the capacity of its node (or the cluster's for namespaces). */
function fullRow(idx: BatchIndex, en: Entry): EntityRow {
  const e = parsedOf(en);
  if (e.type === 'cluster') return idx.clusterRow;
  const row = rowOf(en.key, e, en.set);
  if (e.type === 'node') return row;
  let cpuCap: number | undefined;
  let memCap: number | undefined;
  if (e.type === 'ns') {
    cpuCap = idx.clusterRow.cpu.capacity;
    memCap = idx.clusterRow.memory.capacity;
  } else if (row.node) {
    const host = idx.batch.sets.get(nodeKey(row.node));
    cpuCap = host?.values.get('cpu/node_capacity');
    memCap = host?.values.get('memory/node_capacity');
  }
  if (row.cpu.capacity === undefined) row.cpu.capacity = cpuCap;
  if (row.memory.capacity === undefined) row.memory.capacity = memCap;
  if (
    row.capacityOf === undefined &&
    (row.cpu.capacity !== undefined || row.memory.capacity !== undefined)
  )
    row.capacityOf = e.type === 'ns' ? 'cluster' : 'node';
  return row;
}

function numericSortValue(set: MetricSet, sort: SortKey): number {
  const v = set.values;
  switch (sort) {
    case 'cpu':
      return v.get('cpu/usage_rate') ?? NaN;
    case 'memory':
      return v.get('memory/usage') ?? NaN;
    case 'network': {
      const rx = v.get('network/rx_rate');
      const tx = v.get('network/tx_rate');
      return rx === undefined && tx === undefined ? NaN : (rx ?? 0) + (tx ?? 0);
    }
    case 'fs':
      return sumLabeled(set, 'filesystem/usage') ?? NaN;
    default:
      return NaN;
  }
}

function textSortValue(en: Entry, sort: SortKey): string {
  const e = parsedOf(en);
  switch (sort) {
    case 'namespace':
      return 'namespace' in e ? e.namespace : '';
    case 'node':
      return nodeOfSet(e, en.set) ?? '';
    default:
      return nameOf(e);
  }
}

/**
 * Sorts entries by `sort` (entries without the value last in both orders); ties keep the batch's
 * order. Sorts an index array over extracted values: 150,000 pods in about 0.2 s here.
 */
function sortEntries(entries: readonly Entry[], sort: SortKey, descending: boolean): Entry[] {
  const n = entries.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const dir = descending ? -1 : 1;
  if (sort === 'name' || sort === 'namespace' || sort === 'node') {
    const text = entries.map((en) => textSortValue(en, sort));
    order.sort((a, b) => (text[a] === text[b] ? a - b : dir * (text[a] < text[b] ? -1 : 1)));
  } else {
    const vals = new Float64Array(n);
    for (let i = 0; i < n; i++) vals[i] = numericSortValue(entries[i].set, sort);
    order.sort((a, b) => {
      const va = vals[a];
      const vb = vals[b];
      if (va !== vb) {
        if (Number.isNaN(va)) return Number.isNaN(vb) ? a - b : 1;
        if (Number.isNaN(vb)) return -1;
        return dir * (va - vb);
      }
      return a - b;
    });
  }
  return order.map((i) => entries[i]);
}

/** Averages `values` into at most `max` buckets of `per` consecutive values (nulls ignored). */
function bucketize(values: (number | null)[], per: number): (number | null)[] {
  if (per <= 1) return values;
  const out: (number | null)[] = [];
  for (let i = 0; i < values.length; i += per) {
    let sum = 0;
    let n = 0;
    for (let j = i; j < Math.min(i + per, values.length); j++) {
      const v = values[j];
      if (v !== null) {
        sum += v;
        n++;
      }
    }
    out.push(n === 0 ? null : sum / n);
  }
  return out;
}

/** Dependencies of the dashboard data. */
export interface DashboardDataDeps {
  store: Store;
  resolutionMs: number;
  now: () => number;
}

/**
 * Answers the dashboard API from a Store (only its interface: `latest`, `query`). Tables read the
 * latest batch, indexed once per batch; charts read `query`. Results of the last batch are cached
 * (sorted tables, series of relative ranges) and dropped when a new batch arrives. Synchronous.
 */
export class DashboardData {
  private index: BatchIndex | undefined;
  private indexedBatch: Batch | undefined;
  private readonly seriesCache = new Map<string, SeriesJson>();

  constructor(private readonly deps: DashboardDataDeps) {}

  private current(): BatchIndex | undefined {
    const batch = this.deps.store.latest();
    if (batch === undefined) return undefined;
    if (batch !== this.indexedBatch || this.index === undefined) {
      this.indexedBatch = batch;
      this.index = indexBatch(batch);
      this.seriesCache.clear();
    }
    return this.index;
  }

  /** `status`: clock, resolution, latest batch time, next tick estimate, entity counts. */
  status(): StatusJson {
    const nowMs = this.deps.now();
    const idx = this.current();
    const res = this.deps.resolutionMs;
    const counts = Object.fromEntries(TYPES.map((t) => [t, 0])) as Record<
      DashboardEntityType,
      number
    >;
    if (idx !== undefined)
      for (const t of TYPES) counts[t] = t === 'cluster' ? 1 : (idx.byType.get(t)?.length ?? 0);
    return {
      nowMs,
      resolutionMs: res,
      retentionMs: this.deps.store.retentionMs,
      latestMs: idx?.latestMs ?? null,
      nextTickMs: res > 0 ? (Math.floor(nowMs / res) + 1) * res : nowMs,
      counts,
    };
  }

  /** `entities`: one page of a sorted, filtered table of the latest batch. */
  entities(q: EntitiesQuery): EntitiesJson {
    const idx = this.current();
    if (idx === undefined) return { total: 0, offset: q.offset, rows: [], latestMs: null };
    const parent = q.parent === CLUSTER_KEY ? undefined : q.parent;
    const cacheKey = `${q.type}|${parent ?? ''}|${q.sort}|${q.descending ? 'd' : 'a'}`;
    let sorted = idx.sorted.get(cacheKey);
    if (sorted === undefined) {
      const base =
        parent === undefined ? (idx.byType.get(q.type) ?? []) : entriesUnder(idx, q.type, parent);
      sorted = sortEntries(base, q.sort, q.descending);
      if (idx.sorted.size > 64) idx.sorted.clear();
      idx.sorted.set(cacheKey, sorted);
    }
    const filter = q.filter;
    const matching =
      filter === undefined
        ? sorted
        : sorted.filter((en) => {
            const e = parsedOf(en);
            return (
              nameOf(e).toLowerCase().includes(filter) ||
              ('namespace' in e && e.namespace.toLowerCase().includes(filter)) ||
              (nodeOfSet(e, en.set)?.toLowerCase().includes(filter) ?? false)
            );
          });
    const range = q.sparkRange;
    const rows = matching.slice(q.offset, q.offset + q.limit).map((en) => {
      const row = fullRow(idx, en);
      return range === undefined ? row : { ...row, spark: this.sparkOf(row.key, range) };
    });
    return { total: matching.length, offset: q.offset, rows, latestMs: idx.latestMs };
  }

  private sparkOf(
    key: string,
    range: TimeRange,
  ): { cpu: (number | null)[]; memory: (number | null)[] } {
    const store = this.deps.store as Partial<HistoryStore> & Store;
    const res = Math.max(1, this.deps.resolutionMs);
    const spanMs = range.endMs - range.startMs;
    // Long ranges on a store with aggregated queries: let the store bucket them.
    const stepMs =
      typeof store.queryAggregated === 'function' && spanMs / res > MAX_SPARK_POINTS
        ? Math.ceil(spanMs / MAX_SPARK_POINTS / res) * res
        : undefined;
    const one = (metric: string) => {
      const q = { key, metric, startMs: range.startMs, endMs: range.endMs };
      if (stepMs !== undefined)
        return store.queryAggregated!({ ...q, stepMs }).map((b) => b.average as number | null);
      const values = store.query(q).map((p) => p.value as number | null);
      return bucketize(values, Math.ceil(values.length / MAX_SPARK_POINTS));
    };
    return { cpu: one('cpu/usage_rate'), memory: one('memory/usage') };
  }

  /**
   * `entity`: current values, labels, breadcrumbs, child tables and chart series of `key`.
   * Throws DashboardRequestError (404) when the key is neither in the latest batch nor in the
   * store's history.
   */
  entity(key: string, range: TimeRange): EntityJson {
    const e = parseEntityKey(key);
    if (e === undefined) throw new DashboardRequestError(`key: not an entity key: ${key}`);
    const idx = this.current();
    const set = key === CLUSTER_KEY ? undefined : idx?.batch.sets.get(key);
    let row =
      idx === undefined
        ? undefined
        : key === CLUSTER_KEY
          ? idx.clusterRow
          : set === undefined
            ? undefined
            : fullRow(idx, { key, set, parsed: e });
    if (row === undefined) {
      if (this.deps.store.metricNames(key).length === 0)
        throw new DashboardRequestError(`key: no entity ${key} in the store`, 404);
      row = rowOf(key, e, {
        labels: {},
        values: new Map(),
        labeled: [],
        scrapeTimeMs: 0,
        collectionStartMs: 0,
        createMs: 0,
      });
    }
    const labels = { ...(set?.labels ?? {}) };
    const summed = e.type === 'cluster' && (idx?.byType.get('node')?.length ?? 0) > 0;
    const cacheKey = `${key}|${range.rangeMs !== undefined ? `r${range.rangeMs}` : `${range.startMs}-${range.endMs}`}`;
    let series = this.seriesCache.get(cacheKey);
    if (series === undefined) {
      const keys = summed ? (idx?.byType.get('node') ?? []).map((en) => en.key) : [key];
      series = this.seriesOf(keys, range);
      if (this.seriesCache.size > 32) this.seriesCache.clear();
      this.seriesCache.set(cacheKey, series);
    }
    return {
      entity: row,
      labels,
      breadcrumbs: breadcrumbsOf(e, row),
      children: idx === undefined ? [] : childrenOf(e, key, idx),
      series,
      summedOverNodes: summed,
      onlyNode:
        summed && idx?.byType.get('node')?.length === 1
          ? nameOf(parsedOf(idx.byType.get('node')![0]))
          : undefined,
      latestMs: idx?.latestMs ?? null,
    };
  }

  /**
   * Bucket length for a store with aggregated queries when the range holds more raw points than
   * a chart shows (a multiple of the resolution); undefined = read raw points.
   */
  private aggregateStepMs(range: TimeRange): number | undefined {
    const store = this.deps.store as Partial<HistoryStore>;
    if (typeof store.queryAggregated !== 'function') return undefined;
    const res = Math.max(1, this.deps.resolutionMs);
    const spanMs = range.endMs - range.startMs;
    if (spanMs / res <= MAX_CHART_POINTS) return undefined;
    return Math.ceil(spanMs / (MAX_CHART_POINTS - 1) / res) * res;
  }

  /** Series of CHART_METRICS (and labeled sums) over `keys`, summed per timestamp. */
  private seriesOf(keys: readonly string[], range: TimeRange): SeriesJson {
    const store = this.deps.store;
    const latest = store.latest();
    const stepMs = this.aggregateStepMs(range);
    const read = (q: Query): readonly { timestampMs: number; value: number }[] =>
      stepMs === undefined
        ? store.query(q)
        : (store as HistoryStore)
            .queryAggregated({ ...q, stepMs })
            .map((b) => ({ timestampMs: b.startMs, value: b.average }));
    const sums = new Map<string, Map<number, number>>();
    const addPoints = (id: string, points: readonly { timestampMs: number; value: number }[]) => {
      if (points.length === 0) return;
      let m = sums.get(id);
      if (m === undefined) sums.set(id, (m = new Map()));
      for (const p of points) m.set(p.timestampMs, (m.get(p.timestampMs) ?? 0) + p.value);
    };
    for (const key of keys) {
      for (const metric of CHART_METRICS)
        addPoints(metric, read({ key, metric, startMs: range.startMs, endMs: range.endMs }));
      const set = latest?.sets.get(key);
      if (set === undefined) continue;
      for (const lv of set.labeled) {
        if (!CHART_LABELED_METRICS.includes(lv.name)) continue;
        addPoints(
          lv.name,
          read({
            key,
            metric: lv.name,
            labels: lv.labels,
            startMs: range.startMs,
            endMs: range.endMs,
          }),
        );
      }
    }
    const times = new Set<number>();
    for (const m of sums.values()) for (const t of m.keys()) times.add(t);
    const all = [...times].sort((a, b) => a - b);
    const per = Math.ceil(all.length / MAX_CHART_POINTS);
    const series: Record<string, (number | null)[]> = {};
    for (const [id, m] of sums)
      series[id] = bucketize(
        all.map((t) => m.get(t) ?? null),
        per,
      );
    const timestampsMs = per <= 1 ? all : all.filter((_, i) => i % per === 0);
    return {
      startMs: range.startMs,
      endMs: range.endMs,
      timestampsMs,
      series,
      bucketPoints: Math.max(1, per),
      bucketMs: stepMs,
    };
  }
}

function crumb(key: string, type: DashboardEntityType, name: string): Crumb {
  return { key, type, name };
}

/** The trail from the cluster down to the entity (the entity itself last). */
export function breadcrumbsOf(e: EntityKey, row: EntityRow): Crumb[] {
  const out: Crumb[] = [crumb(CLUSTER_KEY, 'cluster', 'cluster')];
  switch (e.type) {
    case 'cluster':
      break;
    case 'node':
      out.push(crumb(nodeKey(e.node), 'node', e.node));
      break;
    case 'sys_container':
      out.push(
        crumb(nodeKey(e.node), 'node', e.node),
        crumb(row.key, 'sys_container', e.container),
      );
      break;
    case 'ns':
      out.push(crumb(row.key, 'ns', e.namespace));
      break;
    case 'pod':
      out.push(crumb(namespaceKey(e.namespace), 'ns', e.namespace), crumb(row.key, 'pod', e.pod));
      break;
    case 'pod_container':
      out.push(
        crumb(namespaceKey(e.namespace), 'ns', e.namespace),
        crumb(podKey(e.namespace, e.pod), 'pod', e.pod),
        crumb(row.key, 'pod_container', e.container),
      );
      break;
  }
  return out;
}

function childrenOf(e: EntityKey, key: string, idx: BatchIndex): EntityJson['children'] {
  const count = (type: DashboardEntityType, parent?: string) => ({
    type,
    count:
      parent === undefined
        ? (idx.byType.get(type)?.length ?? 0)
        : entriesUnder(idx, type, parent).length,
  });
  switch (e.type) {
    case 'cluster':
      return [
        count('node'),
        count('ns'),
        count('pod'),
        count('pod_container'),
        count('sys_container'),
      ];
    case 'node':
      return [count('pod', key), count('sys_container', key)];
    case 'ns':
      return [count('pod', key)];
    case 'pod':
      return [count('pod_container', key)];
    default:
      return [];
  }
}
