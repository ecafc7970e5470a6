import { createSocket } from 'node:dgram';
import type { ParsedUri } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import { checkOptions, optionInt, optionString } from '../config/uri.js';
import type { Batch, Labels } from '../core/batch.js';
import type { Logger } from '../core/log.js';
import type { Chunk, ChunkedSink, RuntimeOptions } from '../pipeline/sink-queue.js';
import { RUNTIME_OPTION_NAMES, runtimeOptions } from './runtime-options.js';

/** Typed `--sink=statsd:udp://host:port?opts` (§4.13). */
export interface StatsdConfig {
  readonly host: string;
  readonly port: number;
  readonly prefix: string;
  readonly protocolType: 'etsystatsd' | 'influxstatsd';
  readonly numMetricsPerMsg: number;
  /** Label key renames applied before the style (`old:new`). */
  readonly renameLabels: ReadonlyMap<string, string>;
  /** Only these labels are used when non-empty. */
  readonly allowedLabels: ReadonlySet<string>;
  readonly labelStyle: 'none' | 'lowerCamelCase' | 'upperCamelCase';
  readonly runtime: RuntimeOptions;
}

const OPTIONS = [
  'prefix',
  'protocolType',
  'numMetricsPerMsg',
  'renameLabels',
  'allowedLabels',
  'labelStyle',
  ...RUNTIME_OPTION_NAMES,
];

/** Parses the URI (default `localhost:8125`, etsystatsd, 5 metrics per message); ConfigError on bad input. */
export function parseStatsdUri(uri: ParsedUri): StatsdConfig {
  checkOptions(uri, OPTIONS, '--sink');
  const protocolType = optionString(uri, 'protocolType', 'etsystatsd').toLowerCase();
  if (protocolType !== 'etsystatsd' && protocolType !== 'influxstatsd') {
    throw new ConfigError(
      `--sink=${uri.raw}: option "protocolType": ${JSON.stringify(protocolType)} is not etsystatsd or influxstatsd`,
    );
  }
  const labelStyle = optionString(uri, 'labelStyle', 'none');
  if (labelStyle !== 'none' && labelStyle !== 'lowerCamelCase' && labelStyle !== 'upperCamelCase') {
    throw new ConfigError(
      `--sink=${uri.raw}: option "labelStyle": ${JSON.stringify(labelStyle)} is not lowerCamelCase or upperCamelCase`,
    );
  }
  const renameLabels = new Map<string, string>();
  for (const pair of optionString(uri, 'renameLabels', '').split(',')) {
    if (pair === '') continue;
    const colon = pair.indexOf(':');
    if (colon <= 0) {
      throw new ConfigError(
        `--sink=${uri.raw}: option "renameLabels": ${JSON.stringify(pair)} is not old:new`,
      );
    }
    renameLabels.set(pair.slice(0, colon), pair.slice(colon + 1));
  }
  const allowed = optionString(uri, 'allowedLabels', '');
  return {
    host: uri.url?.hostname.replace(/^\[|\]$/g, '') || 'localhost',
    port: uri.url?.port ? Number(uri.url.port) : 8125,
    prefix: optionString(uri, 'prefix', ''),
    protocolType,
    numMetricsPerMsg: optionInt(uri, 'numMetricsPerMsg', 5, { min: 1 }),
    renameLabels,
    allowedLabels: new Set(allowed === '' ? [] : allowed.split(',')),
    labelStyle,
    runtime: runtimeOptions(uri),
  };
}

function title(word: string): string {
  return word === '' ? '' : word[0].toUpperCase() + word.slice(1);
}

function customizeLabel(cfg: StatsdConfig, label: string): string {
  const renamed = cfg.renameLabels.get(label) ?? label;
  if (cfg.labelStyle === 'none') return renamed;
  const upper = renamed.split('_').map(title).join('');
  return cfg.labelStyle === 'upperCamelCase' || upper === ''
    ? upper
    : upper[0].toLowerCase() + upper.slice(1);
}

/** Go's `%v` of a metric value: integers as is, floats in shortest form (`1e-05` below 1e-4). */
function goValue(value: number): string {
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    return value.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(value);
}

const ETSY = (s: string) => s.replace(/[.=|]/g, '_');
const INFLUX = (s: string) => s.replace(/[,:=|]/g, '_');

/** `pod labels` (`k:v,k2:v2`) as a map; pairs without `:` are ignored. */
function userLabels(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of text.split(',')) {
    const kv = pair.split(':');
    if (kv.length >= 2) out.set(kv[0], kv[1]);
  }
  return out;
}

function etsyLine(
  cfg: StatsdConfig,
  name: string,
  labels: Labels,
  value: number,
): string | undefined {
  const id = labels.resource_id;
  const metric = id !== undefined ? `${ETSY(name)}.${ETSY(id)}` : ETSY(name);
  const prefix = cfg.prefix !== '' ? ETSY(cfg.prefix) + '.' : '';
  const user = labels.labels ?? '';
  let suffix = `${metric}:${goValue(value)}|g`;
  if (user !== '') {
    const parts: string[] = [];
    const map = userLabels(user);
    for (const k of [...map.keys()].sort()) {
      const v = map.get(k) ?? '';
      if (v !== '') parts.push(`${customizeLabel(cfg, ETSY(k))}.${ETSY(v)}`);
    }
    if (parts.length > 0) suffix = `${parts.join('.')}.${suffix}`;
  }
  const e = (k: string) => ETSY(labels[k] ?? '');
  switch (labels.type) {
    case 'pod_container':
      return `${prefix}node.${e('hostname')}.namespace.${e('namespace_name')}.pod.${e('pod_name')}.container.${e('container_name')}.${suffix}`;
    case 'sys_container':
      return `${prefix}node.${e('hostname')}.sys-container.${e('container_name')}.${suffix}`;
    case 'pod':
      return `${prefix}node.${e('hostname')}.namespace.${e('namespace_name')}.pod.${e('pod_name')}.${suffix}`;
    case 'ns':
      return `${prefix}namespace.${e('namespace_name')}.${suffix}`;
    case 'node':
      return `${prefix}node.${e('hostname')}.${suffix}`;
    case 'cluster':
      return `${prefix}cluster.${suffix}`;
    default:
      return undefined;
  }
}

function influxLine(cfg: StatsdConfig, name: string, labels: Labels, value: number): string {
  const tags = new Map<string, string>();
  for (const k of Object.keys(labels)) if (k !== 'labels') tags.set(k, labels[k]);
  for (const [k, v] of userLabels(labels.labels ?? '')) tags.set(k, v);
  let out = INFLUX(cfg.prefix) + INFLUX(name);
  for (const k of [...tags.keys()].sort()) {
    const v = tags.get(k) ?? '';
    if (v !== '') out += `,${customizeLabel(cfg, INFLUX(k))}=${INFLUX(v)}`;
  }
  return `${out}:${goValue(value)}|g`;
}

/**
 * The batch as statsd gauge lines (§4.13, no trailing newline), in the etsystatsd or
 * influxstatsd format of the original, labels filtered by `allowedLabels`. Sets of an
 * unknown type are skipped (etsy). Pure.
 */
export function toStatsdLines(batch: Batch, cfg: StatsdConfig): string[] {
  const out: string[] = [];
  const allowAll = cfg.allowedLabels.size === 0;
  const filter = (labels: Labels): Labels => {
    if (allowAll) return labels;
    const f: Labels = {};
    for (const k of Object.keys(labels)) if (cfg.allowedLabels.has(k)) f[k] = labels[k];
    return f;
  };
  const line = cfg.protocolType === 'etsystatsd' ? etsyLine : influxLine;
  for (const set of batch.sets.values()) {
    const labels = filter(set.labels);
    for (const [name, value] of set.values) {
      if (!Number.isFinite(value)) continue;
      const l = line(cfg, name, labels, value);
      if (l !== undefined) out.push(l);
    }
    for (const lv of set.labeled) {
      if (!Number.isFinite(lv.value)) continue;
      const l = line(cfg, lv.name, { ...labels, ...filter(lv.labels) }, lv.value);
      if (l !== undefined) out.push(l);
    }
  }
  return out;
}

/**
 * `--sink=statsd:udp://host:port`: every value as a gauge; `numMetricsPerMsg` lines (each
 * ending in `\n`) per UDP datagram. UDP has no delivery check: a send only fails on a local
 * socket error.
 */
export class StatsdSink implements ChunkedSink<string[]> {
  readonly name: string;
  readonly runtime: RuntimeOptions;

  constructor(readonly config: StatsdConfig) {
    this.runtime = config.runtime;
    this.name = `statsd:${config.host}:${config.port}`;
  }

  encode(batch: Batch): Chunk<string[]>[] {
    const lines = toStatsdLines(batch, this.config);
    return lines.length === 0
      ? []
      : [{ payload: lines, points: lines.length, timestampMs: batch.timestampMs }];
  }

  async write(batch: Batch): Promise<void> {
    for (const c of this.encode(batch)) await this.send(c.payload);
  }

  async send(lines: string[]): Promise<void> {
    const sock = createSocket(this.config.host.includes(':') ? 'udp6' : 'udp4');
    try {
      const n = this.config.numMetricsPerMsg;
      for (let i = 0; i < lines.length; i += n) {
        const msg = lines
          .slice(i, i + n)
          .map((l) => l + '\n')
          .join('');
        await new Promise<void>((resolve, reject) =>
          sock.send(msg, this.config.port, this.config.host, (err) =>
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

/** Factory for the registry. */
export function createStatsdSink(uri: ParsedUri, _ctx: { logger: Logger }): StatsdSink {
  return new StatsdSink(parseStatsdUri(uri));
}
