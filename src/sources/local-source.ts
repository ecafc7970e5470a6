// The `local` source: this machine's node figures and every cgroup as a system container.
import type { Batch, Labels, MetricSet } from '../core/batch.js';
import { emptyBatch, newMetricSet } from '../core/batch.js';
import type { Source, Window } from '../core/contracts.js';
import { nodeKey, sysContainerKey } from '../core/keys.js';
import {
  LABEL_CONTAINER_NAME,
  LABEL_HOST_ID,
  LABEL_HOSTNAME,
  LABEL_NODENAME,
  LABEL_RESOURCE_ID,
} from '../core/labels.js';
import type { Logger } from '../core/log.js';
import { componentLogger } from '../core/log.js';
import type { ContainerStats } from './cgroups/cgroup-reader.js';
import { CgroupReader } from './cgroups/cgroup-reader.js';
import type { NodeStats } from './cgroups/node-reader.js';
import { NodeReader } from './cgroups/node-reader.js';
import type { DockerEntity } from './docker/container-sets.js';
import { dockerEntity } from './docker/container-sets.js';
import type { DockerContainer } from './docker/identity.js';
import { DockerIdentityCache, dockerEndpoint } from './docker/identity.js';
import { WritableLayerUsage } from './docker/writable-layer.js';

/** Options of the local source. Roots default to `/proc`, `/sys`, `/sys/fs/cgroup`. */
export interface LocalSourceOptions {
  /** Node name: key `node:<nodeName>`, labels `nodename` and `hostname`. */
  readonly nodeName: string;
  readonly procRoot?: string;
  readonly sysRoot?: string;
  readonly cgroupRoot?: string;
  /** mountinfo text to use instead of `<procRoot>/self/mountinfo` (tests). */
  readonly mountinfo?: string;
  /** File holding the `host_id` label (default `/etc/machine-id`). */
  readonly machineIdPath?: string;
  readonly logger?: Logger;
  /**
   * Docker Engine API for container names, images and labels: an endpoint text
   * (`unix:///var/run/docker.sock`, `tcp://h:p`; default DOCKER_HOST, else the default
   * socket), a ready cache (tests), or `false` for none (cgroup names only).
   */
  readonly docker?: string | DockerIdentityCache | false;
  /** Time between writable-layer size rounds, ms (default 60 s). */
  readonly fsUsageIntervalMs?: number;
  /** Most time one scrape spends measuring writable layers, ms (default 20). */
  readonly fsUsageBudgetMs?: number;
  /** How long the first scrape waits for the first container list, ms (default 3 s). */
  readonly dockerStartWaitMs?: number;
}

/** Counters of a local source since its creation. */
export interface LocalSourceCounters {
  readonly scrapes: number;
  /** cgroups skipped because they vanished or were unreadable (one per cgroup per scrape). */
  readonly skippedEntities: number;
  /** /proc, mountinfo or statfs reads that failed (their metrics were left out). */
  readonly procFailures: number;
  /** cgroups dropped because another cgroup already had their container name. */
  readonly duplicateNames: number;
}

/** The local source plus its counters. */
export interface LocalSource extends Source {
  counters(): LocalSourceCounters;
  /** Stops the Docker event stream and timers (the source still scrapes cgroups). */
  close(): void;
}

/**
 * Creates the `local` source: reads /proc and every cgroup (v1 and v2) of this machine
 * synchronously on each `scrape`. Returns `node:<nodeName>` plus one
 * `node:<nodeName>/container:<name>` system container per cgroup below the root. The batch
 * is stamped `window.endMs`; each set's `scrapeTimeMs` is when its files were read. A cgroup
 * or /proc file that fails only drops what it feeds; the promise rejects only when `signal`
 * aborts (checked between cgroups).
 */
export function createLocalSource(opts: LocalSourceOptions): LocalSource {
  const logger = opts.logger ?? componentLogger('source-local');
  const nodeName = opts.nodeName;
  const nodeReader = new NodeReader({
    procRoot: opts.procRoot,
    sysRoot: opts.sysRoot,
    mountinfo: opts.mountinfo,
    machineIdPath: opts.machineIdPath,
    logger,
  });
  const cgroupReader = new CgroupReader({
    procRoot: opts.procRoot,
    cgroupRoot: opts.cgroupRoot,
    mountinfo: opts.mountinfo,
    logger,
  });
  let scrapes = 0;
  let duplicateNames = 0;
  const identity =
    opts.docker === false
      ? undefined
      : opts.docker instanceof DockerIdentityCache
        ? opts.docker
        : new DockerIdentityCache({
            endpoint: dockerEndpoint(opts.docker),
            logger: logger.child({ component: 'docker-identity' }),
          });
  const layers = new WritableLayerUsage({
    intervalMs: opts.fsUsageIntervalMs,
    budgetMs: opts.fsUsageBudgetMs,
  });
  let identityReady: Promise<void> | undefined;
  const waitForIdentity = async (signal: AbortSignal): Promise<void> => {
    if (identity === undefined) return;
    if (identityReady === undefined) {
      const waitMs = opts.dockerStartWaitMs ?? 3000;
      let timer: NodeJS.Timeout | undefined;
      identityReady = Promise.race([
        identity.start(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, waitMs);
          signal.addEventListener('abort', () => resolve(), { once: true });
        }),
      ]).finally(() => clearTimeout(timer));
    }
    await identityReady;
  };

  return {
    name: 'local',
    counters: () => ({
      scrapes,
      skippedEntities: cgroupReader.skippedEntities,
      procFailures: nodeReader.procFailures,
      duplicateNames,
    }),
    close: () => identity?.close(),
    async scrape(window: Window, signal: AbortSignal): Promise<Batch> {
      await waitForIdentity(signal);
      try {
        signal.throwIfAborted();
        scrapes++;
        const base: Labels = { [LABEL_NODENAME]: nodeName, [LABEL_HOSTNAME]: nodeName };
        const hostId = nodeReader.hostId();
        if (hostId !== undefined) base[LABEL_HOST_ID] = hostId;

        const batch = emptyBatch(window.endMs);
        batch.sets.set(nodeKey(nodeName), nodeMetricSet(nodeReader.read(), base));
        signal.throwIfAborted();
        const sandboxes: [DockerEntity, ContainerStats][] = [];
        for (const c of cgroupReader.readAll(signal)) {
          const id = c.identity.id;
          const dc = id !== undefined && identity !== undefined ? identity.get(id) : undefined;
          let key: string;
          let set: MetricSet;
          if (dc !== undefined) {
            const e = dockerEntity(nodeName, dc, base);
            if (e.sandbox) {
              sandboxes.push([e, c]);
              continue;
            }
            key = e.key;
            set = containerMetricSet(c, e.type, e.labels);
            addLayerUsage(set, layers, dc);
          } else {
            key = sysContainerKey(nodeName, c.identity.name);
            set = containerMetricSet(c, 'sys_container', {
              ...base,
              [LABEL_CONTAINER_NAME]: c.identity.name,
            });
          }
          if (batch.sets.has(key)) {
            duplicateNames++;
            logger.debug({ cgroup: c.path, name: c.identity.name }, 'duplicate container name');
            continue;
          }
          batch.sets.set(key, set);
        }
        // A pod's sandbox gives the pod its network (contract §3.1), nothing else.
        for (const [e, c] of sandboxes) {
          const set = batch.sets.get(e.key) ?? podMetricSet(e, c);
          putNetwork(set, c);
          batch.sets.set(e.key, set);
        }
        if (identity !== undefined) layers.tick(() => identity.list().filter((d) => d.running));
        return batch;
      } catch (err) {
        throw err instanceof Error ? err : new Error(String(err));
      }
    },
  };
}

function put(set: MetricSet, name: string, value: number | undefined): void {
  if (value !== undefined && Number.isFinite(value)) set.values.set(name, value);
}

function nodeMetricSet(s: NodeStats, base: Labels): MetricSet {
  const set = newMetricSet('node', base, {
    scrapeTimeMs: s.readTimeMs,
    collectionStartMs: s.bootTimeMs ?? 0,
  });
  put(set, 'uptime', s.uptimeMs);
  put(set, 'cpu/usage', s.cpuUsageNanos);
  if (s.memory) {
    put(set, 'memory/usage', s.memory.usageBytes);
    put(set, 'memory/cache', s.memory.cacheBytes);
    put(set, 'memory/rss', s.memory.rssBytes);
    put(set, 'memory/working_set', s.memory.workingSetBytes);
  }
  put(set, 'memory/page_faults', s.pageFaults);
  put(set, 'memory/major_page_faults', s.majorPageFaults);
  if (s.network) {
    put(set, 'network/rx', s.network.rxBytes);
    put(set, 'network/rx_errors', s.network.rxErrors);
    put(set, 'network/tx', s.network.txBytes);
    put(set, 'network/tx_errors', s.network.txErrors);
  }
  if (s.cores !== undefined) {
    put(set, 'cpu/node_capacity', s.cores * 1000);
    put(set, 'cpu/node_allocatable', s.cores * 1000);
  }
  put(set, 'memory/node_capacity', s.memTotalBytes);
  put(set, 'memory/node_allocatable', s.memTotalBytes);
  for (const fs of s.filesystems) {
    const labels = { [LABEL_RESOURCE_ID]: fs.device };
    set.labeled.push(
      { name: 'filesystem/usage', labels, value: fs.usageBytes },
      { name: 'filesystem/limit', labels, value: fs.limitBytes },
      { name: 'filesystem/available', labels, value: fs.availableBytes },
      { name: 'filesystem/inodes', labels, value: fs.inodes },
      { name: 'filesystem/inodes_free', labels, value: fs.inodesFree },
    );
  }
  return set;
}

function containerMetricSet(
  c: ContainerStats,
  type: DockerEntity['type'],
  labels: Labels,
): MetricSet {
  const set = newMetricSet(type, labels, {
    scrapeTimeMs: c.readTimeMs,
    collectionStartMs: c.startMs,
  });
  put(set, 'uptime', Math.max(0, c.readTimeMs - c.startMs));
  put(set, 'cpu/usage', c.cpuUsageNanos);
  if (c.memory) {
    put(set, 'memory/usage', c.memory.usageBytes);
    put(set, 'memory/cache', c.memory.cacheBytes);
    put(set, 'memory/rss', c.memory.rssBytes);
    put(set, 'memory/working_set', c.memory.workingSetBytes);
    put(set, 'memory/page_faults', c.memory.pageFaults);
    put(set, 'memory/major_page_faults', c.memory.majorPageFaults);
  }
  putNetwork(set, c);
  return set;
}

function putNetwork(set: MetricSet, c: ContainerStats): void {
  if (c.network) {
    put(set, 'network/rx', c.network.rxBytes);
    put(set, 'network/rx_errors', c.network.rxErrors);
    put(set, 'network/tx', c.network.txBytes);
    put(set, 'network/tx_errors', c.network.txErrors);
  }
}

/** The pod set a sandbox starts (the pod aggregator adds its containers' CPU and memory). */
function podMetricSet(e: DockerEntity, c: ContainerStats): MetricSet {
  return newMetricSet('pod', e.labels, {
    scrapeTimeMs: c.readTimeMs,
    collectionStartMs: c.startMs,
  });
}

/** `filesystem/usage{resource_id="/"}`: the writable layer's size, when measured. */
function addLayerUsage(set: MetricSet, layers: WritableLayerUsage, c: DockerContainer): void {
  const bytes = layers.get(c.id);
  if (bytes !== undefined) {
    set.labeled.push({
      name: 'filesystem/usage',
      labels: { [LABEL_RESOURCE_ID]: '/' },
      value: bytes,
    });
  }
}
