// The command line of the main job: Heapster's flags (metrics/options/options.go) plus ours.
import { createRequire } from 'node:module';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDuration, parseDurationMs } from './duration.js';
import { ConfigError, type Config } from './types.js';
import { parseBoolWord, parseUri } from './uri.js';

/** The package version (package.json), printed by `--version` and sent as User-Agent. */
export const VERSION: string = (
  createRequire(import.meta.url)('../../package.json') as { version: string }
).version;

type FlagGroup = 'heapster' | 'ours' | 'glog';

interface FlagSpec {
  /** Canonical name, dashes only. */
  readonly name: string;
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Placeholder shown in --help for a string flag. */
  readonly arg?: string;
  /** Default as shown in --help; omitted when there is nothing to show. */
  readonly def?: string;
  readonly help: string;
  readonly group: FlagGroup;
}

const DEFAULT_RESOLUTION_MS = 60_000;
const MIN_RESOLUTION_MS = 1_000;
const DEFAULT_RETENTION_MS = 24 * 3_600_000;
const DEFAULT_ROLLUP_RETENTION_MS = 30 * 24 * 3_600_000;
const MAX_SCRAPE_OFFSET_MS = 5_000;
const MAX_SCRAPE_TIMEOUT_MS = 20_000;
const DEFAULT_EXPORT_TIMEOUT_MS = 20_000;
const DEFAULT_PORT = 8082;

const FLAGS: readonly FlagSpec[] = [
  {
    name: 'source',
    type: 'string',
    arg: 'URI',
    def: 'local',
    group: 'heapster',
    help:
      'Where to collect metrics from, key[:url][?opts]; repeatable, every source is scraped.\n' +
      'Sources: local (the cgroups and /proc of this machine), kubernetes.summary_api,\n' +
      'kubernetes (kubelet /metrics/cadvisor), kubernetes.resource_api (kubelet /metrics/resource),\n' +
      'cadvisor (heapster agents or cAdvisors: a list of URLs, external?hostsFile=, coreos?fleetEndpoint=),\n' +
      'docker (the Docker Engine API stats of every running container).',
  },
  {
    name: 'sink',
    type: 'string',
    arg: 'URI',
    group: 'heapster',
    help:
      'Where to send every batch, key[:url][?opts]; repeatable, each sink gets all data.\n' +
      'Sinks: log, influxdb, prometheus (remote write), graphite, opentsdb, statsd, gcm,\n' +
      'stackdriver, gcl (Google Cloud; gcl with metrics=true). The store\n' +
      '(metric) is always on unless --disable-metric-sink.',
  },
  {
    name: 'metric-resolution',
    type: 'string',
    arg: 'DURATION',
    def: formatDuration(DEFAULT_RESOLUTION_MS),
    group: 'heapster',
    help:
      'Scrape and aggregation interval; windows are aligned to it.\n' +
      `Minimum ${formatDuration(MIN_RESOLUTION_MS)} (the original stopped at 5s).`,
  },
  {
    name: 'heapster-port',
    type: 'string',
    arg: 'PORT',
    def: String(DEFAULT_PORT),
    group: 'heapster',
    help:
      'Port of the HTTP API (model API, /metrics, /healthz); 0 picks a free port.\n' +
      '--port is accepted as the pre-1.3 name.',
  },
  { name: 'port', type: 'string', arg: 'PORT', group: 'heapster', help: '' },
  {
    name: 'listen-ip',
    type: 'string',
    arg: 'IP',
    def: "''",
    group: 'heapster',
    help: 'IP address the HTTP API binds to; empty means all interfaces.',
  },
  {
    name: 'max-procs',
    type: 'string',
    arg: 'N',
    def: '0',
    group: 'heapster',
    help: 'Accepted for compatibility (was GOMAXPROCS) and ignored.',
  },
  {
    name: 'tls-cert',
    type: 'string',
    arg: 'FILE',
    group: 'heapster',
    help: 'Serve the HTTP API over HTTPS with this PEM certificate (needs --tls-key).',
  },
  {
    name: 'tls-key',
    type: 'string',
    arg: 'FILE',
    group: 'heapster',
    help: 'PEM private key of --tls-cert (needs --tls-cert).',
  },
  {
    name: 'tls-client-ca',
    type: 'string',
    arg: 'FILE',
    group: 'heapster',
    help: 'Require client certificates signed by this CA (needs --tls-cert).',
  },
  {
    name: 'allowed-users',
    type: 'string',
    arg: 'CN,...',
    group: 'heapster',
    help: 'Comma-separated client certificate common names allowed to call the API.',
  },
  {
    name: 'historical-source',
    type: 'string',
    arg: 'URI',
    group: 'heapster',
    help:
      'Sink that backs /api/v1/historical; must repeat one --sink value exactly.\n' +
      'Only influxdb can serve history (without this flag the embedded store does).',
  },
  {
    name: 'api-server',
    type: 'boolean',
    def: 'false',
    group: 'heapster',
    help: 'Also serve the Kubernetes resource Metrics API (metrics.k8s.io, for kubectl top).',
  },
  {
    name: 'label-separator',
    type: 'string',
    arg: 'SEP',
    def: "','",
    group: 'heapster',
    help: 'Separator between pod labels joined into the "labels" label.',
  },
  {
    name: 'ignore-label',
    type: 'string',
    arg: 'KEY,...',
    group: 'heapster',
    help: 'Pod label keys left out of the "labels" label; repeatable and comma-separated.',
  },
  {
    name: 'store-label',
    type: 'string',
    arg: 'NAME,...',
    group: 'heapster',
    help:
      'Pod labels also stored as labels of their own, each "name" or "newName=name";\n' +
      'repeatable and comma-separated.',
  },
  {
    name: 'disable-export',
    type: 'boolean',
    def: 'false',
    group: 'heapster',
    help: 'Turn off /api/v1/metric-export and /api/v1/metric-export-schema.',
  },
  {
    name: 'sink-export-data-timeout',
    type: 'string',
    arg: 'DURATION',
    def: formatDuration(DEFAULT_EXPORT_TIMEOUT_MS),
    group: 'heapster',
    help: 'How long a batch may wait for a busy sink before it is dropped (and counted).',
  },
  {
    name: 'disable-metric-sink',
    type: 'boolean',
    def: 'false',
    group: 'heapster',
    help: 'Do not keep metrics in memory; the model and metrics APIs then have no data.',
  },
  {
    name: 'version',
    type: 'boolean',
    group: 'heapster',
    help: 'Print the version and exit.',
  },
  {
    name: 'help',
    type: 'boolean',
    short: 'h',
    group: 'heapster',
    help: 'Print this help and exit.',
  },
  {
    name: 'store-retention',
    type: 'string',
    arg: 'DURATION',
    def: '24h',
    group: 'ours',
    help: 'Same as --retention-raw (kept for compatibility with earlier versions).',
  },
  {
    name: 'data-dir',
    type: 'string',
    arg: 'DIR',
    def: '$XDG_STATE_HOME/heapster, ~/.local/state/heapster, or /var/lib/heapster as root',
    group: 'ours',
    help:
      'Where the embedded store keeps its history (WAL and compressed blocks); survives\n' +
      'restarts and crashes. At start the history is read back before collecting; the API\n' +
      "answers meanwhile (data requests 503). --data-dir='' keeps history in memory only.",
  },
  {
    name: 'retention-raw',
    type: 'string',
    arg: 'DURATION',
    def: '24h',
    group: 'ours',
    help:
      'How long the store keeps every raw sample (at least 2 x --metric-resolution), in\n' +
      'memory: about 1.4 bytes per sample, i.e. ~0.8 MB per hour for a node of 60 containers\n' +
      'at 15 s (18 GB for 24 h of 1,000 such nodes; see README, History, to size a cluster).\n' +
      '--store-retention is an older spelling.',
  },
  {
    name: 'retention',
    type: 'string',
    arg: 'DURATION',
    def: '30d',
    group: 'ours',
    help:
      'How long the store keeps per-hour roll-ups (min, max, sum, count); per-minute\n' +
      'roll-ups are kept for the lesser of this and 7d. Raised to --retention-raw if below.\n' +
      'In memory: per-minute roll-ups of a node of 60 containers cost ~0.2 MB per hour.',
  },
  {
    name: 'scrape-offset',
    type: 'string',
    arg: 'DURATION',
    def: `min(${formatDuration(MAX_SCRAPE_OFFSET_MS)}, resolution/4)`,
    group: 'ours',
    help:
      'Delay after a window closes before it is scraped; below --metric-resolution.\n' +
      'The original used a fixed 5s, which is longer than a 1s tick.',
  },
  {
    name: 'scrape-timeout',
    type: 'string',
    arg: 'DURATION',
    def: `min(${formatDuration(MAX_SCRAPE_TIMEOUT_MS)}, resolution)`,
    group: 'ours',
    help:
      'Per-source scrape timeout; late answers are dropped and counted. At most\n' +
      '--metric-resolution: a scrape may not run past its tick (the original: fixed 20s).',
  },
  {
    name: 'node-name',
    type: 'string',
    arg: 'NAME',
    def: 'this host name',
    group: 'ours',
    help: 'Node name given to this machine by the local source.',
  },
  { name: 'v', type: 'string', short: 'v', arg: 'LEVEL', group: 'glog', help: '' },
  { name: 'logtostderr', type: 'boolean', group: 'glog', help: '' },
  { name: 'alsologtostderr', type: 'boolean', group: 'glog', help: '' },
  { name: 'log-dir', type: 'string', arg: 'DIR', group: 'glog', help: '' },
  { name: 'stderrthreshold', type: 'string', arg: 'LEVEL', group: 'glog', help: '' },
  { name: 'vmodule', type: 'string', arg: 'SPEC', group: 'glog', help: '' },
  { name: 'log-backtrace-at', type: 'string', arg: 'FILE:LINE', group: 'glog', help: '' },
];

const SPEC_BY_NAME = new Map(FLAGS.map((f) => [f.name, f]));

const PARSE_OPTIONS = Object.fromEntries(
  FLAGS.map((f) => [
    f.name,
    f.short === undefined ? { type: f.type } : { type: f.type, short: f.short },
  ]),
);

const SEE_HELP = '(see heapster --help)';

/** One occurrence of a flag: the spelling the user wrote (for messages) and its value. */
interface Occurrence {
  readonly display: string;
  readonly value: string;
}

/** pflag's WordSepNormalizeFunc: `_` in a flag name reads as `-`. */
function normalizeName(name: string): string {
  return name.replaceAll('_', '-');
}

/**
 * Rewrites argv so parseArgs can take it: flag names get dashes, and `--bool=value` becomes
 * `--bool` with the value remembered by argv index (parseArgs booleans take no value).
 */
function normalizeArgv(argv: readonly string[]): {
  args: string[];
  boolAt: Map<number, boolean>;
} {
  const args = [...argv];
  const boolAt = new Map<number, boolean>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') break;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const written = eq < 0 ? arg : arg.slice(0, eq);
    const name = normalizeName(written.slice(2));
    if (eq >= 0 && SPEC_BY_NAME.get(name)?.type === 'boolean') {
      const text = arg.slice(eq + 1);
      const value = parseBoolWord(text);
      if (value === undefined) {
        throw new ConfigError(
          `${written}: ${JSON.stringify(text)} is not a boolean (true or false)`,
        );
      }
      boolAt.set(i, value);
      args[i] = `--${name}`;
    } else {
      args[i] = `--${name}${eq < 0 ? '' : arg.slice(eq)}`;
    }
  }
  return { args, boolAt };
}

/** How the user wrote the flag of the option token at argv index `index`. */
function displayName(argv: readonly string[], index: number, rawName: string): string {
  const arg = argv[index] ?? rawName;
  if (!arg.startsWith('--')) return rawName;
  const eq = arg.indexOf('=');
  return eq < 0 ? arg : arg.slice(0, eq);
}

/** Turns a parseArgs failure into a ConfigError naming the offending argument. */
function explainParseError(argv: readonly string[], args: string[], err: unknown): ConfigError {
  const { tokens } = parseArgs({
    args,
    options: PARSE_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind === 'positional') {
      return new ConfigError(
        `unexpected argument ${JSON.stringify(t.value)}: heapster takes only flags ${SEE_HELP}`,
      );
    }
    if (t.kind !== 'option') continue;
    const display = displayName(argv, t.index, t.rawName);
    const spec = SPEC_BY_NAME.get(t.name);
    if (spec === undefined) return new ConfigError(`unknown flag ${display} ${SEE_HELP}`);
    if (spec.type === 'string' && t.value === undefined) {
      return new ConfigError(`${display}: missing value ${SEE_HELP}`);
    }
    if (spec.type === 'string' && !t.inlineValue && t.value?.startsWith('-')) {
      return new ConfigError(
        `${display}: missing value before ${JSON.stringify(t.value)} ` +
          `(write ${display}=${t.value} if that is the value)`,
      );
    }
    if (spec.type === 'boolean' && t.value !== undefined) {
      return new ConfigError(`${display}: takes no value ${SEE_HELP}`);
    }
  }
  return new ConfigError(err instanceof Error ? err.message : String(err));
}

function durationFlag(occ: Occurrence, days = false): number {
  const d = days ? /^(\d+(?:\.\d+)?)d$/.exec(occ.value) : null;
  if (d) return Number(d[1]) * 86_400_000;
  try {
    return parseDurationMs(occ.value);
  } catch {
    throw new ConfigError(
      `${occ.display}: ${JSON.stringify(occ.value)} is not a duration (examples: 60s, 1m, 500ms${days ? ', 30d' : ''})`,
    );
  }
}

function intFlag(occ: Occurrence, min: number, max: number): number {
  const value = Number(occ.value);
  if (!/^[+-]?\d+$/.test(occ.value) || !Number.isSafeInteger(value)) {
    throw new ConfigError(`${occ.display}: ${JSON.stringify(occ.value)} is not an integer`);
  }
  if (value < min || value > max) {
    throw new ConfigError(`${occ.display}: ${value} is out of range (${min}..${max})`);
  }
  return value;
}

/** pflag StringSlice: every occurrence appends its comma-separated entries (trimmed). */
function stringSlice(occurrences: readonly Occurrence[]): { display: string; entry: string }[] {
  const out: { display: string; entry: string }[] = [];
  for (const occ of occurrences) {
    if (occ.value === '') continue;
    for (const entry of occ.value.split(','))
      out.push({ display: occ.display, entry: entry.trim() });
  }
  return out;
}

function storeLabels(occurrences: readonly Occurrence[]): string[] {
  return stringSlice(occurrences).map(({ display, entry }) => {
    const parts = entry.split('=');
    if (parts.length > 2 || parts.some((p) => p.trim() === '')) {
      throw new ConfigError(
        `${display}: ${JSON.stringify(entry)} is not "name" or "newName=name" (empty or extra parts)`,
      );
    }
    return parts.map((p) => p.trim()).join('=');
  });
}

/**
 * Parses the main job's command line (argv without node and script) into a Config,
 * applying Heapster's defaults and ours. Flag names accept `_` for `-`; values come as
 * `--flag=value` or `--flag value`; booleans as `--flag` or `--flag=true|false`. `env` is
 * used for `$VAR` expansion in --source/--sink. Source and sink keys are not checked here
 * (the registries do that). Throws ConfigError naming the flag and value on any problem.
 */
export function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Config {
  const { args, boolAt } = normalizeArgv(argv);
  let tokens;
  try {
    ({ tokens } = parseArgs({
      args,
      options: PARSE_OPTIONS,
      strict: true,
      allowPositionals: false,
      tokens: true,
    }));
  } catch (err) {
    throw explainParseError(argv, args, err);
  }

  const seen = new Map<string, Occurrence[]>();
  const bools = new Map<string, boolean>();
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    if (SPEC_BY_NAME.get(t.name)?.type === 'boolean') {
      bools.set(t.name, boolAt.get(t.index) ?? true);
      continue;
    }
    const name = t.name === 'port' ? 'heapster-port' : t.name; // pre-1.3 spelling
    const occ = { display: displayName(argv, t.index, t.rawName), value: t.value ?? '' };
    seen.set(name, [...(seen.get(name) ?? []), occ]);
  }
  const all = (name: string): Occurrence[] => seen.get(name) ?? [];
  const last = (name: string): Occurrence | undefined => all(name).at(-1);
  const str = (name: string, def = ''): string => last(name)?.value ?? def;
  const bool = (name: string): boolean => bools.get(name) ?? false;

  const sourceTexts = all('source').map((o) => o.value);
  const sinkTexts = all('sink').map((o) => o.value);
  const sources =
    sourceTexts.length === 0
      ? [parseUri('--source', 'local', env)]
      : sourceTexts.map((v) => parseUri('--source', v, env));
  const sinks = sinkTexts.map((v) => parseUri('--sink', v, env));

  const resolutionFlag = last('metric-resolution');
  const metricResolutionMs =
    resolutionFlag === undefined ? DEFAULT_RESOLUTION_MS : durationFlag(resolutionFlag);
  if (resolutionFlag !== undefined && metricResolutionMs < MIN_RESOLUTION_MS) {
    throw new ConfigError(
      `${resolutionFlag.display}: ${resolutionFlag.value} is below the minimum ` +
        formatDuration(MIN_RESOLUTION_MS),
    );
  }

  const retentionFlag = last('retention-raw') ?? last('store-retention');
  const minRetentionMs = 2 * metricResolutionMs;
  let storeRetentionMs = Math.max(DEFAULT_RETENTION_MS, minRetentionMs);
  if (retentionFlag !== undefined) {
    storeRetentionMs = durationFlag(retentionFlag, retentionFlag.display.includes('raw'));
    if (storeRetentionMs < minRetentionMs) {
      throw new ConfigError(
        `${retentionFlag.display}: ${retentionFlag.value} is below 2 x --metric-resolution ` +
          `(${formatDuration(minRetentionMs)})`,
      );
    }
  }

  const rollupFlag = last('retention');
  const retentionMs = Math.max(
    storeRetentionMs,
    rollupFlag === undefined ? DEFAULT_ROLLUP_RETENTION_MS : durationFlag(rollupFlag, true),
  );
  const dataDirFlag = last('data-dir');
  const dataDirText = dataDirFlag?.value.trim();
  const dataDir =
    dataDirText === undefined
      ? defaultDataDir(env)
      : dataDirText === "''" || dataDirText === '""'
        ? ''
        : dataDirText;

  const offsetFlag = last('scrape-offset');
  let scrapeOffsetMs = Math.min(MAX_SCRAPE_OFFSET_MS, metricResolutionMs / 4);
  if (offsetFlag !== undefined) {
    scrapeOffsetMs = durationFlag(offsetFlag);
    if (scrapeOffsetMs < 0 || scrapeOffsetMs >= metricResolutionMs) {
      throw new ConfigError(
        `${offsetFlag.display}: ${offsetFlag.value} must be at least 0s and below ` +
          `--metric-resolution (${formatDuration(metricResolutionMs)})`,
      );
    }
  }

  const timeoutFlag = last('scrape-timeout');
  let scrapeTimeoutMs = Math.min(MAX_SCRAPE_TIMEOUT_MS, metricResolutionMs);
  if (timeoutFlag !== undefined) {
    scrapeTimeoutMs = durationFlag(timeoutFlag);
    if (scrapeTimeoutMs <= 0 || scrapeTimeoutMs > metricResolutionMs) {
      throw new ConfigError(
        `${timeoutFlag.display}: ${timeoutFlag.value} must be above 0s and at most ` +
          `--metric-resolution (${formatDuration(metricResolutionMs)})`,
      );
    }
  }

  const exportFlag = last('sink-export-data-timeout');
  let sinkExportDataTimeoutMs = DEFAULT_EXPORT_TIMEOUT_MS;
  if (exportFlag !== undefined) {
    sinkExportDataTimeoutMs = durationFlag(exportFlag);
    if (sinkExportDataTimeoutMs < 0) {
      throw new ConfigError(`${exportFlag.display}: ${exportFlag.value} is negative`);
    }
  }

  const portFlag = last('heapster-port');
  const heapsterPort = portFlag === undefined ? DEFAULT_PORT : intFlag(portFlag, 0, 65535);
  const procsFlag = last('max-procs');
  const maxProcs =
    procsFlag === undefined
      ? 0
      : intFlag(procsFlag, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);

  const tlsCert = str('tls-cert');
  const tlsKey = str('tls-key');
  const tlsClientCa = str('tls-client-ca');
  if (tlsCert !== '' && tlsKey === '') throw new ConfigError('--tls-cert needs --tls-key');
  if (tlsKey !== '' && tlsCert === '') throw new ConfigError('--tls-key needs --tls-cert');
  if (tlsClientCa !== '' && tlsCert === '') {
    throw new ConfigError(
      '--tls-client-ca needs --tls-cert and --tls-key (client certificates need HTTPS)',
    );
  }

  const historicalSource = str('historical-source');
  if (historicalSource !== '' && !sinkTexts.includes(historicalSource)) {
    const given =
      sinkTexts.length === 0
        ? 'no --sink was given'
        : `given: ${sinkTexts.map((s) => JSON.stringify(s)).join(', ')}`;
    throw new ConfigError(
      `--historical-source: ${JSON.stringify(historicalSource)} must repeat one --sink value ` +
        `exactly (${given})`,
    );
  }

  const nodeFlag = last('node-name');
  if (nodeFlag !== undefined && nodeFlag.value.trim() === '') {
    throw new ConfigError(`${nodeFlag.display}: must not be empty`);
  }

  return {
    sources,
    sinks,
    metricResolutionMs,
    heapsterPort,
    listenIp: str('listen-ip'),
    maxProcs,
    tlsCert,
    tlsKey,
    tlsClientCa,
    allowedUsers: str('allowed-users')
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== ''),
    historicalSource,
    apiServer: bool('api-server'),
    labelSeparator: str('label-separator', ','),
    ignoreLabels: stringSlice(all('ignore-label'))
      .map((e) => e.entry)
      .filter((e) => e !== ''),
    storeLabels: storeLabels(all('store-label')),
    disableExport: bool('disable-export'),
    sinkExportDataTimeoutMs,
    disableMetricSink: bool('disable-metric-sink'),
    storeRetentionMs,
    retentionMs,
    dataDir,
    scrapeOffsetMs,
    scrapeTimeoutMs,
    nodeName: nodeFlag?.value ?? hostname(),
    version: bool('version'),
    help: bool('help'),
  };
}

/**
 * Default `--data-dir`: `$XDG_STATE_HOME/heapster`, else `~/.local/state/heapster`, or
 * `/var/lib/heapster` when running as root.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.getuid?.() === 0) return '/var/lib/heapster';
  const xdg = env.XDG_STATE_HOME ?? '';
  if (xdg !== '') return join(xdg, 'heapster');
  return join(env.HOME || homedir(), '.local', 'state', 'heapster');
}

function flagLines(group: FlagGroup): string[] {
  const lines: string[] = [];
  for (const f of FLAGS) {
    if (f.group !== group || f.help === '') continue;
    const usage = f.type === 'string' ? `--${f.name}=${f.arg ?? 'VALUE'}` : `--${f.name}`;
    const short = f.short === undefined ? '    ' : `-${f.short}, `;
    const def = f.def === undefined ? '' : `  (default ${f.def})`;
    lines.push(`  ${short}${usage}${def}`);
    for (const line of f.help.split('\n')) lines.push(`        ${line}`);
  }
  return lines;
}

/**
 * The `heapster --help` text: usage, every flag with its default and meaning, the URI
 * syntax with examples. Pure; the CLI prints it.
 */
export function helpText(): string {
  const glog = FLAGS.filter((f) => f.group === 'glog').map((f) =>
    f.type === 'string' ? `--${f.name}=${f.arg ?? 'VALUE'}` : `--${f.name}`,
  );
  return [
    `heapster ${VERSION}: container and node resource monitoring, a drop-in Heapster.`,
    '',
    'Usage:',
    '  heapster [flags]    collect, roll up, store, serve and export metrics (the main job)',
    '  heapster top nodes|pods|containers|namespaces [--server URL]',
    '                      kubectl-top-like tables from a running heapster (see top --help)',
    '  heapster simulate [--nodes N ...]',
    '                      a simulated Kubernetes cluster for demos and benchmarks (see simulate --help)',
    '  heapster agent [--port 8080 ...]',
    '                      a cAdvisor-compatible node agent for Docker/CoreOS hosts (see agent --help)',
    '  heapster eventer --source=kubernetes:... --sink=log|influxdb:...|gcl',
    '                      export Kubernetes events (see eventer --help)',
    '',
    'Flag names may use _ or - (--metric_resolution = --metric-resolution); values are',
    'given as --flag=value or --flag value; booleans as --flag or --flag=true|false.',
    '',
    'Flags (Heapster):',
    ...flagLines('heapster'),
    '',
    'Flags (new here):',
    ...flagLines('ours'),
    '',
    'Accepted for compatibility with glog and ignored (logs are JSON lines on stderr;',
    'set the level with the HEAPSTER_LOG_LEVEL environment variable):',
    `  ${glog.slice(0, 4).join(', ')},`,
    `  ${glog.slice(4).join(', ')}`,
    '',
    'Source and sink URIs: key[:url][?opts]',
    '  The key is the text before the first ":"; the rest is a URL whose query string holds',
    '  the options (an option may repeat, e.g. brokers=a&brokers=b). $VAR and ${VAR} in',
    '  the rest are replaced from the environment (unset variables become empty).',
    '  Examples:',
    '    --source=local                          this machine (the default)',
    "    --source=kubernetes.summary_api:''      key only; '' (left by a manifest) is empty",
    '    --sink=log                              print every batch to the log',
    '    --sink=influxdb:http://localhost:8086?db=k8s',
    '    --sink=prometheus:http://localhost:9090/api/v1/write',
    '    --source=cadvisor:http://host1:8080,http://host2:8080   heapster agents or cAdvisors',
    '    --source=docker:unix:///var/run/docker.sock             a Docker host without an agent',
    '  Sources: local, kubernetes, kubernetes.summary_api, kubernetes.resource_api, cadvisor,',
    '  docker. Sinks: log, influxdb, prometheus, graphite, opentsdb, statsd, gcm, stackdriver,',
    '  gcl (plus the embedded store). Other subcommands: agent, eventer, simulate, top.',
    '',
  ].join('\n');
}
