// Pure parsers of the /proc files the local source reads. Missing fields come back as NaN.
import { nextLine, parseUintAt, scanKeyed } from './text-scan.js';

/** Clock ticks per second of /proc/stat (USER_HZ; 100 on every Linux architecture we run on). */
export const USER_HZ = 100;
const NANOS_PER_TICK = 1e9 / USER_HZ;

/** What /proc/stat says about the machine. */
export interface ProcStat {
  /** user+nice+system+irq+softirq+steal of the `cpu` line, in ns (guest time is inside user). */
  readonly cpuUsageNanos: number;
  /** Number of `cpuN` lines (online CPUs). */
  readonly cores: number;
  /** Boot time (`btime`), ms since the epoch. */
  readonly bootTimeMs: number;
}

/**
 * Parses /proc/stat: the aggregate `cpu` line (ticks of USER_HZ, converted to ns), the number
 * of per-CPU lines and `btime`. Fields it cannot find are NaN (cores: 0).
 */
export function parseProcStat(text: string): ProcStat {
  let cpuUsageNanos = NaN;
  let cores = 0;
  let bootTimeMs = NaN;
  let pos = 0;
  while (pos < text.length) {
    if (text.startsWith('cpu', pos)) {
      const c = text.charCodeAt(pos + 3);
      if (c === 32) {
        cpuUsageNanos = cpuLineTicks(text, pos + 3) * NANOS_PER_TICK;
      } else if (c >= 48 && c <= 57) {
        cores++;
      }
    } else if (text.startsWith('btime ', pos)) {
      bootTimeMs = parseUintAt(text, pos + 6) * 1000;
    }
    pos = nextLine(text, pos);
  }
  return { cpuUsageNanos, cores, bootTimeMs };
}

/** user+nice+system+irq+softirq+steal from the fields of a `cpu` line starting at `pos`. */
function cpuLineTicks(text: string, pos: number): number {
  // Fields: user nice system idle iowait irq softirq steal guest guest_nice.
  let sum = 0;
  let i = pos;
  for (let field = 0; field < 8; field++) {
    let c = text.charCodeAt(i);
    while (c === 32) c = text.charCodeAt(++i);
    const v = parseUintAt(text, i);
    if (Number.isNaN(v)) return field >= 3 ? sum : NaN; // very old kernels lack steal
    if (field !== 3 && field !== 4) sum += v;
    c = text.charCodeAt(i);
    while (c >= 48 && c <= 57) c = text.charCodeAt(++i);
  }
  return sum;
}

/** The /proc/meminfo fields the node metrics need, in bytes. */
export interface MemInfo {
  readonly memTotalBytes: number;
  readonly memFreeBytes: number;
  readonly buffersBytes: number;
  readonly cachedBytes: number;
  readonly anonPagesBytes: number;
  readonly inactiveFileBytes: number;
}

const MEMINFO_KEYS = ['MemTotal', 'MemFree', 'Buffers', 'Cached', 'AnonPages', 'Inactive(file)'];

/** Parses /proc/meminfo (values in kB) into bytes; missing fields are NaN. */
export function parseMeminfo(text: string): MemInfo {
  const v = [NaN, NaN, NaN, NaN, NaN, NaN];
  scanKeyed(text, MEMINFO_KEYS, v);
  return {
    memTotalBytes: v[0] * 1024,
    memFreeBytes: v[1] * 1024,
    buffersBytes: v[2] * 1024,
    cachedBytes: v[3] * 1024,
    anonPagesBytes: v[4] * 1024,
    inactiveFileBytes: v[5] * 1024,
  };
}

/** Page fault counters of /proc/vmstat. */
export interface VmStat {
  readonly pageFaults: number;
  readonly majorPageFaults: number;
}

const VMSTAT_KEYS = ['pgfault', 'pgmajfault'];

/** Parses `pgfault` and `pgmajfault` of /proc/vmstat; missing fields are NaN. */
export function parseVmstat(text: string): VmStat {
  const v = [NaN, NaN];
  scanKeyed(text, VMSTAT_KEYS, v);
  return { pageFaults: v[0], majorPageFaults: v[1] };
}

/** One interface line of /proc/net/dev (cumulative counters). */
export interface NetDevEntry {
  readonly name: string;
  readonly rxBytes: number;
  readonly rxErrors: number;
  readonly txBytes: number;
  readonly txErrors: number;
}

/**
 * Parses /proc/net/dev (or /proc/<pid>/net/dev): one entry per interface line, in file order.
 * Lines without a `:` (the two headers) are skipped.
 */
export function parseNetDev(text: string): NetDevEntry[] {
  const out: NetDevEntry[] = [];
  const fields = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  let pos = 0;
  while (pos < text.length) {
    const end = nextLine(text, pos);
    const colon = text.indexOf(':', pos);
    if (colon >= 0 && colon < end) {
      let i = colon + 1;
      for (let f = 0; f < fields.length; f++) {
        let c = text.charCodeAt(i);
        while (c === 32 || c === 9) c = text.charCodeAt(++i);
        fields[f] = parseUintAt(text, i);
        c = text.charCodeAt(i);
        while (c >= 48 && c <= 57) c = text.charCodeAt(++i);
      }
      // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets errs ...
      out.push({
        name: text.slice(pos, colon).trim(),
        rxBytes: fields[0],
        rxErrors: fields[2],
        txBytes: fields[8],
        txErrors: fields[10],
      });
    }
    pos = end;
  }
  return out;
}

/** Parses /proc/uptime: seconds since boot (first field), as integer milliseconds; NaN if bad. */
export function parseUptimeMs(text: string): number {
  return Math.round(Number.parseFloat(text) * 1000);
}

/** One line of /proc/<pid>/mountinfo (escapes such as `\040` decoded). */
export interface MountInfoEntry {
  /** `major:minor` of the mounted device. */
  readonly majorMinor: string;
  /** Path inside the filesystem that is mounted (`/` for a whole filesystem). */
  readonly root: string;
  readonly mountPoint: string;
  readonly fsType: string;
  /** Mount source: a device such as `/dev/vda`, or a word such as `cgroup` or `tmpfs`. */
  readonly source: string;
  /** Per-superblock options, e.g. `rw,cpuacct` for a cgroup v1 hierarchy. */
  readonly superOptions: string;
}

/**
 * Parses /proc/<pid>/mountinfo (`id parent maj:min root mountpoint opts [optional...] - fstype
 * source superopts`). Malformed lines are skipped.
 */
export function parseMountinfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (f.length < 7 || dash < 0 || dash + 2 >= f.length) continue;
    out.push({
      majorMinor: f[2],
      root: unescapeMountPath(f[3]),
      mountPoint: unescapeMountPath(f[4]),
      fsType: f[dash + 1],
      source: unescapeMountPath(f[dash + 2]),
      superOptions: f[dash + 3] ?? '',
    });
  }
  return out;
}

/** Decodes the octal escapes (`\040` space, `\011` tab, `\012` newline, `\134` backslash). */
function unescapeMountPath(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) =>
    String.fromCharCode(Number.parseInt(oct, 8)),
  );
}
