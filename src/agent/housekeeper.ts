// The agent's housekeeping: one synchronous pass over /proc and every cgroup per interval,
// kept as a bounded per-container history in memory.
import { readFileSync } from 'node:fs';
import type { Logger } from '../core/log.js';
import type { CgroupReader } from '../sources/cgroups/cgroup-reader.js';
import type { FilesystemUsage } from '../sources/cgroups/filesystems.js';
import type { NetworkCounters } from '../sources/cgroups/network.js';
import type { NodeReader } from '../sources/cgroups/node-reader.js';
import type { DockerContainer, DockerIdentity } from '../sources/docker/identity-types.js';
import type { LayerRef, WritableLayerUsage } from '../sources/docker/writable-layer.js';

/** One housekeeping sample of one container. Absent figures were not available. */
export interface Sample {
  /** When the figures were read, ms since the epoch. */
  readonly timeMs: number;
  /** Cumulative CPU time, ns. */
  readonly cpuNanos?: number;
  readonly memory?: {
    readonly usage: number;
    readonly cache: number;
    readonly rss: number;
    readonly workingSet: number;
    readonly pgfault: number;
    readonly pgmajfault: number;
  };
  readonly network?: NetworkCounters;
  /** Only the root container: the machine's filesystems. */
  readonly filesystems?: readonly FilesystemUsage[];
  /** Docker containers: size of the writable layer (last finished measurement), bytes. */
  readonly layerBytes?: number;
}

/** What the agent knows about one container (a cgroup), with its recent samples. */
export interface TrackedContainer {
  /** cAdvisor name: the cgroup path, `/` for the machine. */
  readonly name: string;
  /** Docker: `[name, id]` (namespace `docker`); empty when unknown. */
  aliases: string[];
  namespace: string;
  /** Full runtime id when the cgroup path names one. */
  readonly id?: string;
  image: string;
  labels: Record<string, string>;
  /** Creation time, ms since the epoch (boot time for `/`). */
  readonly creationMs: number;
  /** cpu.shares and memory limit (bytes), read once when first seen; undefined if unreadable. */
  readonly cpuShares?: number;
  readonly memoryLimit?: number;
  /** The Docker identity the aliases, image and labels came from (compared by reference). */
  docker?: DockerContainer;
  /** Samples, oldest first, at most `capacity`. */
  readonly samples: Sample[];
}

/** Housekeeping options. */
export interface HousekeeperOptions {
  readonly cgroups: CgroupReader;
  readonly node: NodeReader;
  /** Names, images and labels of Docker containers; absent → naming by cgroup path. */
  readonly docker?: DockerIdentity;
  /**
   * Sizes of Docker writable layers (walked in time-boxed slices on its own slower cycle);
   * ticked once per pass for the containers whose identity has an `upperDir`.
   */
  readonly layers?: WritableLayerUsage;
  /** Housekeeping interval, ms. */
  readonly intervalMs: number;
  /** How much history to keep per container, ms (at least one sample is kept). */
  readonly storageMs: number;
  readonly logger?: Logger;
  readonly nowMs?: () => number;
}

/**
 * Reads the node and every cgroup once per `intervalMs` (synchronously, one short pass) and
 * keeps `ceil(storageMs / intervalMs) + 1` samples per container. Containers whose cgroup is
 * gone are dropped at the next pass; a recreated cgroup (new inode, new start time) starts a
 * new history. A pass that throws is logged and counted; the next one runs as usual.
 */
export class Housekeeper {
  readonly containers = new Map<string, TrackedContainer>();
  readonly capacity: number;
  /** Passes done and passes that failed since start. */
  passes = 0;
  failures = 0;
  /** Duration of the last pass, ms. */
  lastPassMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly nowMs: () => number;

  constructor(private readonly opts: HousekeeperOptions) {
    this.capacity = Math.max(1, Math.ceil(opts.storageMs / opts.intervalMs) + 1);
    this.nowMs = opts.nowMs ?? Date.now;
  }

  /** Runs a pass now, then every interval until `stop`. */
  start(): void {
    this.pass();
    this.timer = setInterval(() => this.pass(), this.opts.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One housekeeping pass (public for tests). Never throws. */
  pass(): void {
    const t0 = performance.now();
    try {
      this.read();
      this.passes++;
    } catch (err) {
      this.failures++;
      this.opts.logger?.warn({ err: String(err) }, 'housekeeping pass failed');
    }
    this.lastPassMs = performance.now() - t0;
  }

  private read(): void {
    const seen = new Set<string>();
    const n = this.opts.node.read();
    const rootSample: Sample = {
      timeMs: n.readTimeMs,
      cpuNanos: n.cpuUsageNanos,
      memory: n.memory && {
        usage: n.memory.usageBytes,
        cache: n.memory.cacheBytes,
        rss: n.memory.rssBytes,
        workingSet: n.memory.workingSetBytes,
        pgfault: n.pageFaults ?? 0,
        pgmajfault: n.majorPageFaults ?? 0,
      },
      network: n.network,
      filesystems: n.filesystems,
    };
    this.record('/', n.bootTimeMs ?? 0, undefined, rootSample, seen);
    for (const c of this.opts.cgroups.readAll()) {
      const m = c.memory;
      const sample: Sample = {
        timeMs: c.readTimeMs,
        cpuNanos: c.cpuUsageNanos,
        memory: m && {
          usage: m.usageBytes,
          cache: nz(m.cacheBytes),
          rss: nz(m.rssBytes),
          workingSet: nz(m.workingSetBytes),
          pgfault: nz(m.pageFaults),
          pgmajfault: nz(m.majorPageFaults),
        },
        network: c.network,
        layerBytes: c.identity.id === undefined ? undefined : this.opts.layers?.get(c.identity.id),
      };
      this.record(c.path, c.startMs, c.identity.id, sample, seen);
    }
    for (const name of this.containers.keys()) if (!seen.has(name)) this.containers.delete(name);
    this.opts.layers?.tick(() => this.layerRefs());
  }

  /** Docker containers whose writable layer can be measured. */
  private *layerRefs(): Iterable<LayerRef> {
    for (const c of this.containers.values()) {
      const upperDir = (c.docker as { upperDir?: string } | undefined)?.upperDir;
      if (c.id !== undefined && upperDir !== undefined) yield { id: c.id, upperDir };
    }
  }

  private record(
    name: string,
    startMs: number,
    id: string | undefined,
    sample: Sample,
    seen: Set<string>,
  ): void {
    seen.add(name);
    let c = this.containers.get(name);
    if (c !== undefined && c.creationMs !== startMs) c = undefined; // recreated cgroup
    if (c === undefined) {
      const limits = name === '/' ? {} : this.readLimits(name);
      c = {
        name,
        aliases: [],
        namespace: '',
        id,
        image: '',
        labels: {},
        creationMs: startMs,
        ...limits,
        samples: [],
      };
      this.containers.set(name, c);
    }
    if (id !== undefined && this.opts.docker !== undefined) {
      const d = this.opts.docker.get(id);
      if (d !== undefined && d !== c.docker) {
        c.docker = d;
        c.aliases = [d.name, d.id];
        c.namespace = 'docker';
        c.image = d.image;
        c.labels = { ...d.labels };
      }
    }
    if (c.samples.length >= this.capacity) c.samples.shift();
    c.samples.push(sample);
  }

  /** cpu.shares and the memory limit of a cgroup, read once (v1 or v2 files). */
  private readLimits(path: string): { cpuShares?: number; memoryLimit?: number } {
    const layout = this.opts.cgroups.layout();
    const out: { cpuShares?: number; memoryLimit?: number } = {};
    const num = (file: string): number | undefined => {
      try {
        const text = readFileSync(file, 'utf8').trim();
        if (text === 'max') return Number.MAX_SAFE_INTEGER;
        const v = Number(text.split(/\s/)[0]);
        return Number.isFinite(v) ? v : undefined;
      } catch {
        return undefined;
      }
    };
    if (layout.cpu) {
      out.cpuShares =
        layout.cpu.version === 1
          ? num(`${layout.cpu.dir.replace(/cpuacct$/, 'cpu')}${path}/cpu.shares`)
          : weightToShares(num(`${layout.cpu.dir}${path}/cpu.weight`));
    }
    if (layout.memory) {
      out.memoryLimit =
        layout.memory.version === 1
          ? num(`${layout.memory.dir}${path}/memory.limit_in_bytes`)
          : num(`${layout.memory.dir}${path}/memory.max`);
    }
    return out;
  }
}

function nz(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

/** cgroup v2 cpu.weight (1–10000) → v1 shares (2–262144), as runc converts the other way. */
function weightToShares(weight: number | undefined): number | undefined {
  if (weight === undefined) return undefined;
  return Math.round(2 + ((weight - 1) * 262142) / 9999);
}
