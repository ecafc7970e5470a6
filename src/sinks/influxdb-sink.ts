import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { VERSION } from '../config/flags.js';
import type { ParsedUri } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import {
  checkOptions,
  optionBool,
  optionDurationMs,
  optionInt,
  optionString,
} from '../config/uri.js';
import type { Batch } from '../core/batch.js';
import type { Logger } from '../core/log.js';
import type { Chunk, ChunkedSink, RuntimeOptions } from '../pipeline/sink-queue.js';
import { PermanentWriteError } from '../pipeline/sink-queue.js';
import { lineProtocolChunks } from './influxdb-line-protocol.js';
import type { LineProtocolOptions } from './influxdb-line-protocol.js';
import { RUNTIME_OPTION_NAMES, runtimeOptions } from './runtime-options.js';

/** Points per write request (the original's maxSendBatchSize). */
export const INFLUXDB_BATCH_POINTS = 10_000;

/** The retention policy every v1 write targets, as in the original. */
export const INFLUXDB_RP = 'default';

/** InfluxDB 2.x (and 1.8+) `/api/v2/write` target. */
export interface InfluxdbV2Target {
  readonly org: string;
  readonly bucket: string;
  readonly token: string;
}

/** Typed `--sink=influxdb:...` (§4.1 plus the v2 and runtime options). */
export interface InfluxdbConfig extends LineProtocolOptions {
  /** `http(s)://host:port` (no trailing slash). */
  readonly baseUrl: string;
  readonly user: string;
  readonly password: string;
  readonly db: string;
  /** Duration of the `default` RP when we have to create it; 0 = infinite. */
  readonly retentionMs: number;
  readonly insecureSsl: boolean;
  readonly concurrency: number;
  /** Send request bodies gzip-compressed (`Content-Encoding: gzip`, level 1). */
  readonly gzip: boolean;
  /** Set when `bucket` is given: write through `/api/v2/write` instead of `/write`. */
  readonly v2: InfluxdbV2Target | undefined;
  readonly runtime: RuntimeOptions;
}

const OPTIONS = [
  'user',
  'pw',
  'db',
  'retention',
  'secure',
  'insecuressl',
  'withfields',
  'cluster_name',
  'disable_counter_metrics',
  'concurrency',
  'gzip',
  'org',
  'bucket',
  'token',
  ...RUNTIME_OPTION_NAMES,
];

/**
 * Parses `--sink=influxdb:http://host:port?opts` (only the host is used, the scheme comes
 * from `secure`, default host `localhost:8086`). Throws ConfigError naming the option for
 * an unknown option or a bad value.
 */
export function parseInfluxdbUri(uri: ParsedUri): InfluxdbConfig {
  checkOptions(uri, OPTIONS, '--sink');
  const host = uri.url?.host || 'localhost:8086';
  const secure = optionBool(uri, 'secure', false);
  const concurrency = optionInt(uri, 'concurrency', 1, { min: 1, max: 64 });
  const bucket = optionString(uri, 'bucket', '');
  const org = optionString(uri, 'org', '');
  const token = optionString(uri, 'token', '');
  if (bucket === '' && (org !== '' || token !== '')) {
    throw new ConfigError(
      `--sink=${uri.raw}: options "org"/"token" are for the v2 API and need "bucket" too`,
    );
  }
  const retention = optionString(uri, 'retention', '0');
  const retentionMs = optionDurationMs(uri, 'retention', 0, { min: 0 });
  if (retentionMs !== 0 && retentionMs < 3_600_000) {
    throw new ConfigError(
      `--sink=${uri.raw}: option "retention": ${JSON.stringify(retention)} is below InfluxDB's minimum of 1h (0 = infinite)`,
    );
  }
  return {
    baseUrl: `${secure ? 'https' : 'http'}://${host}`,
    user: optionString(uri, 'user', 'root'),
    password: optionString(uri, 'pw', 'root'),
    db: optionString(uri, 'db', 'k8s'),
    retentionMs,
    insecureSsl: optionBool(uri, 'insecuressl', false),
    withFields: optionBool(uri, 'withfields', false),
    clusterName: optionString(uri, 'cluster_name', 'default'),
    disableCounterMetrics: optionBool(uri, 'disable_counter_metrics', false),
    concurrency,
    gzip: optionBool(uri, 'gzip', false),
    v2: bucket === '' ? undefined : { org, bucket, token },
    runtime: runtimeOptions(uri, concurrency),
  };
}

/** InfluxQL identifier in double quotes. */
function quoteIdent(name: string): string {
  return '"' + name.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** InfluxQL duration literal for `ms` (`INF` for 0), in the largest whole unit. */
export function influxDuration(ms: number): string {
  if (ms === 0) return 'INF';
  for (const [unit, size] of [
    ['w', 604_800_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms)}ms`;
}

/**
 * `--sink=influxdb`: writes every batch as line protocol (see influxdb-line-protocol.ts) in
 * requests of 10,000 points, `concurrency` at a time (the sink runtime queues and retries).
 *
 * v1 (`/write?db=<db>&rp=default&precision=ms`, basic auth): before the first write, and
 * again after a "database not found" or "retention policy not found" answer, it runs
 * `CREATE DATABASE "<db>"` (idempotent on 1.x, so it works against an existing database),
 * then `SHOW RETENTION POLICIES`; if there is no RP `default` it creates it with
 * `DURATION <retention> REPLICATION 1 DEFAULT`. An existing `default` RP is left as it is
 * (a warning is logged when it is not the database's default, since dashboards query the
 * default RP). A "database not found" write recreates and retries at once.
 *
 * v2 (`bucket` given): `/api/v2/write?org=&bucket=&precision=ms` with `Authorization: Token`;
 * the bucket must exist. HTTP 400 (bad points, field type conflict) rejects the chunk
 * without retry; other failures are retried by the runtime.
 */
export class InfluxdbSink implements ChunkedSink<Buffer> {
  /** `influxdb:<host>/<db>` (or `/<bucket>`), so that two influxdb sinks have distinct self-metrics. */
  readonly name: string;
  readonly runtime: RuntimeOptions;
  private readonly dispatcher: Dispatcher;
  private dbReady: Promise<void> | undefined;
  private readonly auth: string;

  constructor(
    readonly config: InfluxdbConfig,
    private readonly logger: Logger,
  ) {
    this.runtime = config.runtime;
    this.name = `influxdb:${config.baseUrl.replace(/^https?:\/\//, '')}/${config.v2?.bucket ?? config.db}`;
    this.dispatcher = new Agent({
      connections: Math.max(2, config.concurrency),
      connect: config.insecureSsl ? { rejectUnauthorized: false } : undefined,
    });
    this.auth = config.v2
      ? `Token ${config.v2.token}`
      : 'Basic ' + Buffer.from(`${config.user}:${config.password}`).toString('base64');
  }

  *encode(batch: Batch): Generator<Chunk<Buffer>, void, undefined> {
    for (const c of lineProtocolChunks(batch, this.config, INFLUXDB_BATCH_POINTS)) {
      yield { payload: c.bytes, points: c.points, timestampMs: batch.timestampMs };
    }
  }

  async write(batch: Batch): Promise<void> {
    for (const c of this.encode(batch)) await this.send(c.payload, AbortSignal.timeout(60_000));
  }

  async send(body: Buffer, signal: AbortSignal): Promise<void> {
    if (this.config.v2) return this.post(this.v2WriteUrl(this.config.v2), body, signal);
    await this.ensureDatabase(signal);
    try {
      await this.post(this.v1WriteUrl(), body, signal);
    } catch (err) {
      if (!(err instanceof MissingDatabaseError)) throw err;
      this.logger.warn(
        { db: this.config.db, err: err.message },
        `influxdb: ${err.message}; creating database ${this.config.db} and retrying`,
      );
      this.dbReady = undefined;
      await this.ensureDatabase(signal);
      await this.post(this.v1WriteUrl(), body, signal);
    }
  }

  private v1WriteUrl(): string {
    const q = new URLSearchParams({ db: this.config.db, rp: INFLUXDB_RP, precision: 'ms' });
    return `${this.config.baseUrl}/write?${q}`;
  }

  private v2WriteUrl(v2: InfluxdbV2Target): string {
    const q = new URLSearchParams({ org: v2.org, bucket: v2.bucket, precision: 'ms' });
    return `${this.config.baseUrl}/api/v2/write?${q}`;
  }

  private async post(url: string, body: Buffer, signal: AbortSignal): Promise<void> {
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=utf-8',
      'user-agent': `heapster/${VERSION}`,
      authorization: this.auth,
    };
    if (this.config.gzip) headers['content-encoding'] = 'gzip';
    const res = await request(url, {
      method: 'POST',
      // Compressed in the libuv thread pool, off the event loop.
      body: this.config.gzip ? await gzipAsync(body, { level: 1 }) : body,
      signal,
      dispatcher: this.dispatcher,
      headers,
    });
    const text = await res.body.text();
    if (res.statusCode >= 200 && res.statusCode < 300) return;
    const detail = `HTTP ${res.statusCode} from ${url.split('?')[0]}: ${text.trim().slice(0, 300)}`;
    if (/database not found|retention policy not found/.test(text)) {
      throw new MissingDatabaseError(detail);
    }
    if (res.statusCode === 400) throw new PermanentWriteError(detail);
    throw new Error(detail);
  }

  /** Creates the database and RP `default` once (again after a reset); concurrent callers share it. */
  private ensureDatabase(signal: AbortSignal): Promise<void> {
    this.dbReady ??= this.createDatabase(signal).catch((err: unknown) => {
      this.dbReady = undefined;
      throw err;
    });
    return this.dbReady;
  }

  private async createDatabase(signal: AbortSignal): Promise<void> {
    const db = quoteIdent(this.config.db);
    await this.query(`CREATE DATABASE ${db}`, signal);
    const rps = await this.query(`SHOW RETENTION POLICIES ON ${db}`, signal);
    const series = rps.results?.[0]?.series?.[0];
    const cols = series?.columns ?? [];
    const nameCol = cols.indexOf('name');
    const defaultCol = cols.indexOf('default');
    const row = (series?.values ?? []).find((v) => v[nameCol] === INFLUXDB_RP);
    if (row === undefined) {
      await this.query(
        `CREATE RETENTION POLICY ${quoteIdent(INFLUXDB_RP)} ON ${db} DURATION ${influxDuration(this.config.retentionMs)} REPLICATION 1 DEFAULT`,
        signal,
      );
      this.logger.info(
        { db: this.config.db, retention: influxDuration(this.config.retentionMs) },
        `influxdb: created retention policy "default" on ${this.config.db}`,
      );
    } else if (defaultCol >= 0 && row[defaultCol] !== true) {
      this.logger.warn(
        { db: this.config.db },
        `influxdb: retention policy "default" on ${this.config.db} is not the database's default; Grafana queries without an RP will not see heapster's points`,
      );
    }
  }

  private async query(q: string, signal: AbortSignal): Promise<InfluxQueryResponse> {
    const url = `${this.config.baseUrl}/query`;
    const res = await request(url, {
      method: 'POST',
      body: new URLSearchParams({ q }).toString(),
      signal,
      dispatcher: this.dispatcher,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': `heapster/${VERSION}`,
        authorization: this.auth,
      },
    });
    const text = await res.body.text();
    let json: InfluxQueryResponse;
    try {
      json = JSON.parse(text) as InfluxQueryResponse;
    } catch {
      throw new Error(`influxdb query ${q}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    }
    const error = json.error ?? json.results?.[0]?.error;
    if (res.statusCode >= 300 || error !== undefined) {
      throw new Error(
        `influxdb query ${q}: HTTP ${res.statusCode}: ${error ?? text.slice(0, 300)}`,
      );
    }
    return json;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

const gzipAsync = promisify(gzip);

class MissingDatabaseError extends Error {}

interface InfluxQueryResponse {
  error?: string;
  results?: {
    error?: string;
    series?: { name?: string; columns?: string[]; values?: unknown[][] }[];
  }[];
}

/** Factory for the registry: parses the URI (ConfigError on a bad option) and builds the sink. */
export function createInfluxdbSink(uri: ParsedUri, ctx: { logger: Logger }): InfluxdbSink {
  const config = parseInfluxdbUri(uri);
  return new InfluxdbSink(config, ctx.logger.child({ sink: 'influxdb' }));
}
