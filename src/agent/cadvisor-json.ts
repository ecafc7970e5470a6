// The agent's history in cAdvisor's JSON shapes (v1 ContainerInfo, v2 spec/stats/summary).
import type {
  ContainerInfo,
  ContainerSpec,
  ContainerSpecV2,
  ContainerStats,
  ContainerStatsV2,
  DerivedStats,
  InterfaceStats,
  Percentiles,
  UsageV2,
} from '../sources/cadvisor/types.js';
import type { Sample, TrackedContainer } from './housekeeper.js';

/** Name of the one interface entry: the reader sums a container's non-`lo` interfaces. */
export const SUMMED_INTERFACE = 'total';
/** 2^64 − 1 as a JSON number (cAdvisor's "unlimited"; prints as 18446744073709552000). */
const MAX_UINT64 = 2 ** 64;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** v1 ContainerSpec of a tracked container. */
export function specOf(c: TrackedContainer): ContainerSpec {
  const last = c.samples[c.samples.length - 1];
  const spec: ContainerSpec = {
    creation_time: iso(c.creationMs),
    has_cpu: last?.cpuNanos !== undefined,
    has_memory: last?.memory !== undefined,
    has_network: last?.network !== undefined,
    has_filesystem:
      (last?.filesystems !== undefined && last.filesystems.length > 0) ||
      last?.layerBytes !== undefined,
    has_diskio: false,
    has_custom_metrics: false,
  };
  if (Object.keys(c.labels).length > 0) spec.labels = c.labels;
  if (c.cpuShares !== undefined) spec.cpu = { limit: c.cpuShares, max_limit: 0 };
  if (c.memoryLimit !== undefined)
    spec.memory = { limit: c.memoryLimit >= 2 ** 62 ? MAX_UINT64 : c.memoryLimit };
  if (c.image !== '') spec.image = c.image;
  return spec;
}

function interfaceOf(n: NonNullable<Sample['network']>): InterfaceStats {
  return {
    name: SUMMED_INTERFACE,
    rx_bytes: n.rxBytes,
    rx_packets: 0,
    rx_errors: n.rxErrors,
    rx_dropped: 0,
    tx_bytes: n.txBytes,
    tx_packets: 0,
    tx_errors: n.txErrors,
    tx_dropped: 0,
  };
}

/** v1 ContainerStats of one sample. */
export function statsOf(s: Sample): ContainerStats {
  const out: ContainerStats = { timestamp: iso(s.timeMs) };
  if (s.cpuNanos !== undefined) {
    out.cpu = { usage: { total: s.cpuNanos, user: 0, system: 0 }, load_average: 0 };
  }
  if (s.memory) {
    const m = s.memory;
    const faults = { pgfault: m.pgfault, pgmajfault: m.pgmajfault };
    out.memory = {
      usage: m.usage,
      cache: m.cache,
      rss: m.rss,
      working_set: m.workingSet,
      failcnt: 0,
      container_data: faults,
      hierarchical_data: faults,
    };
  }
  if (s.network) {
    const i = interfaceOf(s.network);
    out.network = { ...i, interfaces: [i] };
  }
  if (s.filesystems && s.filesystems.length > 0) {
    out.filesystem = s.filesystems.map((f) => ({
      device: f.device,
      type: 'vfs',
      capacity: f.limitBytes,
      usage: f.usageBytes,
      available: f.availableBytes,
      has_inodes: true,
      inodes: f.inodes,
      inodes_free: f.inodesFree,
    }));
  }
  if (s.layerBytes !== undefined) {
    // The writable layer, as `/` like the summary API's rootfs (no capacity: it is a directory).
    out.filesystem = [{ device: '/', type: 'vfs', usage: s.layerBytes, base_usage: s.layerBytes }];
  }
  return out;
}

/**
 * v1 ContainerInfo: reference, direct subcontainers, spec and the last `numStats` samples
 * (all when `numStats` < 0), optionally only samples in [startMs, endMs].
 */
export function containerInfoOf(
  c: TrackedContainer,
  children: readonly TrackedContainer[],
  numStats: number,
  startMs?: number,
  endMs?: number,
): ContainerInfo {
  let samples = c.samples;
  if (startMs !== undefined || endMs !== undefined) {
    samples = samples.filter(
      (s) =>
        (startMs === undefined || s.timeMs >= startMs) &&
        (endMs === undefined || s.timeMs <= endMs),
    );
  }
  if (numStats >= 0 && samples.length > numStats)
    samples = samples.slice(samples.length - numStats);
  const info: ContainerInfo = { name: c.name, spec: specOf(c), stats: samples.map(statsOf) };
  if (c.id !== undefined) info.id = c.id;
  if (c.aliases.length > 0) info.aliases = c.aliases;
  if (c.namespace !== '') info.namespace = c.namespace;
  if (children.length > 0) {
    info.subcontainers = children.map((k) => {
      const ref: { name: string; aliases?: string[]; namespace?: string } = { name: k.name };
      if (k.aliases.length > 0) ref.aliases = k.aliases;
      if (k.namespace !== '') ref.namespace = k.namespace;
      return ref;
    });
  }
  return info;
}

/** v2 ContainerSpec. */
export function specV2Of(c: TrackedContainer): ContainerSpecV2 {
  const v1 = specOf(c);
  const out: ContainerSpecV2 = {
    creation_time: v1.creation_time,
    has_cpu: v1.has_cpu,
    has_memory: v1.has_memory,
    has_hugetlb: false,
    has_custom_metrics: false,
    has_processes: false,
    has_network: v1.has_network,
    has_filesystem: v1.has_filesystem,
    has_diskio: false,
  };
  if (c.aliases.length > 0) out.aliases = c.aliases;
  if (c.namespace !== '') out.namespace = c.namespace;
  if (v1.labels) out.labels = v1.labels;
  if (v1.cpu) out.cpu = v1.cpu;
  if (v1.memory) out.memory = v1.memory;
  if (v1.image) out.image = v1.image;
  return out;
}

/** The last `count` samples as v2 ContainerStats, with `cpu_inst` from consecutive samples. */
export function statsV2Of(c: TrackedContainer, count: number): ContainerStatsV2[] {
  const all = c.samples;
  const from = Math.max(0, all.length - count);
  const out: ContainerStatsV2[] = [];
  for (let i = from; i < all.length; i++) {
    const s = all[i];
    const v1 = statsOf(s);
    const v2: ContainerStatsV2 = { timestamp: v1.timestamp };
    if (v1.cpu) {
      v2.cpu = v1.cpu;
      const rate = i > 0 ? nanocores(all[i - 1], s) : undefined;
      if (rate !== undefined) v2.cpu_inst = { usage: { total: rate, user: 0, system: 0 } };
    }
    if (v1.memory) v2.memory = v1.memory;
    if (v1.network) v2.network = { interfaces: v1.network.interfaces };
    if (s.filesystems && s.filesystems.length > 0) {
      v2.filesystem = { totalUsageBytes: s.filesystems.reduce((a, f) => a + f.usageBytes, 0) };
    } else if (s.layerBytes !== undefined) {
      v2.filesystem = { totalUsageBytes: s.layerBytes, baseUsageBytes: s.layerBytes };
    }
    out.push(v2);
  }
  return out;
}

/** CPU rate between two samples, nanocores (ns of CPU per s); undefined when not computable. */
function nanocores(a: Sample, b: Sample): number | undefined {
  if (a.cpuNanos === undefined || b.cpuNanos === undefined) return undefined;
  const dtMs = b.timeMs - a.timeMs;
  const d = b.cpuNanos - a.cpuNanos;
  if (dtMs <= 0 || d < 0) return undefined;
  return Math.round((d * 1000) / dtMs);
}

function percentiles(values: number[]): Percentiles {
  if (values.length === 0)
    return { present: false, mean: 0, max: 0, fifty: 0, ninety: 0, ninetyfive: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  const sum = sorted.reduce((a, v) => a + v, 0);
  return {
    present: true,
    mean: Math.round(sum / sorted.length),
    max: sorted[sorted.length - 1],
    fifty: at(0.5),
    ninety: at(0.9),
    ninetyfive: at(0.95),
  };
}

function usageOver(samples: readonly Sample[], periodMs: number, nowMs: number): UsageV2 {
  const cpu: number[] = [];
  const mem: number[] = [];
  let firstMs = nowMs;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    if (s.timeMs < nowMs - periodMs) continue;
    firstMs = Math.min(firstMs, s.timeMs);
    if (s.memory) mem.push(s.memory.usage);
    const r = i > 0 ? nanocores(samples[i - 1], s) : undefined;
    if (r !== undefined) cpu.push(Math.round(r / 1e6));
  }
  const covered = Math.min(1, (nowMs - firstMs) / periodMs);
  return {
    percent_complete: Math.round(covered * 100),
    cpu: percentiles(cpu),
    memory: percentiles(mem),
  };
}

/**
 * v2 DerivedStats: latest cpu rate (millicores) and memory usage, and percentiles over the
 * last minute, hour and day of the history kept (percent_complete says how much of each
 * period the history covers).
 */
export function derivedOf(c: TrackedContainer): DerivedStats {
  const s = c.samples;
  const last = s[s.length - 1];
  const nowMs = last?.timeMs ?? Date.now();
  const rate = s.length > 1 ? nanocores(s[s.length - 2], last) : undefined;
  return {
    timestamp: iso(nowMs),
    latest_usage: {
      cpu: rate === undefined ? 0 : Math.round(rate / 1e6),
      memory: last?.memory?.usage ?? 0,
    },
    minute_usage: usageOver(s, 60_000, nowMs),
    hour_usage: usageOver(s, 3_600_000, nowMs),
    day_usage: usageOver(s, 86_400_000, nowMs),
  };
}
