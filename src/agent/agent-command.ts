// `heapster agent`: a cAdvisor-compatible node agent over the local cgroups reader.
import { parseArgs } from 'node:util';
import { parseDurationMs } from '../config/duration.js';
import { componentLogger } from '../core/log.js';
import { CgroupReader } from '../sources/cgroups/cgroup-reader.js';
import { NodeReader } from '../sources/cgroups/node-reader.js';
import type { DockerIdentity } from '../sources/docker/identity-types.js';
import { Housekeeper } from './housekeeper.js';
import { machineInfoProvider } from './machine-info.js';
import { createAgentServer } from './server.js';
import { untilStopSignal } from '../core/stop-signal.js';

export const AGENT_USAGE = `usage: heapster agent [flags]

A cAdvisor-compatible node agent: reads /proc and every cgroup of this machine once per
housekeeping interval, keeps recent per-container history in memory, and serves cAdvisor's
REST API so that heapster's cadvisor sources (or anything that reads cAdvisor) can scrape it.

  --port PORT                    port to listen on (default 8080)
  --listen_ip IP                 address to listen on (default all)
  --housekeeping_interval DUR    how often containers are read (default 1s)
  --storage_duration DUR         how much per-container history is kept in memory (default 2m)
  --docker ENDPOINT              Docker Engine API for container names, images and labels:
                                 unix:///path, tcp://host:port, or "none" (default: DOCKER_HOST,
                                 else unix:///var/run/docker.sock; when unreachable, containers
                                 are named by their cgroup path)
  --fs_usage_interval DUR        how often Docker containers' writable layers are measured,
                                 walked in slices of at most 20 ms per housekeeping (default 1m)
  --help                         print this text

Endpoints:
  /api/v1.3/machine  /api/v1.3/containers/<name>  /api/v1.3/subcontainers/<name>
  /api/v1.3/docker/[<name or id>]
  /api/v2.0/machine  /api/v2.0/{spec,stats,summary}/<name>?type=name|docker&recursive=true&count=N
  /metrics (Prometheus, cAdvisor's metric names)  /healthz`;

/** Parsed `heapster agent` flags. Durations in ms. */
export interface AgentFlags {
  readonly help: boolean;
  readonly port: number;
  readonly listenIp: string;
  readonly housekeepingIntervalMs: number;
  readonly storageDurationMs: number;
  /** How often Docker writable layers are measured (a round in ≤ 20 ms slices). */
  readonly fsUsageIntervalMs: number;
  /** Docker endpoint text; undefined = DOCKER_HOST or the default socket; 'none' = off. */
  readonly docker?: string;
}

/** A bad flag; the message names it. */
export class AgentUsageError extends Error {}

/** Parses the agent's flags (`--flag value`, `--flag=value`; `-` and `_` alike). */
export function parseAgentFlags(argv: string[]): AgentFlags {
  const normalized = argv.map((a) => {
    if (!a.startsWith('--')) return a;
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    return name.replace(/-/g, '_').replace(/^__/, '--') + (eq < 0 ? '' : a.slice(eq));
  });
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: normalized,
      options: {
        help: { type: 'boolean' },
        port: { type: 'string' },
        listen_ip: { type: 'string' },
        housekeeping_interval: { type: 'string' },
        storage_duration: { type: 'string' },
        docker: { type: 'string' },
        fs_usage_interval: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new AgentUsageError((err as Error).message);
  }
  const port = Number(values.port ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new AgentUsageError(`--port: "${String(values.port)}" is not a port number (0-65535)`);
  const duration = (name: string, def: string, minMs: number): number => {
    const text = (values[name] as string | undefined) ?? def;
    let ms: number;
    try {
      ms = parseDurationMs(text);
    } catch (err) {
      throw new AgentUsageError(`--${name}: ${(err as Error).message}`);
    }
    if (!(ms >= minMs))
      throw new AgentUsageError(`--${name}: "${text}" is shorter than ${minMs} ms`);
    return ms;
  };
  const housekeepingIntervalMs = duration('housekeeping_interval', '1s', 100);
  const storageDurationMs = duration('storage_duration', '2m', housekeepingIntervalMs);
  const fsUsageIntervalMs = duration('fs_usage_interval', '1m', 1000);
  return {
    help: values.help === true,
    fsUsageIntervalMs,
    port,
    listenIp: (values.listen_ip as string | undefined) ?? '',
    housekeepingIntervalMs,
    storageDurationMs,
    docker: values.docker as string | undefined,
  };
}

async function dockerIdentity(flag: string | undefined): Promise<DockerIdentity | undefined> {
  if (flag === 'none') return undefined;
  const { DockerIdentityCache, dockerEndpoint } = await import('../sources/docker/identity.js');
  let endpoint;
  try {
    endpoint = dockerEndpoint(flag);
  } catch (err) {
    throw new AgentUsageError(`--docker: ${(err as Error).message}`);
  }
  return new DockerIdentityCache({ endpoint, logger: componentLogger('agent-docker') });
}

/** Runs the agent until SIGINT/SIGTERM; resolves with the exit code (2 for a bad flag). */
export async function agentCommand(argv: string[]): Promise<number> {
  let flags: AgentFlags;
  let docker: DockerIdentity | undefined;
  try {
    flags = parseAgentFlags(argv);
    if (flags.help) {
      process.stdout.write(AGENT_USAGE + '\n');
      return 0;
    }
    docker = await dockerIdentity(flags.docker);
  } catch (err) {
    if (err instanceof AgentUsageError) {
      process.stderr.write(`heapster agent: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = componentLogger('agent');
  const roots = { procRoot: '/proc', sysRoot: '/sys' };
  const node = new NodeReader({ ...roots, logger });
  const cgroups = new CgroupReader({ procRoot: roots.procRoot, logger });
  const layers =
    docker === undefined
      ? undefined
      : new (await import('../sources/docker/writable-layer.js')).WritableLayerUsage({
          intervalMs: flags.fsUsageIntervalMs,
        });
  const housekeeper = new Housekeeper({
    cgroups,
    node,
    docker,
    layers,
    intervalMs: flags.housekeepingIntervalMs,
    storageMs: flags.storageDurationMs,
    logger,
  });
  await docker?.start();
  housekeeper.start();
  const app = createAgentServer({
    housekeeper,
    machineInfo: machineInfoProvider(node, housekeeper, roots),
    logger,
  });
  try {
    await app.listen({ port: flags.port, host: flags.listenIp || '::' });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal(
      { err: message },
      `cannot listen on ${flags.listenIp || '*'}:${flags.port}: ${message}`,
    );
    housekeeper.stop();
    docker?.close();
    return 1;
  }
  logger.info(
    {
      port: flags.port,
      housekeepingIntervalMs: flags.housekeepingIntervalMs,
      storageDurationMs: flags.storageDurationMs,
      containers: housekeeper.containers.size,
    },
    `heapster agent serving the cAdvisor API on ${flags.listenIp || '*'}:${flags.port}`,
  );
  await untilStopSignal();
  housekeeper.stop();
  docker?.close();
  await app.close();
  return 0;
}
