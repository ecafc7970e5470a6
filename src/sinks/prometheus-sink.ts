import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { VERSION } from '../config/flags.js';
import type { ParsedUri } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import { checkOptions, optionBool, optionInt, optionString } from '../config/uri.js';
import type { Batch } from '../core/batch.js';
import type { Logger } from '../core/log.js';
import type { Chunk, ChunkedSink, RuntimeOptions } from '../pipeline/sink-queue.js';
import { PermanentWriteError } from '../pipeline/sink-queue.js';
import type { RemoteWriteOptions } from './prometheus-remote-write.js';
import { remoteWriteChunks, snappyBlock } from './prometheus-remote-write.js';
import { RUNTIME_OPTION_NAMES, runtimeOptions } from './runtime-options.js';

/** Typed `--sink=prometheus:<remote write URL>?opts`. */
export interface PrometheusSinkConfig extends RemoteWriteOptions {
  /** The receiver's endpoint without our options, e.g. `http://prom:9090/api/v1/write`. */
  readonly endpoint: string;
  /** Series (one sample each) per request. */
  readonly maxSamplesPerSend: number;
  /** `Authorization` header value, or '' for none. */
  readonly authorization: string;
  readonly insecureSsl: boolean;
  readonly runtime: RuntimeOptions;
}

const OPTIONS = [
  'prefix',
  'cluster_name',
  'max_samples_per_send',
  'concurrency',
  'user',
  'pw',
  'bearer_token',
  'insecuressl',
  ...RUNTIME_OPTION_NAMES,
];

/**
 * Parses `--sink=prometheus:http://host:9090/api/v1/write?opts` (path defaults to
 * `/api/v1/write`; our options are removed from the URL). Throws ConfigError naming the
 * option on an unknown option or bad value.
 */
export function parsePrometheusUri(uri: ParsedUri): PrometheusSinkConfig {
  checkOptions(uri, OPTIONS, '--sink');
  if (uri.url === undefined || !/^https?:$/.test(uri.url.protocol)) {
    throw new ConfigError(
      `--sink=${uri.raw}: needs the remote write URL, e.g. --sink=prometheus:http://127.0.0.1:9090/api/v1/write`,
    );
  }
  const endpoint = new URL(uri.url.href);
  endpoint.search = '';
  if (endpoint.pathname === '/' || endpoint.pathname === '') endpoint.pathname = '/api/v1/write';
  const user = optionString(uri, 'user', '');
  const token = optionString(uri, 'bearer_token', '');
  if (user !== '' && token !== '') {
    throw new ConfigError(`--sink=${uri.raw}: give either "user"/"pw" or "bearer_token", not both`);
  }
  const authorization =
    token !== ''
      ? `Bearer ${token}`
      : user !== ''
        ? 'Basic ' + Buffer.from(`${user}:${optionString(uri, 'pw', '')}`).toString('base64')
        : '';
  const concurrency = optionInt(uri, 'concurrency', 1, { min: 1, max: 64 });
  return {
    endpoint: endpoint.href,
    prefix: optionString(uri, 'prefix', 'heapster_'),
    clusterName: optionString(uri, 'cluster_name', ''),
    maxSamplesPerSend: optionInt(uri, 'max_samples_per_send', 10_000, { min: 1, max: 1_000_000 }),
    authorization,
    insecureSsl: optionBool(uri, 'insecuressl', false),
    runtime: runtimeOptions(uri, concurrency),
  };
}

/**
 * `--sink=prometheus`: Prometheus remote write 1.0 (protobuf WriteRequest, snappy block
 * compression, headers `Content-Encoding: snappy`, `Content-Type: application/x-protobuf`,
 * `X-Prometheus-Remote-Write-Version: 0.1.0`) to Prometheus (`--web.enable-remote-write-receiver`),
 * VictoriaMetrics, Thanos, Mimir, ... Series mapping: see toTimeSeries. A 4xx answer other
 * than 429 rejects the chunk (not retried); 429, 5xx and network errors are retried.
 */
export class PrometheusSink implements ChunkedSink<Uint8Array> {
  readonly name: string;
  readonly runtime: RuntimeOptions;
  private readonly dispatcher: Dispatcher;

  constructor(readonly config: PrometheusSinkConfig) {
    this.runtime = config.runtime;
    this.name = `prometheus:${new URL(config.endpoint).host}`;
    this.dispatcher = new Agent({
      connections: Math.max(2, config.runtime.concurrency),
      connect: config.insecureSsl ? { rejectUnauthorized: false } : undefined,
    });
  }

  *encode(batch: Batch): Generator<Chunk<Uint8Array>, void, undefined> {
    const size = this.config.maxSamplesPerSend;
    for (const c of remoteWriteChunks(batch, this.config, size)) {
      yield { payload: snappyBlock(c.body), points: c.series, timestampMs: batch.timestampMs };
    }
  }

  async write(batch: Batch): Promise<void> {
    for (const c of this.encode(batch)) await this.send(c.payload, AbortSignal.timeout(60_000));
  }

  async send(body: Uint8Array, signal: AbortSignal): Promise<void> {
    const headers: Record<string, string> = {
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
      'user-agent': `heapster/${VERSION}`,
    };
    if (this.config.authorization) headers.authorization = this.config.authorization;
    const res = await request(this.config.endpoint, {
      method: 'POST',
      body,
      signal,
      headers,
      dispatcher: this.dispatcher,
    });
    const text = await res.body.text();
    if (res.statusCode >= 200 && res.statusCode < 300) return;
    const detail = `HTTP ${res.statusCode} from ${this.config.endpoint}: ${text.trim().slice(0, 300)}`;
    if (res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 429) {
      throw new PermanentWriteError(detail);
    }
    throw new Error(detail);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Factory for the registry. */
export function createPrometheusSink(uri: ParsedUri, _ctx: { logger: Logger }): PrometheusSink {
  return new PrometheusSink(parsePrometheusUri(uri));
}
