import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { VERSION } from '../config/flags.js';
import type { ParsedUri } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import type {
  AggregateBucket,
  AggregateQuery,
  Aggregation,
  Point,
  Query,
} from '../core/contracts.js';
import { parseEntityKey } from '../core/keys.js';
import {
  LABEL_ACCELERATOR_ID,
  LABEL_ACCELERATOR_MAKE,
  LABEL_ACCELERATOR_MODEL,
  LABEL_CONTAINER_NAME,
  LABEL_NAMESPACE_NAME,
  LABEL_NODENAME,
  LABEL_POD_ID,
  LABEL_POD_NAME,
  LABEL_RESOURCE_ID,
  LABEL_TYPE,
} from '../core/labels.js';
import { INFLUXDB_RP, parseInfluxdbUri } from '../sinks/influxdb-sink.js';
import type { HistoricalBackend, HistoricalListRoute } from './historical.js';
import { HistoricalSourceError } from './historical.js';

/** Where and how to read: the `--historical_source=influxdb:...` options that apply to reading. */
export interface InfluxdbHistoricalConfig {
  /** `http(s)://host:port`. */
  readonly baseUrl: string;
  readonly user: string;
  readonly password: string;
  readonly db: string;
  /** Retention policy the sink writes to (`default`, like the original). */
  readonly rp: string;
  readonly insecureSsl: boolean;
  readonly withFields: boolean;
  /** Only points with this `cluster_name` tag are read. */
  readonly clusterName: string;
  /** Per-query timeout; default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * Parses `--historical_source=influxdb:http://host:8086?db=...` with the sink's option parser
 * (`user`, `pw`, `db`, `secure`, `insecuressl`, `withfields`, `cluster_name`; write-only
 * options such as `concurrency` are accepted and ignored). Throws ConfigError for the v2 API
 * (`bucket`), which this reader does not speak.
 */
export function parseInfluxdbHistoricalUri(uri: ParsedUri): InfluxdbHistoricalConfig {
  const c = parseInfluxdbUri(uri);
  if (c.v2) {
    throw new ConfigError(
      `--historical_source=${uri.raw}: the InfluxDB v2 API (option "bucket") cannot serve /api/v1/historical; use the v1 /write and /query API (db=...)`,
    );
  }
  return {
    baseUrl: c.baseUrl,
    user: c.user,
    password: c.password,
    db: c.db,
    rp: INFLUXDB_RP,
    insecureSsl: c.insecureSsl,
    withFields: c.withFields,
    clusterName: c.clusterName,
  };
}

/** An InfluxQL string literal: `'...'` with `\`, `'` and newlines escaped (no injection). */
export function influxString(text: string): string {
  return "'" + text.replace(/[\\'\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c)) + "'";
}

/** An InfluxQL identifier: `"..."` with `\`, `"` and newlines escaped (no injection). */
export function influxIdent(name: string): string {
  return '"' + name.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c)) + '"';
}

/** Tag the influxdb sink adds to every point. */
const LABEL_CLUSTER_NAME_TAG = 'cluster_name';

/** Tags that tell labeled values of one metric apart (filesystem per device, accelerators). */
const LABELED_TAGS = [
  LABEL_RESOURCE_ID,
  LABEL_ACCELERATOR_MAKE,
  LABEL_ACCELERATOR_MODEL,
  LABEL_ACCELERATOR_ID,
];

/** Earliest time InfluxDB can store (int64 ns), in ms; earlier bounds are dropped. */
const INFLUX_MIN_MS = -9_223_372_036_854;
const INFLUX_MAX_MS = 9_223_372_036_854;

const eq = (tag: string, value: string) => `${influxIdent(tag)} = ${influxString(value)}`;

/**
 * The WHERE predicate of an entity key (src/core/keys.ts, or `pod-id:UID[/container:C]`),
 * restricted to `cluster_name`; undefined for a key of no known shape.
 */
export function entitySelector(key: string, clusterName: string): string | undefined {
  const parts: string[] = [];
  const pid = /^pod-id:([^/]+)(?:\/container:(.+))?$/s.exec(key);
  if (pid) {
    parts.push(eq(LABEL_TYPE, pid[2] === undefined ? 'pod' : 'pod_container'));
    parts.push(eq(LABEL_POD_ID, pid[1]));
    if (pid[2] !== undefined) parts.push(eq(LABEL_CONTAINER_NAME, pid[2]));
  } else {
    const e = parseEntityKey(key);
    if (e === undefined) return undefined;
    parts.push(eq(LABEL_TYPE, e.type));
    switch (e.type) {
      case 'cluster':
        break;
      case 'node':
        parts.push(eq(LABEL_NODENAME, e.node));
        break;
      case 'sys_container':
        parts.push(eq(LABEL_NODENAME, e.node), eq(LABEL_CONTAINER_NAME, e.container));
        break;
      case 'ns':
        parts.push(eq(LABEL_NAMESPACE_NAME, e.namespace));
        break;
      case 'pod':
        parts.push(eq(LABEL_NAMESPACE_NAME, e.namespace), eq(LABEL_POD_NAME, e.pod));
        break;
      case 'pod_container':
        parts.push(
          eq(LABEL_NAMESPACE_NAME, e.namespace),
          eq(LABEL_POD_NAME, e.pod),
          eq(LABEL_CONTAINER_NAME, e.container),
        );
        break;
    }
  }
  parts.push(eq(LABEL_CLUSTER_NAME_TAG, clusterName));
  return parts.join(' AND ');
}

/**
 * Predicate of a query's labels and time range: the labeled value with exactly `labels` (tags
 * of labeled values not named must be absent, so a plain metric excludes its labeled values),
 * and `time` in [startMs, endMs] (bounds InfluxDB cannot store are left out).
 */
function rangeAndLabels(q: Query): string {
  const parts: string[] = [];
  const labels = q.labels ?? {};
  for (const [k, v] of Object.entries(labels)) parts.push(eq(k, v));
  for (const k of LABELED_TAGS) if (!Object.hasOwn(labels, k)) parts.push(eq(k, ''));
  if (q.startMs > INFLUX_MIN_MS) parts.push(`time >= ${Math.ceil(q.startMs)}ms`);
  if (q.endMs < INFLUX_MAX_MS) parts.push(`time <= ${Math.floor(q.endMs)}ms`);
  return parts.join(' AND ');
}

/** Measurement and field of a metric in either schema (§4.1). */
export function seriesAndField(metric: string, withFields: boolean): [string, string] {
  const slash = metric.indexOf('/');
  if (!withFields || slash < 0) return [metric, 'value'];
  return [metric.slice(0, slash), metric.slice(slash + 1)];
}

/** InfluxQL aggregate of each aggregation (§7.2), aliased to the aggregation's name. */
const AGG_SQL: Record<Aggregation, (f: string) => string> = {
  count: (f) => `COUNT(${f})`,
  average: (f) => `MEAN(${f})`,
  max: (f) => `MAX(${f})`,
  min: (f) => `MIN(${f})`,
  median: (f) => `MEDIAN(${f})`,
  '50-perc': (f) => `PERCENTILE(${f}, 50)`,
  '95-perc': (f) => `PERCENTILE(${f}, 95)`,
  '99-perc': (f) => `PERCENTILE(${f}, 99)`,
};

/** Options of the query builders. */
export interface QueryShape {
  readonly withFields: boolean;
  readonly clusterName: string;
  readonly rp: string;
}

function from(measurement: string, rp: string): string {
  return `${influxIdent(rp)}.${influxIdent(measurement)}`;
}

/** `SELECT "<field>" FROM "<rp>"."<measurement>" WHERE <entity> AND <labels> AND <time>`. */
export function rawPointsQuery(q: Query, shape: QueryShape): string | undefined {
  const sel = entitySelector(q.key, shape.clusterName);
  if (sel === undefined) return undefined;
  const [m, f] = seriesAndField(q.metric, shape.withFields);
  return `SELECT ${influxIdent(f)} FROM ${from(m, shape.rp)} WHERE ${sel} AND ${rangeAndLabels(q)}`;
}

/**
 * `SELECT <aggregates> FROM ... WHERE ... GROUP BY time(<step>ms) fill(none)`: buckets aligned
 * to the epoch, empty ones left out — the store's rules. Aggregates are aliased to their names.
 */
export function aggregateQuery(
  q: AggregateQuery,
  aggs: ReadonlySet<Aggregation>,
  shape: QueryShape,
): string | undefined {
  const sel = entitySelector(q.key, shape.clusterName);
  if (sel === undefined) return undefined;
  const [m, f] = seriesAndField(q.metric, shape.withFields);
  const field = influxIdent(f);
  const cols = [...aggs].map((a) => `${AGG_SQL[a](field)} AS ${influxIdent(a)}`);
  const step = Math.max(1, Math.round(q.stepMs));
  return (
    `SELECT ${cols.join(', ')} FROM ${from(m, shape.rp)} WHERE ${sel} AND ${rangeAndLabels(q)}` +
    ` GROUP BY time(${step}ms) fill(none)`
  );
}

interface InfluxSeries {
  name?: string;
  tags?: Record<string, string>;
  columns?: string[];
  values?: unknown[][];
}

interface InfluxQueryResponse {
  error?: string;
  results?: { error?: string; series?: InfluxSeries[] }[];
}

/**
 * `--historical_source=influxdb:...`: the historical API (§7.2) answered with InfluxQL against
 * the schema the influxdb sink writes (default or `withfields`, RP `default`, only points
 * whose `cluster_name` tag is ours). Every name from the URL is quoted and escaped, never
 * pasted. Pod-id routes select the `pod_id` tag, which the sink (like the original) does not
 * write: they find only data written by other writers. Lists come from `SHOW TAG VALUES`;
 * `/debug/allkeys` lists the entities with an `uptime` series. A database that does not exist
 * yet reads as empty; InfluxDB down or failing gives HistoricalSourceError (502; 504 on a
 * timeout) naming the server and database.
 */
export class InfluxdbHistoricalBackend implements HistoricalBackend {
  readonly podIds = true;
  private readonly dispatcher: Dispatcher;
  private readonly auth: string;
  private readonly shape: QueryShape;

  constructor(readonly config: InfluxdbHistoricalConfig) {
    this.dispatcher = new Agent({
      connections: 8,
      connect: config.insecureSsl ? { rejectUnauthorized: false } : undefined,
    });
    this.auth = 'Basic ' + Buffer.from(`${config.user}:${config.password}`).toString('base64');
    this.shape = { withFields: config.withFields, clusterName: config.clusterName, rp: config.rp };
  }

  private get where(): string {
    return `InfluxDB at ${this.config.baseUrl} (database ${JSON.stringify(this.config.db)})`;
  }

  async points(q: Query): Promise<Point[]> {
    const text = rawPointsQuery(q, this.shape);
    if (text === undefined) return [];
    const series = await this.query(text);
    const out: Point[] = [];
    for (const s of series) {
      for (const row of s.values ?? []) {
        const [t, v] = row;
        if (typeof t === 'number' && typeof v === 'number') out.push({ timestampMs: t, value: v });
      }
    }
    if (series.length > 1) out.sort((a, b) => a.timestampMs - b.timestampMs);
    return out;
  }

  async aggregate(q: AggregateQuery, aggs: ReadonlySet<Aggregation>): Promise<AggregateBucket[]> {
    const text = aggregateQuery(q, aggs, this.shape);
    if (text === undefined) return [];
    const series = await this.query(text);
    const out: AggregateBucket[] = [];
    for (const s of series) {
      const cols = s.columns ?? [];
      const col = (name: Aggregation) => cols.indexOf(name);
      const idx = {
        count: col('count'),
        average: col('average'),
        max: col('max'),
        min: col('min'),
        median: col('median'),
        p50: col('50-perc'),
        p95: col('95-perc'),
        p99: col('99-perc'),
      };
      for (const row of s.values ?? []) {
        const num = (i: number) =>
          i >= 0 && typeof row[i] === 'number' ? (row[i] as number) : NaN;
        out.push({
          startMs: row[0] as number,
          count: num(idx.count),
          average: num(idx.average),
          max: num(idx.max),
          min: num(idx.min),
          median: num(idx.median),
          p50: num(idx.p50),
          p95: num(idx.p95),
          p99: num(idx.p99),
          exact: true,
        });
      }
    }
    return out;
  }

  async list(route: HistoricalListRoute): Promise<string[]> {
    const cluster = eq(LABEL_CLUSTER_NAME_TAG, this.config.clusterName);
    const tagValues = async (key: string, where: string[]): Promise<string[]> => {
      const series = await this.query(
        `SHOW TAG VALUES WITH KEY = ${influxIdent(key)} WHERE ${[...where, cluster].join(' AND ')}`,
      );
      const out = new Set<string>();
      for (const s of series) {
        const vi = (s.columns ?? []).indexOf('value');
        for (const row of s.values ?? []) if (typeof row[vi] === 'string') out.add(row[vi]);
      }
      return [...out].sort();
    };
    switch (route.kind) {
      case 'names':
        return this.metricNames(route.key);
      case 'nodes':
        return tagValues(LABEL_NODENAME, [eq(LABEL_TYPE, 'node')]);
      case 'namespaces':
        return tagValues(LABEL_NAMESPACE_NAME, [eq(LABEL_TYPE, 'ns')]);
      case 'pods':
        return tagValues(LABEL_POD_NAME, [
          eq(LABEL_TYPE, 'pod'),
          eq(LABEL_NAMESPACE_NAME, route.namespace),
        ]);
      case 'containers':
        return tagValues(LABEL_CONTAINER_NAME, [
          eq(LABEL_TYPE, 'pod_container'),
          eq(LABEL_NAMESPACE_NAME, route.namespace),
          eq(LABEL_POD_NAME, route.pod),
        ]);
      case 'podIdContainers':
        return tagValues(LABEL_CONTAINER_NAME, [
          eq(LABEL_TYPE, 'pod_container'),
          eq(LABEL_POD_ID, route.podId),
        ]);
      case 'freecontainers':
        return tagValues(LABEL_CONTAINER_NAME, [
          eq(LABEL_TYPE, 'sys_container'),
          eq(LABEL_NODENAME, route.node),
        ]);
      case 'allkeys':
        return this.allKeys();
    }
  }

  /** Metric names of an entity: measurements (default schema) or measurement/field pairs. */
  private async metricNames(key: string): Promise<string[]> {
    const sel = entitySelector(key, this.config.clusterName);
    if (sel === undefined) return [];
    if (!this.config.withFields) {
      const series = await this.query(`SHOW MEASUREMENTS WHERE ${sel}`);
      return (series[0]?.values ?? []).map((r) => String(r[0])).sort();
    }
    // Fields are per measurement, not per series: ask which fields this entity has values of.
    const series = await this.query(
      `SELECT LAST(*) FROM ${influxIdent(this.config.rp)}./.*/ WHERE ${sel}`,
    );
    const out = new Set<string>();
    for (const s of series) {
      const cols = s.columns ?? [];
      const row = s.values?.[0] ?? [];
      cols.forEach((c, i) => {
        if (!c.startsWith('last_') || row[i] === null || row[i] === undefined) return;
        const field = c.slice(5);
        out.add(field === 'value' ? String(s.name) : `${s.name}/${field}`);
      });
    }
    return [...out].sort();
  }

  /** Entity keys of every entity with an `uptime` series (from the series' tags). */
  private async allKeys(): Promise<string[]> {
    const series = await this.query(
      `SHOW TAG VALUES FROM ${influxIdent('uptime')} WITH KEY = ${influxIdent(LABEL_TYPE)} WHERE ${eq(LABEL_CLUSTER_NAME_TAG, this.config.clusterName)}`,
    );
    const types = new Set<string>();
    for (const s of series) for (const r of s.values ?? []) types.add(String(r[1]));
    const keys = new Set<string>();
    const group = async (type: string, tags: string[], key: (t: string[]) => string) => {
      if (!types.has(type)) return;
      const rows = await this.query(
        `SELECT LAST(*) FROM ${influxIdent(this.config.rp)}.${influxIdent('uptime')} WHERE ${eq(LABEL_TYPE, type)} AND ${eq(LABEL_CLUSTER_NAME_TAG, this.config.clusterName)}${tags.length > 0 ? ` GROUP BY ${tags.map(influxIdent).join(', ')}` : ''}`,
      );
      for (const s of rows) {
        keys.add(key(tags.map((t) => s.tags?.[t] ?? '')));
      }
    };
    await Promise.all([
      group('cluster', [], () => 'cluster'),
      group('node', [LABEL_NODENAME], ([n]) => `node:${n}`),
      group(
        'sys_container',
        [LABEL_NODENAME, LABEL_CONTAINER_NAME],
        ([n, c]) => `node:${n}/container:${c}`,
      ),
      group('ns', [LABEL_NAMESPACE_NAME], ([ns]) => `namespace:${ns}`),
      group('pod', [LABEL_NAMESPACE_NAME, LABEL_POD_NAME], ([ns, p]) => `namespace:${ns}/pod:${p}`),
      group(
        'pod_container',
        [LABEL_NAMESPACE_NAME, LABEL_POD_NAME, LABEL_CONTAINER_NAME],
        ([ns, p, c]) => `namespace:${ns}/pod:${p}/container:${c}`,
      ),
    ]);
    return [...keys].sort();
  }

  /** Runs one InfluxQL statement (epoch ms); a missing database reads as no series. */
  private async query(q: string): Promise<InfluxSeries[]> {
    const url = `${this.config.baseUrl}/query`;
    const body = new URLSearchParams({ q, db: this.config.db, epoch: 'ms' }).toString();
    let status: number;
    let text: string;
    try {
      const res = await request(url, {
        method: 'POST',
        body,
        signal: AbortSignal.timeout(this.config.timeoutMs ?? 30_000),
        dispatcher: this.dispatcher,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': `heapster/${VERSION}`,
          authorization: this.auth,
        },
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      const e = err as Error & { code?: string; cause?: { code?: string } };
      const timeout = e.name === 'TimeoutError' || e.name === 'AbortError';
      const code = e.code ?? e.cause?.code;
      throw new HistoricalSourceError(
        timeout
          ? `${this.where} did not answer within ${(this.config.timeoutMs ?? 30_000) / 1000} s`
          : `${this.where} is unreachable: ${code && !e.message.includes(code) ? `${code} ` : ''}${e.message}`,
        timeout ? 504 : 502,
      );
    }
    let json: InfluxQueryResponse;
    try {
      json = JSON.parse(text) as InfluxQueryResponse;
    } catch {
      throw new HistoricalSourceError(
        `${this.where} answered HTTP ${status} with a non-JSON body: ${text.trim().slice(0, 200)}`,
      );
    }
    const error = json.error ?? json.results?.[0]?.error;
    if (error !== undefined && /^database not found/.test(error)) return [];
    if (status >= 300 || error !== undefined) {
      throw new HistoricalSourceError(
        `${this.where} answered HTTP ${status}: ${error ?? text.trim().slice(0, 200)}`,
      );
    }
    return json.results?.[0]?.series ?? [];
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Builds the backend of `--historical_source=influxdb:...` (ConfigError on a bad option). */
export function createInfluxdbHistoricalBackend(uri: ParsedUri): InfluxdbHistoricalBackend {
  return new InfluxdbHistoricalBackend(parseInfluxdbHistoricalUri(uri));
}
