import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { ParsedUri } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import { checkOptions, optionString } from '../config/uri.js';
import type { Batch, Labels } from '../core/batch.js';
import type { Logger } from '../core/log.js';
import { isIntMetric } from '../core/metrics.js';
import type { Chunk, ChunkedSink, RuntimeOptions } from '../pipeline/sink-queue.js';
import { RUNTIME_OPTION_NAMES, runtimeOptions } from './runtime-options.js';

/** Lines per TCP write request. */
export const GRAPHITE_BATCH_LINES = 10_000;
/** Largest UDP datagram we send (several lines each; stays under a 1500-byte MTU). */
const UDP_MAX_BYTES = 1400;

/** One path component: `.`, `/`, whitespace (and other characters carbon cannot store) become `_`. */
export function graphiteEscape(part: string): string {
  return part.replace(/[./\s]/g, '_');
}

/**
 * Metric part of the path: `/` → `.`; a labeled value puts its resource id (or accelerator
 * id) after the first segment, e.g. `filesystem._dev_sda1.usage` — the original looked up a
 * label `resourceId` that never exists, so its labeled values collided; this is the fix.
 */
function metricPath(name: string, labels: Labels): string {
  const parts = name.split('/').map(graphiteEscape);
  const id = labels.resource_id ?? labels.accelerator_id;
  if (id !== undefined && id !== '' && parts.length > 1) parts.splice(1, 0, graphiteEscape(id));
  else if (id !== undefined && id !== '') parts.push(graphiteEscape(id));
  return parts.join('.');
}

/**
 * Graphite path of a value (§4.10) without the prefix: `cluster.<m>`, `namespaces.<ns>.<m>`,
 * `nodes.<host>.<m>`, `nodes.<host>.sys-containers.<c>.<m>`, `nodes.<host>.pods.<ns>.<pod>.<m>`,
 * `nodes.<host>.pods.<ns>.<pod>.containers.<c>.<m>`. `<host>` is the `hostname` label
 * (`nodename` when absent). Every component is escaped with graphiteEscape.
 */
export function graphitePath(name: string, labels: Labels): string {
  const m = metricPath(name, labels);
  const e = (k: string) => graphiteEscape(labels[k] ?? '');
  const host = graphiteEscape(labels.hostname || labels.nodename || '');
  switch (labels.type) {
    case 'pod_container':
      return `nodes.${host}.pods.${e('namespace_name')}.${e('pod_name')}.containers.${e('container_name')}.${m}`;
    case 'sys_container':
      return `nodes.${host}.sys-containers.${e('container_name')}.${m}`;
    case 'pod':
      return `nodes.${host}.pods.${e('namespace_name')}.${e('pod_name')}.${m}`;
    case 'ns':
      return `namespaces.${e('namespace_name')}.${m}`;
    case 'node':
      return `nodes.${host}.${m}`;
    case 'cluster':
      return `cluster.${m}`;
    default:
      return m;
  }
}

/** `%d` for int64 metrics, `%f` (6 decimals) for floats, as the original printed them. */
function graphiteValue(name: string, value: number): string {
  return isIntMetric(name, value) ? String(Math.trunc(value)) : value.toFixed(6);
}

/**
 * The batch as carbon plaintext lines `<prefix>.<path> <value> <unix seconds>\n`, split into
 * chunks of at most `maxLines`. Non-finite values are skipped. Pure.
 */
export function toGraphiteLines(
  batch: Batch,
  prefix: string,
  maxLines = GRAPHITE_BATCH_LINES,
): { text: string; points: number }[] {
  return [...graphiteChunks(batch, prefix, maxLines)];
}

/** toGraphiteLines as a generator: each chunk is made when it is asked for. */
export function* graphiteChunks(
  batch: Batch,
  prefix: string,
  maxLines = GRAPHITE_BATCH_LINES,
): Generator<{ text: string; points: number }, void, undefined> {
  const head = prefix === '' ? '' : prefix + '.';
  const tail = ' ' + Math.floor(batch.timestampMs / 1000) + '\n';
  let text = '';
  let points = 0;
  /** Appends one line; true when the chunk is full. */
  const add = (name: string, labels: Labels, value: number): boolean => {
    if (!Number.isFinite(value)) return false;
    text += head + graphitePath(name, labels) + ' ' + graphiteValue(name, value) + tail;
    return ++points >= maxLines;
  };
  const take = () => {
    const chunk = { text, points };
    text = '';
    points = 0;
    return chunk;
  };
  for (const set of batch.sets.values()) {
    for (const [name, value] of set.values) if (add(name, set.labels, value)) yield take();
    for (const lv of set.labeled) {
      if (add(lv.name, { ...set.labels, ...lv.labels }, lv.value)) yield take();
    }
  }
  if (points > 0) yield take();
}

/** Typed `--sink=graphite:tcp://host:2003?prefix=kubernetes`. */
export interface GraphiteConfig {
  readonly protocol: 'tcp' | 'udp';
  readonly host: string;
  readonly port: number;
  readonly prefix: string;
  readonly runtime: RuntimeOptions;
}

/** Parses the URI (default `tcp://localhost:2003`, prefix `kubernetes`); ConfigError on bad input. */
export function parseGraphiteUri(uri: ParsedUri): GraphiteConfig {
  checkOptions(uri, ['prefix', ...RUNTIME_OPTION_NAMES], '--sink');
  const protocol = uri.url ? uri.url.protocol.replace(/:$/, '') : 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp') {
    throw new ConfigError(`--sink=${uri.raw}: protocol must be tcp or udp, not "${protocol}"`);
  }
  return {
    protocol,
    host: uri.url?.hostname.replace(/^\[|\]$/g, '') || 'localhost',
    port: uri.url?.port ? Number(uri.url.port) : 2003,
    prefix: optionString(uri, 'prefix', 'kubernetes'),
    runtime: runtimeOptions(uri),
  };
}

/**
 * `--sink=graphite`: carbon plaintext over TCP (one connection per request of up to 10,000
 * lines; the request succeeds when the server has taken every byte and the connection
 * closed cleanly) or UDP (datagrams of at most 1400 bytes, whole lines; no delivery check).
 */
export class GraphiteSink implements ChunkedSink<string> {
  readonly name: string;
  readonly runtime: RuntimeOptions;

  constructor(readonly config: GraphiteConfig) {
    this.runtime = config.runtime;
    this.name = `graphite:${config.host}:${config.port}`;
  }

  *encode(batch: Batch): Generator<Chunk<string>, void, undefined> {
    for (const c of graphiteChunks(batch, this.config.prefix)) {
      yield { payload: c.text, points: c.points, timestampMs: batch.timestampMs };
    }
  }

  async write(batch: Batch): Promise<void> {
    for (const c of this.encode(batch)) await this.send(c.payload, AbortSignal.timeout(60_000));
  }

  send(text: string, signal: AbortSignal): Promise<void> {
    return this.config.protocol === 'tcp' ? this.sendTcp(text, signal) : this.sendUdp(text);
  }

  private sendTcp(text: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: this.config.host, port: this.config.port });
      const onAbort = () =>
        sock.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      sock.once('error', (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      });
      sock.once('close', (hadError) => {
        signal.removeEventListener('abort', onAbort);
        if (!hadError) resolve();
      });
      sock.once('connect', () => sock.end(text));
      sock.resume();
    });
  }

  private async sendUdp(text: string): Promise<void> {
    const sock = createSocket(this.config.host.includes(':') ? 'udp6' : 'udp4');
    try {
      for (const packet of packLines(text, UDP_MAX_BYTES)) {
        await new Promise<void>((resolve, reject) =>
          sock.send(packet, this.config.port, this.config.host, (err) =>
            err ? reject(err) : resolve(),
          ),
        );
      }
    } finally {
      sock.close();
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Groups `\n`-terminated lines into packets of at most `maxBytes` (a longer line goes alone). */
export function packLines(text: string, maxBytes: number): string[] {
  const packets: string[] = [];
  let cur = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const l = line + '\n';
    if (cur !== '' && Buffer.byteLength(cur) + Buffer.byteLength(l) > maxBytes) {
      packets.push(cur);
      cur = '';
    }
    cur += l;
  }
  if (cur !== '') packets.push(cur);
  return packets;
}

/** Factory for the registry. */
export function createGraphiteSink(uri: ParsedUri, _ctx: { logger: Logger }): GraphiteSink {
  return new GraphiteSink(parseGraphiteUri(uri));
}
