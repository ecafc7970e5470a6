// Reads the machine-level (root cgroup) figures from /proc, sysfs and statfs.
import { readFileSync } from 'node:fs';
import type { Logger } from '../../core/log.js';
import type { FilesystemUsage, RealFilesystem } from './filesystems.js';
import { realFilesystems, statFilesystem } from './filesystems.js';
import type { NetworkCounters } from './network.js';
import { PhysicalInterfaces, sumInterfaces } from './network.js';
import type { MemInfo } from './proc.js';
import {
  parseMeminfo,
  parseMountinfo,
  parseNetDev,
  parseProcStat,
  parseUptimeMs,
  parseVmstat,
} from './proc.js';
import { errorCode, readSmallFile } from './read-file.js';
import { TtlValue } from './ttl-cache.js';

/** Node memory as cAdvisor defines it for the root cgroup, in bytes. */
export interface NodeMemory {
  /** MemTotal − MemFree. */
  readonly usageBytes: number;
  /** Cached + Buffers (page cache plus block-device buffers). */
  readonly cacheBytes: number;
  /** AnonPages. */
  readonly rssBytes: number;
  /** usage − Inactive(file), floored at 0. */
  readonly workingSetBytes: number;
}

/** Derives the node memory figures from /proc/meminfo. Pure; NaN inputs give NaN outputs. */
export function nodeMemory(m: MemInfo): NodeMemory {
  const usageBytes = m.memTotalBytes - m.memFreeBytes;
  const ws = usageBytes - m.inactiveFileBytes;
  return {
    usageBytes,
    cacheBytes: m.cachedBytes + m.buffersBytes,
    rssBytes: m.anonPagesBytes,
    workingSetBytes: ws > 0 ? ws : Number.isNaN(ws) ? NaN : 0,
  };
}

/** One pass over the node's figures; a figure whose source file failed is absent. */
export interface NodeStats {
  /** When the node files were read, ms since the epoch. */
  readonly readTimeMs: number;
  /** Boot time (btime), ms since the epoch. */
  readonly bootTimeMs?: number;
  /** Time since boot (/proc/uptime), ms. */
  readonly uptimeMs?: number;
  /** Online CPUs. */
  readonly cores?: number;
  /** Cumulative CPU time of all CPUs, ns. */
  readonly cpuUsageNanos?: number;
  readonly memTotalBytes?: number;
  readonly memory?: NodeMemory;
  readonly pageFaults?: number;
  readonly majorPageFaults?: number;
  /** Summed over physical interfaces; absent when there is none or /proc/net/dev failed. */
  readonly network?: NetworkCounters;
  readonly filesystems: readonly FilesystemUsage[];
}

/** Where to read from. Defaults: `/proc`, `/sys`, `/etc/machine-id`. */
export interface NodeReaderOptions {
  readonly procRoot?: string;
  readonly sysRoot?: string;
  /** mountinfo text to use instead of `<procRoot>/self/mountinfo`. */
  readonly mountinfo?: string;
  readonly machineIdPath?: string;
  readonly logger?: Logger;
  /** How long the interface and filesystem lists are cached, ms (default 30 s). */
  readonly cacheTtlMs?: number;
  readonly nowMs?: () => number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Reads the node figures synchronously. A /proc file that fails (missing, unreadable,
 * malformed) drops only the figures it feeds (counted in `procFailures`, logged at debug);
 * `read` never throws.
 */
export class NodeReader {
  private readonly procRoot: string;
  private readonly sysRoot: string;
  private readonly logger: Logger | undefined;
  private readonly nowMs: () => number;
  private readonly interfaces: PhysicalInterfaces;
  private readonly filesystems: TtlValue<RealFilesystem[]>;
  private hostIdValue: string | null | undefined;
  private failures = 0;

  constructor(private readonly opts: NodeReaderOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.sysRoot = opts.sysRoot ?? '/sys';
    this.logger = opts.logger;
    this.nowMs = opts.nowMs ?? Date.now;
    const ttlMs = opts.cacheTtlMs ?? 30_000;
    this.interfaces = new PhysicalInterfaces(this.sysRoot, ttlMs, this.nowMs);
    this.filesystems = new TtlValue(ttlMs, () => this.loadFilesystems(), this.nowMs);
  }

  /** /proc and statfs reads that failed since creation. */
  get procFailures(): number {
    return this.failures;
  }

  /** Contents of the machine-id file (trimmed), read once; undefined when unreadable. */
  hostId(): string | undefined {
    if (this.hostIdValue === undefined) {
      try {
        const id = readFileSync(this.opts.machineIdPath ?? '/etc/machine-id', 'utf8').trim();
        this.hostIdValue = id === '' ? null : id;
      } catch {
        this.hostIdValue = null;
      }
    }
    return this.hostIdValue ?? undefined;
  }

  /** Reads every node figure it can. */
  read(): NodeStats {
    const out: Mutable<NodeStats> = { readTimeMs: this.nowMs(), filesystems: [] };
    this.tryRead('stat', (text) => {
      const s = parseProcStat(text);
      if (finite(s.cpuUsageNanos)) out.cpuUsageNanos = s.cpuUsageNanos;
      if (s.cores > 0) out.cores = s.cores;
      if (finite(s.bootTimeMs)) out.bootTimeMs = s.bootTimeMs;
    });
    this.tryRead('uptime', (text) => {
      const ms = parseUptimeMs(text);
      if (finite(ms)) out.uptimeMs = ms;
    });
    this.tryRead('meminfo', (text) => {
      const m = parseMeminfo(text);
      if (finite(m.memTotalBytes)) out.memTotalBytes = m.memTotalBytes;
      const mem = nodeMemory(m);
      if (finite(mem.usageBytes) && finite(mem.cacheBytes) && finite(mem.rssBytes)) {
        out.memory = mem;
      }
    });
    this.tryRead('vmstat', (text) => {
      const v = parseVmstat(text);
      if (finite(v.pageFaults)) out.pageFaults = v.pageFaults;
      if (finite(v.majorPageFaults)) out.majorPageFaults = v.majorPageFaults;
    });
    this.tryRead('net/dev', (text) => {
      const net = sumInterfaces(parseNetDev(text), (name) => this.interfaces.isPhysical(name));
      if (net !== undefined) out.network = net;
    });
    const fsUsage: FilesystemUsage[] = [];
    for (const fs of this.filesystems.get()) {
      try {
        fsUsage.push(statFilesystem(fs));
      } catch (err) {
        this.failures++;
        this.logger?.debug({ mountPoint: fs.mountPoint, code: errorCode(err) }, 'statfs failed');
      }
    }
    out.filesystems = fsUsage;
    return out;
  }

  private tryRead(file: string, use: (text: string) => void): void {
    const path = `${this.procRoot}/${file}`;
    try {
      use(readSmallFile(path));
    } catch (err) {
      this.failures++;
      this.logger?.debug({ path, code: errorCode(err), err: String(err) }, 'proc read failed');
    }
  }

  private loadFilesystems(): RealFilesystem[] {
    let text = this.opts.mountinfo;
    if (text === undefined) {
      try {
        text = readFileSync(`${this.procRoot}/self/mountinfo`, 'utf8');
      } catch (err) {
        this.failures++;
        this.logger?.debug({ code: errorCode(err) }, 'mountinfo unreadable; no filesystems');
        return [];
      }
    }
    return realFilesystems(parseMountinfo(text));
  }
}

function finite(v: number): boolean {
  return Number.isFinite(v);
}
