import { parseArgs } from 'node:util';
import { parseDurationMs } from '../config/duration.js';
import type { TopKind } from './top-format.js';
import type { Requirement } from './selector.js';
import { parseSelector } from './selector.js';

/** Default server of `heapster top` (the main job's default `--heapster-port`). */
export const DEFAULT_SERVER = 'http://localhost:8082';

/** Parsed command line of `heapster top`. Durations in ms. */
export interface TopOptions {
  kind: Exclude<TopKind, 'system-containers'>;
  /** Only these entities (names after the resource), all when empty. */
  names: string[];
  /** Base URL without a trailing slash. */
  server: string;
  namespace: string;
  allNamespaces: boolean;
  selector: Requirement[];
  /** The `-l` text as given ('' when none). */
  selectorText: string;
  sortBy?: 'cpu' | 'memory';
  noHeaders: boolean;
  watch: boolean;
  intervalMs: number;
  timeoutMs: number;
  /** `containers`: list the system containers of each node instead of pod containers. */
  system: boolean;
}

/** A bad command line; the message names the flag or argument. Exit code 2. */
export class TopUsageError extends Error {}

const KINDS: Record<string, TopOptions['kind']> = {
  nodes: 'nodes',
  node: 'nodes',
  no: 'nodes',
  pods: 'pods',
  pod: 'pods',
  po: 'pods',
  containers: 'containers',
  container: 'containers',
  namespaces: 'namespaces',
  namespace: 'namespaces',
  ns: 'namespaces',
};

/** Help text of `heapster top`. */
export function topHelp(): string {
  return `Show the CPU and memory use of nodes, pods, containers or namespaces, like kubectl top,
read from the Model API of a running heapster.

Usage:
  heapster top nodes|pods|containers|namespaces [NAME...] [flags]

Flags:
  -s, --server URL          heapster to ask (default ${DEFAULT_SERVER})
  -n, --namespace NS        namespace of pods and containers (default "default")
  -A, --all-namespaces      pods and containers of every namespace
  -l, --selector SELECTOR   pods/containers whose pod labels match, e.g. app=web,tier!=db
      --sort-by cpu|memory  sort by usage, largest first (default: by namespace and name)
      --no-headers          print no header line
      --system              containers: the system containers of each node (automatic
                            when the server has no pods, e.g. on a plain machine)
  -w, --watch               refresh in place every --interval until Ctrl-C
      --interval DURATION   refresh interval of --watch (default 2s)
      --timeout DURATION    timeout of each request to the server (default 10s)
  -h, --help                show this help

CPU is in millicores (rounded up), memory is the working set (memory/usage when the server
has no working set) in MiB (rounded down); CPU% and MEMORY% are of the node's allocatable,
else its capacity. Exit codes: 0 ok, 1 server unreachable or without metrics, 2 bad flags.
`;
}

function duration(flag: string, text: string | undefined, defMs: number): number {
  if (text === undefined) return defMs;
  let ms: number;
  try {
    ms = parseDurationMs(text);
  } catch (err) {
    throw new TopUsageError(`--${flag}: ${(err as Error).message}`);
  }
  if (!(ms > 0))
    throw new TopUsageError(`--${flag}: must be positive, got ${JSON.stringify(text)}`);
  return ms;
}

/**
 * Parses `heapster top` arguments (after `top`). Returns `'help'` for `-h/--help`; throws
 * TopUsageError naming the flag or argument for anything malformed or unknown.
 */
export function parseTopArgs(argv: readonly string[]): TopOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        server: { type: 'string', short: 's' },
        namespace: { type: 'string', short: 'n' },
        'all-namespaces': { type: 'boolean', short: 'A' },
        selector: { type: 'string', short: 'l' },
        'sort-by': { type: 'string' },
        'no-headers': { type: 'boolean' },
        system: { type: 'boolean' },
        watch: { type: 'boolean', short: 'w' },
        interval: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    const message = (err as Error).message;
    const flag = /'([^']+)'/.exec(message)?.[1];
    const code = (err as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
      throw new TopUsageError(`unknown flag: ${flag}`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
      // flag is e.g. "-n, --namespace <value>" (missing value) or "--watch" (value given to a switch)
      const long = /--[a-z-]+/.exec(flag)?.[0] ?? flag;
      throw new TopUsageError(
        flag.includes('<value>') ? `flag ${long} needs a value` : `flag ${long} takes no value`,
      );
    }
    throw new TopUsageError(message.split('. ')[0]);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const [resource, ...names] = parsed.positionals;
  if (resource === undefined) {
    throw new TopUsageError('missing resource: nodes, pods, containers or namespaces');
  }
  const kind = KINDS[resource];
  if (kind === undefined) {
    throw new TopUsageError(
      `unknown resource ${JSON.stringify(resource)}: want nodes, pods, containers or namespaces`,
    );
  }
  const sortBy = v['sort-by'];
  if (sortBy !== undefined && sortBy !== 'cpu' && sortBy !== 'memory') {
    throw new TopUsageError(`--sort-by: want cpu or memory, got ${JSON.stringify(sortBy)}`);
  }
  const serverText = v.server ?? DEFAULT_SERVER;
  let server: URL;
  try {
    server = new URL(serverText);
  } catch {
    throw new TopUsageError(`--server: not a URL: ${JSON.stringify(serverText)}`);
  }
  if (server.protocol !== 'http:' && server.protocol !== 'https:') {
    throw new TopUsageError(
      `--server: want an http or https URL, got ${JSON.stringify(serverText)}`,
    );
  }
  const selectorText = v.selector ?? '';
  let selector: Requirement[];
  try {
    selector = parseSelector(selectorText);
  } catch (err) {
    throw new TopUsageError(`--selector: ${(err as Error).message}`);
  }
  if (selector.length > 0 && (kind === 'nodes' || kind === 'namespaces')) {
    throw new TopUsageError(`--selector: only pods and containers have labels here, not ${kind}`);
  }
  if (v.system && kind !== 'containers') {
    throw new TopUsageError('--system: only for containers');
  }
  if (v.namespace !== undefined && v.namespace === '') {
    throw new TopUsageError('--namespace: empty');
  }
  return {
    kind,
    names,
    server: server.href.replace(/\/+$/, ''),
    namespace: v.namespace ?? 'default',
    allNamespaces: v['all-namespaces'] ?? false,
    selector,
    selectorText,
    sortBy,
    noHeaders: v['no-headers'] ?? false,
    watch: v.watch ?? false,
    intervalMs: duration('interval', v.interval, 2000),
    timeoutMs: duration('timeout', v.timeout, 10_000),
    system: v.system ?? false,
  };
}
