// The command line of `heapster eventer` (the original's events/eventer.go flags).
import { parseArgs } from 'node:util';
import { formatDuration, parseDurationMs } from '../config/duration.js';
import { ConfigError } from '../config/types.js';
import type { ParsedUri } from '../config/types.js';
import { parseBoolWord, parseUri } from '../config/uri.js';

/** Default tick (`--frequency`), the original's 30 s. */
export const DEFAULT_FREQUENCY_MS = 30_000;
/** Shortest tick: ours is 1 s (the original refused below 5 s). */
export const MIN_FREQUENCY_MS = 1_000;
/** Longest tick: the original's MaxEventsScrapeDelay, the age at which /healthz fails. */
export const MAX_FREQUENCY_MS = 180_000;
export const DEFAULT_HEALTHZ_PORT = 8084;

/** Typed command line of `heapster eventer`. Durations in ms. */
export interface EventerConfig {
  /** Exactly one source. */
  readonly source: ParsedUri;
  readonly sinks: readonly ParsedUri[];
  readonly frequencyMs: number;
  readonly healthzIp: string;
  /** 0 picks a free port. */
  readonly healthzPort: number;
  readonly help: boolean;
  readonly version: boolean;
}

interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
}

/** Flags by canonical name (dashes); the glog ones are accepted and ignored, as by the main job. */
const FLAGS: Readonly<Record<string, FlagSpec>> = {
  source: { type: 'string' },
  sink: { type: 'string' },
  frequency: { type: 'string' },
  'healthz-ip': { type: 'string' },
  'healthz-port': { type: 'string' },
  'max-procs': { type: 'string' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  v: { type: 'string' },
  logtostderr: { type: 'boolean' },
  alsologtostderr: { type: 'boolean' },
  'log-dir': { type: 'string' },
  stderrthreshold: { type: 'string' },
  vmodule: { type: 'string' },
  'log-backtrace-at': { type: 'string' },
};

const SEE_HELP = '(see heapster eventer --help)';

/** Help text of `heapster eventer`. */
export function eventerHelp(): string {
  return `Exports Kubernetes events to storage backends, like Heapster's eventer: watches the
Events of every namespace and hands the new and changed ones to every sink once per tick.

Usage:
  heapster eventer --source=kubernetes[:<API server URL>][?<options>] --sink=<sink> [flags]

Flags:
      --source URI         where to read events from; exactly one, kubernetes only. Options as
                           for the main job's kubernetes source: inClusterConfig (default
                           true), insecure, auth (kubeconfig file), useServiceAccount.
                           e.g. --source=kubernetes:https://kubernetes.default
                                --source='kubernetes:http://127.0.0.1:8080?inClusterConfig=false'
      --sink URI           where to send events; repeatable, each sink gets every event:
                           log                     one line per event on stdout
                           influxdb:<url>?<opts>   measurement "log/events" (withfields=true:
                                                   "events"), options as the main job's sink
                           gcl[?<opts>]            Google Cloud Logging, log kubernetes.io/events
      --frequency DURATION how often events go to the sinks (default ${formatDuration(DEFAULT_FREQUENCY_MS)}; ${formatDuration(MIN_FREQUENCY_MS)} to ${formatDuration(MAX_FREQUENCY_MS)})
      --healthz-ip IP      address of /healthz and /metrics (default 0.0.0.0)
      --healthz-port PORT  port of /healthz and /metrics (default ${DEFAULT_HEALTHZ_PORT}; 0 = any free port)
      --max-procs N        accepted for compatibility (was GOMAXPROCS) and ignored
      --version            print the version and exit
  -h, --help               print this help and exit

Flag names take "_" for "-" (--healthz_port, --max_procs). Events already in the cluster when
the eventer starts are exported only if they happened within one --frequency before the start.
Each sink has its own queue with retries (influxdb: queue_points, retry_max_delay): a backend
outage loses nothing that fits the queue. SIGINT/SIGTERM flush the queues and exit 0.
Exit codes: 0 clean stop, 1 start-up failure (port in use), 2 bad flags or options.
`;
}

/** Go `flag` allows `-name`; Heapster's manifests use `--name`; names take `_` for `-`. */
function normalize(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^(--?)([A-Za-z][\w-]*)(=.*)?$/s.exec(arg);
    if (!m || (m[1] === '-' && m[2].length === 1)) {
      out.push(arg);
      continue;
    }
    out.push(`--${m[2].replaceAll('_', '-')}${m[3] ?? ''}`);
  }
  return out;
}

/** How the user wrote the flag at argv index `index` (for messages). */
function written(argv: readonly string[], index: number): string {
  const arg = argv[index] ?? '';
  const eq = arg.indexOf('=');
  return eq < 0 ? arg : arg.slice(0, eq);
}

/**
 * Parses `heapster eventer` flags (argv after the subcommand). Values come as `--flag=value`
 * or `--flag value`; booleans as `--flag` or `--flag=true|false`. `env` expands `$VAR` in
 * --source/--sink. Sink and source keys and options are checked later by their factories.
 * Throws ConfigError naming the flag on any problem.
 */
export function parseEventerFlags(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): EventerConfig {
  const args = normalize(argv);
  const { tokens } = parseArgs({
    args,
    options: Object.fromEntries(
      Object.entries(FLAGS).map(([name, f]) => [
        name,
        f.short ? { type: f.type, short: f.short } : { type: f.type },
      ]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const strings = new Map<string, { display: string; value: string }[]>();
  const bools = new Map<string, boolean>();
  for (const t of tokens) {
    if (t.kind === 'positional') {
      throw new ConfigError(
        `unexpected argument ${JSON.stringify(t.value)}: the eventer takes only flags ${SEE_HELP}`,
      );
    }
    if (t.kind !== 'option') continue;
    const display = t.rawName.length > 2 ? written(argv, t.index) : t.rawName;
    const spec = FLAGS[t.name];
    if (spec === undefined) throw new ConfigError(`unknown flag ${display} ${SEE_HELP}`);
    if (spec.type === 'boolean') {
      let value = true;
      if (t.value !== undefined) {
        const b = parseBoolWord(t.value);
        if (b === undefined) {
          throw new ConfigError(`${display}: ${JSON.stringify(t.value)} is not true or false`);
        }
        value = b;
      }
      bools.set(t.name, value);
      continue;
    }
    if (t.value === undefined) throw new ConfigError(`${display}: missing value ${SEE_HELP}`);
    if (!t.inlineValue && t.value.startsWith('-')) {
      throw new ConfigError(
        `${display}: missing value before ${JSON.stringify(t.value)} (write ${display}=${t.value} if that is the value)`,
      );
    }
    strings.set(t.name, [...(strings.get(t.name) ?? []), { display, value: t.value }]);
  }
  const help = bools.get('help') ?? false;
  const version = bools.get('version') ?? false;
  const last = (name: string) => strings.get(name)?.at(-1);

  const sources = strings.get('source') ?? [];
  if (sources.length !== 1 && !help && !version) {
    throw new ConfigError(
      sources.length === 0
        ? `--source is required, e.g. --source=kubernetes:https://kubernetes.default ${SEE_HELP}`
        : `--source is given ${sources.length} times; the eventer reads exactly one source`,
    );
  }
  const source =
    sources.length > 0
      ? parseUri('--source', sources[0].value, env)
      : parseUri('--source', 'kubernetes', env);
  const sinks = (strings.get('sink') ?? []).map((o) => parseUri('--sink', o.value, env));

  let frequencyMs = DEFAULT_FREQUENCY_MS;
  const freq = last('frequency');
  if (freq !== undefined) {
    try {
      frequencyMs = parseDurationMs(freq.value);
    } catch {
      throw new ConfigError(
        `${freq.display}: ${JSON.stringify(freq.value)} is not a duration (examples: 30s, 1m)`,
      );
    }
    if (frequencyMs < MIN_FREQUENCY_MS || frequencyMs > MAX_FREQUENCY_MS) {
      throw new ConfigError(
        `${freq.display}: ${freq.value} is outside ${formatDuration(MIN_FREQUENCY_MS)}..${formatDuration(MAX_FREQUENCY_MS)}`,
      );
    }
  }
  let healthzPort = DEFAULT_HEALTHZ_PORT;
  const port = last('healthz-port');
  if (port !== undefined) {
    healthzPort = Number(port.value);
    if (!/^\d+$/.test(port.value) || healthzPort > 65535) {
      throw new ConfigError(
        `${port.display}: ${JSON.stringify(port.value)} is not a port (0-65535)`,
      );
    }
  }
  const maxProcs = last('max-procs');
  if (maxProcs !== undefined && !/^[+-]?\d+$/.test(maxProcs.value)) {
    throw new ConfigError(
      `${maxProcs.display}: ${JSON.stringify(maxProcs.value)} is not an integer`,
    );
  }
  return {
    source,
    sinks,
    frequencyMs,
    healthzIp: last('healthz-ip')?.value ?? '0.0.0.0',
    healthzPort,
    help,
    version,
  };
}
