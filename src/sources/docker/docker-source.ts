// The `docker` source: Engine API stats of every running container, once per tick.
import type Dockerode from 'dockerode';
import type { Batch, Labels } from '../../core/batch.js';
import { emptyBatch, newMetricSet } from '../../core/batch.js';
import type { Source, Window } from '../../core/contracts.js';
import { LABEL_HOSTNAME, LABEL_NODENAME } from '../../core/labels.js';
import type { Logger } from '../../core/log.js';
import { dockerEntity } from './container-sets.js';
import type { DockerContainer, DockerEndpoint } from './identity.js';
import { mapLimit } from '../../core/map-limit.js';
import { DockerIdentityCache, endpointText } from './identity.js';
import type { DockerStats } from './stats.js';
import { putDockerStats, statsTimeMs } from './stats.js';

/** Options of the docker source. */
export interface DockerSourceOptions {
  /** Node the containers run on: key `node:<nodeName>/...`, labels nodename and hostname. */
  readonly nodeName: string;
  readonly endpoint: DockerEndpoint;
  readonly logger?: Logger;
  /** Most stats requests in flight (default 64). */
  readonly parallelism?: number;
  /** Timeout of one stats request, ms, within the tick's signal (default 5 s). */
  readonly requestTimeoutMs?: number;
  /** A ready identity cache (tests); by default one is made for `endpoint`. */
  readonly identity?: DockerIdentityCache;
}

/** Counters of a docker source since its creation. */
export interface DockerSourceCounters {
  readonly scrapes: number;
  /** Containers whose stats failed or timed out (one per container per scrape). */
  readonly failedContainers: number;
}

/** The docker source plus its counters. */
export interface DockerSource extends Source {
  counters(): DockerSourceCounters;
  close(): void;
}

/**
 * Creates the `docker` source for a host with no agent: each `scrape` lists the running
 * containers and asks the Engine API for one stats sample of each (`stream=false`,
 * `one-shot=true`: no streams), at most `parallelism` at a time (the daemon answers one-shot requests on its 1 s collector cycle, so many wait in parallel cheaply), each bounded by
 * `requestTimeoutMs` and the tick's `signal`. Containers map to entities as
 * `dockerEntity` says (pod containers, a pod's sandbox for its network, else system
 * containers named by their Docker name); names, images, labels and the start time
 * (`State.StartedAt`, for `uptime` and restart detection) come from the identity cache
 * (list + events). A container that vanishes or times out drops only itself; the promise
 * rejects when the list itself fails or `signal` aborts.
 */
export function createDockerSource(opts: DockerSourceOptions): DockerSource {
  const logger = opts.logger;
  const identity =
    opts.identity ??
    new DockerIdentityCache({
      endpoint: opts.endpoint,
      logger: logger?.child({ component: 'docker-identity' }),
    });
  const docker: Dockerode = identity.client;
  const parallelism = opts.parallelism ?? 64;
  const timeoutMs = opts.requestTimeoutMs ?? 5000;
  const base: Labels = { [LABEL_NODENAME]: opts.nodeName, [LABEL_HOSTNAME]: opts.nodeName };
  let scrapes = 0;
  let failed = 0;
  /** Last cpu/usage per container id, to catch a restart whose event was missed. */
  let lastCpu = new Map<string, number>();

  const statsOf = async (id: string, signal: AbortSignal): Promise<DockerStats | undefined> => {
    try {
      const s = (await docker.getContainer(id).stats({
        stream: false,
        'one-shot': true,
        abortSignal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      } as { stream: false; 'one-shot': boolean })) as unknown as DockerStats;
      return s;
    } catch (err) {
      failed++;
      logger?.debug({ id, err: String(err) }, 'docker stats failed; container skipped');
      return undefined;
    }
  };

  return {
    name: `docker:${endpointText(opts.endpoint)}`,
    counters: () => ({ scrapes, failedContainers: failed }),
    close: () => identity.close(),
    async scrape(window: Window, signal: AbortSignal): Promise<Batch> {
      scrapes++;
      await Promise.race([
        identity.start(),
        new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())),
      ]);
      signal.throwIfAborted();
      const list = await docker.listContainers({
        abortSignal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      } as Dockerode.ContainerListOptions);
      const batch = emptyBatch(window.endMs);
      const cpuNow = new Map<string, number>();
      const results = await mapLimit(list, parallelism, async (item) => {
        if (signal.aborted) return undefined;
        let c: DockerContainer | undefined = identity.get(item.Id);
        if (c === undefined || !c.running) c = await identity.refresh(item.Id, signal);
        if (c === undefined) return undefined;
        const s = await statsOf(item.Id, signal);
        if (s === undefined) return undefined;
        const cpu = s.cpu_stats?.cpu_usage?.total_usage;
        const prevCpu = lastCpu.get(c.id);
        if (cpu !== undefined && prevCpu !== undefined && cpu < prevCpu) {
          // The counter went back: a restart whose event we have not seen yet.
          c = (await identity.refresh(c.id, signal)) ?? c;
        }
        if (cpu !== undefined) cpuNow.set(c.id, cpu);
        return { c, s };
      });
      signal.throwIfAborted();
      lastCpu = cpuNow;
      for (const r of results) {
        if (r === undefined) continue;
        const { c, s } = r;
        const readMs = statsTimeMs(s);
        if (readMs === undefined) continue; // stopped between list and stats
        const e = dockerEntity(opts.nodeName, c, base);
        const startMs = c.startedAtMs > 0 ? c.startedAtMs : c.createdMs;
        let set = e.sandbox ? batch.sets.get(e.key) : undefined;
        if (set === undefined) {
          set = newMetricSet(e.type, e.labels, {
            scrapeTimeMs: readMs,
            collectionStartMs: startMs,
            createMs: c.createdMs > 0 ? c.createdMs : startMs,
          });
          batch.sets.set(e.key, set);
        }
        putDockerStats(set, s, e.sandbox);
        if (!e.sandbox && startMs > 0) set.values.set('uptime', Math.max(0, readMs - startMs));
      }
      return batch;
    },
  };
}
