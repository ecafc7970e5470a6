// Pure parsers of cgroup control files (v1 and v2). Missing fields come back as NaN.
import { parseUintAt, scanKeyed } from './text-scan.js';

/** Memory figures of one cgroup, in bytes, and its page fault counters. */
export interface CgroupMemory {
  readonly usageBytes: number;
  readonly rssBytes: number;
  readonly cacheBytes: number;
  /** usage − inactive file, floored at 0 (cAdvisor's working set). */
  readonly workingSetBytes: number;
  readonly pageFaults: number;
  readonly majorPageFaults: number;
}

/** cAdvisor's working set: usage minus inactive file pages, never below 0. */
export function workingSetBytes(usageBytes: number, inactiveFileBytes: number): number {
  if (Number.isNaN(inactiveFileBytes)) return usageBytes;
  return usageBytes > inactiveFileBytes ? usageBytes - inactiveFileBytes : 0;
}

const V1_MEMORY_KEYS = [
  'total_rss',
  'total_cache',
  'total_inactive_file',
  'total_pgfault',
  'total_pgmajfault',
];

/**
 * cgroup v1: combines `memory.usage_in_bytes` (already parsed) with the hierarchical `total_*`
 * fields of `memory.stat`: rss = total_rss, cache = total_cache, working set = usage −
 * total_inactive_file (≥ 0), faults = total_pgfault / total_pgmajfault.
 */
export function parseMemoryV1(usageBytes: number, memoryStat: string): CgroupMemory {
  const v = [NaN, NaN, NaN, NaN, NaN];
  scanKeyed(memoryStat, V1_MEMORY_KEYS, v);
  return {
    usageBytes,
    rssBytes: v[0],
    cacheBytes: v[1],
    workingSetBytes: workingSetBytes(usageBytes, v[2]),
    pageFaults: v[3],
    majorPageFaults: v[4],
  };
}

const V2_MEMORY_KEYS = ['anon', 'file', 'inactive_file', 'pgfault', 'pgmajfault'];

/**
 * cgroup v2: combines `memory.current` (already parsed) with `memory.stat`: rss = anon,
 * cache = file, working set = current − inactive_file (≥ 0), faults = pgfault / pgmajfault.
 */
export function parseMemoryV2(currentBytes: number, memoryStat: string): CgroupMemory {
  const v = [NaN, NaN, NaN, NaN, NaN];
  scanKeyed(memoryStat, V2_MEMORY_KEYS, v);
  return {
    usageBytes: currentBytes,
    rssBytes: v[0],
    cacheBytes: v[1],
    workingSetBytes: workingSetBytes(currentBytes, v[2]),
    pageFaults: v[3],
    majorPageFaults: v[4],
  };
}

const V2_CPU_KEYS = ['usage_usec'];

/** cgroup v2 `cpu.stat`: `usage_usec` in ns; NaN when absent. */
export function parseCpuStatV2UsageNanos(cpuStat: string): number {
  const v = [NaN];
  scanKeyed(cpuStat, V2_CPU_KEYS, v);
  return v[0] * 1000;
}

/** cgroup v1 `cpuacct.usage`: total CPU time in ns; NaN when the text holds no number. */
export function parseCpuacctUsageNanos(text: string): number {
  return parseUintAt(text, 0);
}

/**
 * First pid of `cgroup.procs` (one pid per line), or undefined when the cgroup has no
 * process.
 */
export function firstPid(procs: string): number | undefined {
  const pid = parseUintAt(procs, 0);
  return Number.isNaN(pid) ? undefined : pid;
}
