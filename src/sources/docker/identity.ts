// Names, images and labels of Docker containers from the Engine API (list + events), cached.
import { existsSync } from 'node:fs';
import Dockerode from 'dockerode';
import type { Logger } from '../../core/log.js';
import { mapLimit } from '../../core/map-limit.js';
import type { DockerContainer as BaseContainer, DockerIdentity } from './identity-types.js';

/** What we keep of one container: identity plus what the slower paths need. */
export interface DockerContainer extends BaseContainer {
  /** True while the container runs (State.Running). */
  readonly running: boolean;
  /** State.StartedAt in ms since the epoch (0 when never started). Changes on restart. */
  readonly startedAtMs: number;
  /** Created, ms since the epoch. */
  readonly createdMs: number;
  /** overlay2 writable layer (`GraphDriver.Data.UpperDir`), when the driver has one. */
  readonly upperDir?: string;
}

/** Default Engine API socket when neither an option nor DOCKER_HOST names one. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Where the Engine API is: a unix socket or a TCP host. */
export type DockerEndpoint =
  | { readonly socketPath: string }
  | { readonly host: string; readonly port: number; readonly protocol: 'http' | 'https' };

/**
 * Resolves the Engine API endpoint from `spec` (`unix:///path`, `/path`, `tcp://h:p`,
 * `http(s)://h:p`), else DOCKER_HOST, else `/var/run/docker.sock`. Throws an Error naming
 * the text for anything else.
 */
export function dockerEndpoint(
  spec: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): DockerEndpoint {
  const text = spec !== undefined && spec !== '' ? spec : env.DOCKER_HOST || '';
  if (text === '') return { socketPath: DEFAULT_DOCKER_SOCKET };
  if (text.startsWith('/')) return { socketPath: text };
  if (text.startsWith('unix://')) {
    const p = text.slice('unix://'.length);
    if (p.startsWith('/')) return { socketPath: p };
  }
  const m = /^(tcp|http|https):\/\/([^/:]+|\[[^\]]+\]):(\d+)\/?$/.exec(text);
  if (m) {
    const protocol = m[1] === 'https' ? 'https' : 'http';
    return { host: m[2], port: Number(m[3]), protocol };
  }
  throw new Error(
    `Docker endpoint ${JSON.stringify(text)}: expected unix:///path/to/docker.sock, tcp://host:port or http(s)://host:port`,
  );
}

/** Human text of an endpoint for logs and errors. */
export function endpointText(e: DockerEndpoint): string {
  return 'socketPath' in e ? `unix://${e.socketPath}` : `${e.protocol}://${e.host}:${e.port}`;
}

/** A dockerode client for an endpoint (no global timeout: the events stream idles). */
export function dockerClient(e: DockerEndpoint): Dockerode {
  return new Dockerode(
    'socketPath' in e
      ? { socketPath: e.socketPath }
      : { host: e.host, port: e.port, protocol: e.protocol },
  );
}

/** Options of the identity cache. */
export interface DockerIdentityOptions {
  readonly endpoint: DockerEndpoint;
  readonly logger?: Logger;
  /** Timeout of one list or inspect request, ms (default 5 s). */
  readonly requestTimeoutMs?: number;
  /** First and longest wait before reconnecting after a failure, ms (default 1 s and 30 s). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
}

const EVENT_ACTIONS = ['start', 'die', 'destroy', 'rename'];
const INSPECT_PARALLELISM = 8;

/**
 * The Engine API identity cache: on `start` it subscribes to container events, lists every
 * container and inspects the running ones; afterwards each start/die/rename event re-inspects
 * that container and destroy forgets it. `get` is synchronous. When the daemon is unreachable
 * (or the socket is absent) `start` still resolves, the failure is logged once (warn, or
 * debug for an absent default socket), `get` keeps answering what was last known and a
 * resync is retried with backoff (timers and the idle event socket do not keep the process
 * alive). `close` stops everything.
 */
export class DockerIdentityCache implements DockerIdentity {
  private readonly docker: Dockerode;
  private readonly logger: Logger | undefined;
  private readonly requestTimeoutMs: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly containers = new Map<string, DockerContainer>();
  /** Ids destroyed while an inspect may be in flight (ids are never reused). */
  private readonly destroyed = new Set<string>();
  private events: NodeJS.ReadableStream | undefined;
  private readonly abort = new AbortController();
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private startPromise: Promise<void> | undefined;
  private failing = false;
  private closed = false;
  private generation = 0;
  private connected = false;

  constructor(private readonly opts: DockerIdentityOptions) {
    this.docker = dockerClient(opts.endpoint);
    this.logger = opts.logger;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
    this.retryMinMs = opts.retryMinMs ?? 1000;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
    this.retryMs = this.retryMinMs;
  }

  /** The dockerode client this cache uses (shared by the docker source). */
  get client(): Dockerode {
    return this.docker;
  }

  /** True after a successful list, until the event stream or a resync fails. */
  get isConnected(): boolean {
    return this.connected;
  }

  get(id: string): DockerContainer | undefined {
    return this.containers.get(id);
  }

  /** Every known container (running or not), in no particular order. */
  list(): DockerContainer[] {
    return [...this.containers.values()];
  }

  start(): Promise<void> {
    this.startPromise ??= this.resync();
    return this.startPromise;
  }

  /** Inspects `id` now (for a container seen before its event arrived); undefined if gone. */
  async refresh(id: string, signal?: AbortSignal): Promise<DockerContainer | undefined> {
    try {
      const info = await this.docker
        .getContainer(id)
        .inspect({ abortSignal: this.signal(signal) } as Dockerode.ContainerInspectOptions);
      const c = fromInspect(info);
      if (this.destroyed.has(c.id)) return undefined;
      this.containers.set(c.id, c);
      return c;
    } catch (err) {
      if (statusOf(err) === 404) this.containers.delete(id);
      else this.logger?.debug({ id, err: String(err) }, 'docker inspect failed');
      return this.containers.get(id);
    }
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
    clearTimeout(this.retryTimer);
    this.dropEvents();
  }

  /** Subscribes to events, then lists and inspects; schedules a retry on failure. */
  private async resync(): Promise<void> {
    if (this.closed) return;
    const gen = ++this.generation;
    const e = this.opts.endpoint;
    if ('socketPath' in e && !existsSync(e.socketPath)) {
      this.fail(new Error(`no socket at ${e.socketPath}`), true);
      return;
    }
    try {
      this.dropEvents();
      const stream = await this.docker.getEvents({
        filters: { type: ['container'], event: EVENT_ACTIONS },
        abortSignal: this.abort.signal,
      } as Dockerode.GetEventsOptions);
      if (this.closed || gen !== this.generation) {
        destroyStream(stream);
        return;
      }
      this.events = stream;
      this.watch(stream, gen);
      const list = await this.docker.listContainers({
        all: true,
        abortSignal: this.signal(),
      } as Dockerode.ContainerListOptions);
      const seen = new Set<string>();
      const toInspect: string[] = [];
      for (const item of list) {
        seen.add(item.Id);
        const known = this.containers.get(item.Id);
        const running = item.State === 'running';
        if (known === undefined || known.running !== running || running) toInspect.push(item.Id);
      }
      for (const id of this.containers.keys()) if (!seen.has(id)) this.containers.delete(id);
      await mapLimit(toInspect, INSPECT_PARALLELISM, (id) => this.refresh(id));
      this.connected = true;
      this.retryMs = this.retryMinMs;
      if (this.failing) {
        this.failing = false;
        this.logger?.info({ docker: endpointText(e) }, 'Docker Engine API reachable again');
      }
    } catch (err) {
      if (this.closed) return;
      this.fail(err, false);
    }
  }

  private watch(stream: NodeJS.ReadableStream, gen: number): void {
    let buffered = '';
    stream.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line !== '') this.onEvent(line);
      }
    });
    const ended = (err?: unknown): void => {
      if (this.closed || gen !== this.generation) return;
      this.fail(err ?? new Error('event stream ended'), false);
    };
    stream.on('error', ended);
    stream.on('end', () => ended());
    // The open event stream alone must not keep the process alive.
    const sock = (stream as { socket?: { unref?: () => void } }).socket;
    sock?.unref?.();
  }

  private onEvent(line: string): void {
    let ev: { Action?: string; status?: string; id?: string; Actor?: { ID?: string } };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      return;
    }
    const id = ev.Actor?.ID ?? ev.id;
    const action = ev.Action ?? ev.status;
    if (id === undefined || action === undefined) return;
    if (action === 'destroy') {
      if (this.destroyed.size > 10_000) this.destroyed.clear();
      this.destroyed.add(id);
      this.containers.delete(id);
    } else void this.refresh(id);
  }

  private fail(err: unknown, absentSocket: boolean): void {
    this.connected = false;
    this.dropEvents();
    const fields = { docker: endpointText(this.opts.endpoint), err: String(err) };
    if (!this.failing) {
      this.failing = true;
      if (absentSocket) {
        this.logger?.debug(fields, 'no Docker engine; containers keep their cgroup names');
      } else {
        this.logger?.warn(
          fields,
          'Docker Engine API unreachable; container names may be stale (retrying quietly)',
        );
      }
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.resync(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMaxMs, this.retryMs * 2);
  }

  private dropEvents(): void {
    if (this.events !== undefined) {
      const s = this.events;
      this.events = undefined;
      destroyStream(s);
    }
  }

  private signal(extra?: AbortSignal): AbortSignal {
    const signals = [this.abort.signal, AbortSignal.timeout(this.requestTimeoutMs)];
    if (extra) signals.push(extra);
    return AbortSignal.any(signals);
  }
}

/** Our record of an inspect answer. */
export function fromInspect(info: Dockerode.ContainerInspectInfo): DockerContainer {
  const upper = (info.GraphDriver?.Data as Record<string, unknown> | undefined)?.UpperDir;
  const started = Date.parse(info.State?.StartedAt ?? '');
  const created = Date.parse(info.Created ?? '');
  const c: { -readonly [K in keyof DockerContainer]: DockerContainer[K] } = {
    id: info.Id,
    name: (info.Name ?? '').replace(/^\//, ''),
    image: info.Config?.Image ?? info.Image ?? '',
    labels: info.Config?.Labels ?? {},
    pid: info.State?.Running ? (info.State.Pid ?? 0) : 0,
    running: info.State?.Running === true,
    startedAtMs: Number.isFinite(started) && started > 0 ? started : 0,
    createdMs: Number.isFinite(created) && created > 0 ? created : 0,
  };
  if (typeof upper === 'string' && upper !== '') c.upperDir = upper;
  return c;
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

function destroyStream(s: NodeJS.ReadableStream): void {
  const d = s as { destroy?: () => void };
  d.destroy?.();
}
