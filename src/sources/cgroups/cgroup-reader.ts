// Reads every cgroup below the root (v1 union of cpuacct + memory trees, or v2) each tick.
import type { Dirent, Stats } from 'node:fs';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { Logger } from '../../core/log.js';
import type { CgroupMemory } from './cgroup-files.js';
import {
  firstPid,
  parseCpuacctUsageNanos,
  parseCpuStatV2UsageNanos,
  parseMemoryV1,
  parseMemoryV2,
} from './cgroup-files.js';
import type { CgroupLayout, CgroupMounts } from './hierarchies.js';
import { cgroupMounts, chooseLayout } from './hierarchies.js';
import type { ContainerIdentity } from './naming.js';
import { classifyCgroup } from './naming.js';
import type { NetworkCounters } from './network.js';
import { containerNetwork, netnsOf } from './network.js';
import { parseMountinfo } from './proc.js';
import { errorCode, isVanished, readFileHead, readSmallFile } from './read-file.js';
import { parseUintAt } from './text-scan.js';
import { TtlValue } from './ttl-cache.js';

/** What one cgroup reported in one pass. Absent figures were not available (not zero). */
export interface ContainerStats {
  /** cgroup path below the hierarchy roots, with a leading `/` (e.g. `/system.slice/ssh.service`). */
  readonly path: string;
  /** Classification of the path (runtime, id, pod UID, system-container name). */
  readonly identity: ContainerIdentity;
  /** cgroup version the figures came from. */
  readonly cgroupVersion: 1 | 2;
  /** Creation time: earliest ctime of the cgroup's directories, ms since the epoch. */
  readonly startMs: number;
  /** When the cgroup's files were read, ms since the epoch. */
  readonly readTimeMs: number;
  /** Cumulative CPU time, ns (cpuacct.usage, or cpu.stat usage_usec × 1000). */
  readonly cpuUsageNanos?: number;
  readonly memory?: CgroupMemory;
  /** Counters of the cgroup's own network namespace (absent when it shares the host's). */
  readonly network?: NetworkCounters;
}

/** Where to read from. Defaults: `/proc`, `/sys/fs/cgroup`, mountinfo of `<procRoot>/self`. */
export interface CgroupReaderOptions {
  readonly procRoot?: string;
  readonly cgroupRoot?: string;
  /** mountinfo text to use instead of `<procRoot>/self/mountinfo` (tests, fixtures). */
  readonly mountinfo?: string;
  readonly logger?: Logger;
  /** How long the hierarchy layout and host netns are cached, ms (default 30 s). */
  readonly cacheTtlMs?: number;
  readonly nowMs?: () => number;
}

const HAS_CPU = 1;
const HAS_MEMORY = 2;

interface CgroupEntry {
  /** HAS_CPU | HAS_MEMORY: the hierarchies that have this cgroup. */
  flags: number;
  /** Earliest ctime of its directories, ms since the epoch. */
  ctimeMs: number;
  /** Inode numbers of its directories, `:`-joined (changes when the cgroup is recreated). */
  inodes: string;
}

interface StartRecord {
  readonly inodes: string;
  readonly startMs: number;
}

/**
 * Reads CPU, memory and network figures of every cgroup below the root, synchronously.
 * cgroup v1 hierarchies win over cgroup2 for the controllers they hold. A cgroup whose files
 * vanish or cannot be read is skipped for that pass (counted in `skippedEntities`, logged at
 * debug); `readAll` itself throws only when `signal` aborts. Not safe for concurrent use
 * from several threads (it is synchronous and single-threaded by design).
 */
export class CgroupReader {
  private readonly procRoot: string;
  private readonly cgroupRoot: string;
  private readonly logger: Logger | undefined;
  private readonly nowMs: () => number;
  private readonly layoutCache: TtlValue<CgroupLayout>;
  private readonly hostNetnsCache: TtlValue<string | null>;
  private starts = new Map<string, StartRecord>();
  private skipped = 0;

  constructor(private readonly opts: CgroupReaderOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.cgroupRoot = opts.cgroupRoot ?? '/sys/fs/cgroup';
    this.logger = opts.logger;
    this.nowMs = opts.nowMs ?? Date.now;
    const ttlMs = opts.cacheTtlMs ?? 30_000;
    this.layoutCache = new TtlValue(ttlMs, () => this.loadLayout(), this.nowMs);
    this.hostNetnsCache = new TtlValue(ttlMs, () => this.loadHostNetns(), this.nowMs);
  }

  /** Entities skipped since creation (one per cgroup per pass). */
  get skippedEntities(): number {
    return this.skipped;
  }

  /** The hierarchies in use (cached for the TTL). */
  layout(): CgroupLayout {
    return this.layoutCache.get();
  }

  /**
   * Reads every cgroup below the root(s), in path order. Checks `signal` between cgroups and
   * throws its reason when aborted. Never throws for a cgroup that vanished or is unreadable.
   */
  readAll(signal?: AbortSignal): ContainerStats[] {
    const layout = this.layout();
    const paths = this.listCgroups(layout);
    const hostNetns = this.hostNetnsCache.get();
    const out: ContainerStats[] = [];
    const starts = new Map<string, StartRecord>();
    for (const [path, entry] of paths) {
      signal?.throwIfAborted();
      try {
        out.push(this.readOne(path, entry, layout, hostNetns, starts));
      } catch (err) {
        this.skipped++;
        this.logger?.debug(
          { cgroup: path, code: errorCode(err), err: errorCode(err) ? undefined : String(err) },
          isVanished(err) ? 'cgroup vanished during read; skipped' : 'cgroup unreadable; skipped',
        );
      }
    }
    this.starts = starts;
    return out;
  }

  /**
   * Union of the cgroup trees of the CPU and memory hierarchies, sorted by path, with each
   * cgroup's hierarchy flags and directory ctime/inode (stat taken while walking).
   */
  private listCgroups(layout: CgroupLayout): [string, CgroupEntry][] {
    const entries = new Map<string, CgroupEntry>();
    const add = (dir: string, flag: number): void => {
      try {
        walk(dir, '', (path, st) => {
          const e = entries.get(path);
          if (e === undefined) {
            entries.set(path, { flags: flag, ctimeMs: st.ctimeMs, inodes: String(st.ino) });
          } else {
            e.flags |= flag;
            if (st.ctimeMs < e.ctimeMs) e.ctimeMs = st.ctimeMs;
            e.inodes += `:${st.ino}`;
          }
        });
      } catch (err) {
        this.logger?.debug({ dir, code: errorCode(err) }, 'cgroup hierarchy unreadable');
      }
    };
    if (layout.cpu) add(layout.cpu.dir, HAS_CPU);
    if (layout.memory) {
      if (layout.cpu && layout.cpu.dir === layout.memory.dir) {
        for (const e of entries.values()) e.flags |= HAS_MEMORY;
      } else {
        add(layout.memory.dir, HAS_MEMORY);
      }
    }
    return [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  private readOne(
    path: string,
    entry: CgroupEntry,
    layout: CgroupLayout,
    hostNetns: string | null,
    starts: Map<string, StartRecord>,
  ): ContainerStats {
    const readTimeMs = this.nowMs();
    let cpuUsageNanos: number | undefined;
    let memory: CgroupMemory | undefined;
    let version: 1 | 2 = 1;
    let procsDir: string | undefined;

    const cpu = entry.flags & HAS_CPU ? layout.cpu : undefined;
    if (cpu) {
      const dir = cpu.dir + path;
      cpuUsageNanos =
        cpu.version === 1
          ? parseCpuacctUsageNanos(readSmallFile(`${dir}/cpuacct.usage`))
          : parseCpuStatV2UsageNanos(readSmallFile(`${dir}/cpu.stat`));
      if (Number.isNaN(cpuUsageNanos)) throw new Error(`malformed CPU usage in ${dir}`);
      version = cpu.version;
      procsDir = dir;
    }
    const mem = entry.flags & HAS_MEMORY ? layout.memory : undefined;
    if (mem) {
      const dir = mem.dir + path;
      memory = mem.version === 1 ? readMemoryV1(dir) : readMemoryV2(dir);
      if (!cpu) version = mem.version;
      procsDir ??= dir;
    }

    // The first ctime seen for this set of directory inodes stays the start time: a cgroup
    // recreated under the same path has new inodes, hence a new start.
    const previous = this.starts.get(path);
    const startMs =
      previous !== undefined && previous.inodes === entry.inodes
        ? previous.startMs
        : Math.floor(entry.ctimeMs);
    starts.set(path, { inodes: entry.inodes, startMs });

    let network: NetworkCounters | undefined;
    if (hostNetns !== null && procsDir !== undefined) {
      network = this.readNetwork(procsDir, hostNetns);
    }
    const stats: {
      -readonly [K in keyof ContainerStats]: ContainerStats[K];
    } = { path, identity: classifyCgroup(path), cgroupVersion: version, startMs, readTimeMs };
    if (cpuUsageNanos !== undefined) stats.cpuUsageNanos = cpuUsageNanos;
    if (memory !== undefined) stats.memory = memory;
    if (network !== undefined) stats.network = network;
    return stats;
  }

  /** Network of the cgroup's first process when it has its own netns; quiet on any failure. */
  private readNetwork(dir: string, hostNetns: string): NetworkCounters | undefined {
    try {
      const pid = firstPid(readFileHead(`${dir}/cgroup.procs`, 32));
      return pid === undefined ? undefined : containerNetwork(this.procRoot, pid, hostNetns);
    } catch {
      return undefined; // the process exited, or a threaded cgroup: no network this pass
    }
  }

  private loadHostNetns(): string | null {
    try {
      return netnsOf(this.procRoot, 1);
    } catch {
      // PID 1 may be unreadable even for root (a non-dumpable init); our own netns is the
      // host's whenever heapster runs on the host network, as it must to see the node's NICs.
    }
    try {
      return netnsOf(this.procRoot, 'self');
    } catch (err) {
      this.logger?.debug({ code: errorCode(err) }, 'host netns unreadable; no container network');
      return null;
    }
  }

  private loadLayout(): CgroupLayout {
    let text = this.opts.mountinfo;
    if (text === undefined) {
      try {
        text = readFileSync(`${this.procRoot}/self/mountinfo`, 'utf8');
      } catch (err) {
        this.logger?.debug({ code: errorCode(err) }, 'mountinfo unreadable; probing cgroup root');
        text = '';
      }
    }
    let mounts = cgroupMounts(parseMountinfo(text), this.cgroupRoot);
    if (mounts.v1.size === 0 && mounts.v2 === undefined) mounts = probeMounts(this.cgroupRoot);
    let v2Controllers: string | undefined;
    if (mounts.v2 !== undefined) {
      try {
        v2Controllers = readSmallFile(`${mounts.v2}/cgroup.controllers`);
      } catch {
        v2Controllers = undefined;
      }
    }
    const layout = chooseLayout(mounts, v2Controllers);
    this.logger?.debug({ layout }, 'cgroup layout');
    return layout;
  }
}

/**
 * Visits every directory below `root + rel` (depth first) with its `/`-prefixed relative
 * path and stat. cgroupfs keeps a directory's link count at 2 + its number of
 * subdirectories, so a directory with exactly 2 links is a leaf and is not listed: most
 * cgroups are leaves, and this saves one readdir each.
 */
function walk(root: string, rel: string, visit: (path: string, st: Stats) => void): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(root + rel, { withFileTypes: true });
  } catch (err) {
    if (rel !== '' && isVanished(err)) return; // a cgroup removed while walking
    throw err;
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const p = `${rel}/${e.name}`;
    let st: Stats;
    try {
      st = statSync(root + p);
    } catch (err) {
      if (isVanished(err)) continue;
      throw err;
    }
    visit(p, st);
    if (st.nlink !== 2) walk(root, p, visit);
  }
}

function readMemoryV1(dir: string): CgroupMemory {
  const usage = parseUintAt(readSmallFile(`${dir}/memory.usage_in_bytes`), 0);
  if (Number.isNaN(usage)) throw new Error(`malformed memory.usage_in_bytes in ${dir}`);
  return parseMemoryV1(usage, readSmallFile(`${dir}/memory.stat`));
}

/** v2 memory figures; undefined when the memory controller is not enabled for this cgroup. */
function readMemoryV2(dir: string): CgroupMemory | undefined {
  let current: string;
  try {
    current = readSmallFile(`${dir}/memory.current`);
  } catch (err) {
    // No memory.current but the directory is still there: controller not enabled here.
    if (errorCode(err) === 'ENOENT' && existsSync(dir)) return undefined;
    throw err;
  }
  const usage = parseUintAt(current, 0);
  if (Number.isNaN(usage)) throw new Error(`malformed memory.current in ${dir}`);
  return parseMemoryV2(usage, readSmallFile(`${dir}/memory.stat`));
}

/** Mounts guessed from the directories of the cgroup root, for when mountinfo says nothing. */
function probeMounts(cgroupRoot: string): CgroupMounts {
  const v1 = new Map<string, string>();
  if (existsSync(`${cgroupRoot}/cgroup.controllers`)) return { v1, v2: cgroupRoot };
  let v2: string | undefined;
  let names: string[] = [];
  try {
    names = readdirSync(cgroupRoot);
  } catch {
    return { v1 };
  }
  for (const name of names) {
    const dir = `${cgroupRoot}/${name}`;
    if (name === 'unified') {
      if (existsSync(`${dir}/cgroup.controllers`)) v2 = dir;
      continue;
    }
    for (const ctrl of name.split(',')) if (!v1.has(ctrl)) v1.set(ctrl, dir);
  }
  return v2 === undefined ? { v1 } : { v1, v2 };
}
