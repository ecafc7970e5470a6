// Kubelet Summary API (`/stats/summary`, §8.1) → metric sets, with Heapster's mapping.
import type { Batch, LabeledValue, Labels, MetricSet } from '../../core/batch.js';
import { newMetricSet } from '../../core/batch.js';
import { nodeKey, podContainerKey, podKey, sysContainerKey } from '../../core/keys.js';
import {
  LABEL_ACCELERATOR_ID,
  LABEL_ACCELERATOR_MAKE,
  LABEL_ACCELERATOR_MODEL,
  LABEL_CONTAINER_NAME,
  LABEL_NAMESPACE_NAME,
  LABEL_POD_ID,
  LABEL_POD_NAME,
  LABEL_RESOURCE_ID,
} from '../../core/labels.js';
import { CUSTOM_METRIC_PREFIX } from '../../core/metrics.js';
import type { NodeIdentity } from './node-identity.js';
import { nodeLabels } from './node-identity.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the summary is untyped JSON checked field by field */
type J = any;

/** System container names as the original summary source renamed them (§3.1). */
const SYS_NAMES: Readonly<Record<string, string>> = { runtime: 'docker-daemon', misc: 'system' };

/** Thrown when a summary is not the expected JSON object. */
export class SummaryFormatError extends Error {
  override readonly name = 'SummaryFormatError';
}

// uint64 "unknown" sentinels (e.g. inodesFree = 2^64-1) are not values.
const MAX_VALUE = 2 ** 63;

function num(v: J): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < MAX_VALUE ? v : undefined;
}

// Times repeat within a summary (one scrape time for most stats): parse each text once.
let lastTimeText = '';
let lastTimeMs: number | undefined;

function time(v: J): number | undefined {
  if (typeof v !== 'string') return undefined;
  if (v === lastTimeText) return lastTimeMs;
  const t = parseTime(v);
  lastTimeText = v;
  lastTimeMs = Number.isNaN(t) ? undefined : t;
  return lastTimeMs;
}

/** The value of the ASCII digit at `i` of `s`, or NaN. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}

/**
 * `Date.parse(s)`, with a fast path for the UTC form kubelets write
 * (`2026-12-07T17:06:49Z`, `...:49.123456789Z`; fractions truncated to ms, as Date.parse
 * does): start times differ per container, so most texts are new to the cache above.
 */
export function parseTime(s: string): number {
  const n = s.length;
  if (
    n < 20 ||
    s.charCodeAt(n - 1) !== 90 || // Z
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 || // T
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  ) {
    return Date.parse(s);
  }
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const month = digit(s, 5) * 10 + digit(s, 6);
  const day = digit(s, 8) * 10 + digit(s, 9);
  const hour = digit(s, 11) * 10 + digit(s, 12);
  const minute = digit(s, 14) * 10 + digit(s, 15);
  const second = digit(s, 17) * 10 + digit(s, 18);
  let ms = 0;
  if (n > 20) {
    // A fraction: '.' and 1-9 digits before the Z.
    if (s.charCodeAt(19) !== 46 || n < 22 || n > 30) return Date.parse(s);
    for (let i = 20, scale = 100; i < n - 1; i++, scale /= 10) {
      const d = digit(s, i);
      if (Number.isNaN(d)) return Date.parse(s);
      if (scale >= 1) ms += d * scale;
    }
  } else if (s.charCodeAt(19) !== 90) return Date.parse(s);
  // Anything unusual (a day past the 28th, a leap second, non-digits) goes to Date.parse.
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 28 && hour <= 23 && minute <= 59)) {
    return Date.parse(s);
  }
  if (!(second <= 59) || !(year >= 1970)) return Date.parse(s);
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

function put(set: MetricSet, name: string, v: J): void {
  const x = num(v);
  if (x !== undefined) set.values.set(name, Math.round(x));
}

function putLabeled(set: MetricSet, name: string, labels: Labels, v: J): void {
  const x = num(v);
  if (x !== undefined) set.labeled.push({ name, labels, value: Math.round(x) } as LabeledValue);
}

function scrapeTime(s: J, fallbackMs: number): number {
  return time(s?.cpu?.time) ?? time(s?.memory?.time) ?? time(s?.network?.time) ?? fallbackMs;
}

function cpuMemory(set: MetricSet, s: J): void {
  put(set, 'cpu/usage', s?.cpu?.usageCoreNanoSeconds);
  const m = s?.memory;
  if (m) {
    put(set, 'memory/usage', m.usageBytes);
    put(set, 'memory/working_set', m.workingSetBytes);
    put(set, 'memory/rss', m.rssBytes);
    put(set, 'memory/page_faults', m.pageFaults);
    put(set, 'memory/major_page_faults', m.majorPageFaults);
  }
}

function network(set: MetricSet, n: J): void {
  if (!n) return;
  put(set, 'network/rx', n.rxBytes);
  put(set, 'network/rx_errors', n.rxErrors);
  put(set, 'network/tx', n.txBytes);
  put(set, 'network/tx_errors', n.txErrors);
}

// Shared by every container's rootfs and logs values (labeled labels are never mutated).
const ROOT_LABELS: Labels = Object.freeze({ [LABEL_RESOURCE_ID]: '/' });
const LOGS_LABELS: Labels = Object.freeze({ [LABEL_RESOURCE_ID]: 'logs' });

function fs(set: MetricSet, f: J, resourceId: string): void {
  if (!f) return;
  const labels =
    resourceId === '/'
      ? ROOT_LABELS
      : resourceId === 'logs'
        ? LOGS_LABELS
        : { [LABEL_RESOURCE_ID]: resourceId };
  putLabeled(set, 'filesystem/usage', labels, f.usedBytes);
  putLabeled(set, 'filesystem/limit', labels, f.capacityBytes);
  putLabeled(set, 'filesystem/available', labels, f.availableBytes);
  putLabeled(set, 'filesystem/inodes', labels, f.inodes);
  putLabeled(set, 'filesystem/inodes_free', labels, f.inodesFree);
}

function uptime(set: MetricSet, startMs: number | undefined): void {
  if (startMs !== undefined && set.scrapeTimeMs >= startMs) {
    set.values.set('uptime', set.scrapeTimeMs - startMs);
  }
}

function containerSet(
  c: J,
  type: 'sys_container' | 'pod_container',
  labels: Labels,
  fallbackMs: number,
): MetricSet {
  const start = time(c.startTime);
  const set = newMetricSet(type, labels, {
    scrapeTimeMs: scrapeTime(c, fallbackMs),
    collectionStartMs: start ?? 0,
  });
  uptime(set, start);
  cpuMemory(set, c);
  if (type === 'pod_container') {
    fs(set, c.rootfs, '/');
    fs(set, c.logs, 'logs');
    const root = num(c.rootfs?.usedBytes);
    const logs = num(c.logs?.usedBytes);
    if (root !== undefined || logs !== undefined) {
      set.values.set('ephemeral_storage/usage', Math.round((root ?? 0) + (logs ?? 0)));
    }
    for (const a of Array.isArray(c.accelerators) ? c.accelerators : []) {
      const al = {
        [LABEL_ACCELERATOR_MAKE]: String(a?.make ?? ''),
        [LABEL_ACCELERATOR_MODEL]: String(a?.model ?? ''),
        [LABEL_ACCELERATOR_ID]: String(a?.id ?? ''),
      };
      putLabeled(set, 'accelerator/memory_total', al, a?.memoryTotal);
      putLabeled(set, 'accelerator/memory_used', al, a?.memoryUsed);
      putLabeled(set, 'accelerator/duty_cycle', al, a?.dutyCycle);
    }
    for (const u of Array.isArray(c.userDefinedMetrics) ? c.userDefinedMetrics : []) {
      if (typeof u?.name === 'string' && typeof u.value === 'number' && Number.isFinite(u.value)) {
        set.values.set(CUSTOM_METRIC_PREFIX + u.name, u.value);
      }
    }
  }
  return set;
}

/**
 * Converts one kubelet summary (parsed JSON) into metric sets added to `into`: the node,
 * its system containers (`runtime`→`docker-daemon`, `misc`→`system`), pods (with volumes as
 * `filesystem/*{resource_id="Volume:<name>"}`) and pod containers (rootfs `/`, logs `logs`);
 * of two containers with the same name in a pod the newest (by startTime) wins. Missing
 * fields are skipped; `nowMs` is the scrape time when the summary carries none. Throws
 * SummaryFormatError when the document has no `node` object.
 */
export function summaryToSets(summary: J, id: NodeIdentity, nowMs: number, into: Batch): void {
  if (summary === null || typeof summary !== 'object' || typeof summary.node !== 'object') {
    throw new SummaryFormatError('the summary has no "node" object');
  }
  const common = nodeLabels(id);
  const node = summary.node;
  const nodeStart = time(node.startTime);
  const ns = newMetricSet('node', common, {
    scrapeTimeMs: scrapeTime(node, nowMs),
    collectionStartMs: nodeStart ?? 0,
  });
  uptime(ns, nodeStart);
  cpuMemory(ns, node);
  network(ns, node.network);
  fs(ns, node.fs, '/');
  put(ns, 'ephemeral_storage/usage', node.fs?.usedBytes);
  into.sets.set(nodeKey(id.nodeName), ns);

  for (const c of Array.isArray(node.systemContainers) ? node.systemContainers : []) {
    if (typeof c?.name !== 'string') continue;
    const name = SYS_NAMES[c.name] ?? c.name;
    const set = containerSet(
      c,
      'sys_container',
      { ...common, [LABEL_CONTAINER_NAME]: name },
      nowMs,
    );
    into.sets.set(sysContainerKey(id.nodeName, name), set);
  }

  for (const p of Array.isArray(summary.pods) ? summary.pods : []) {
    const ref = p?.podRef;
    if (typeof ref?.name !== 'string' || typeof ref?.namespace !== 'string') continue;
    const podLabels: Labels = {
      ...common,
      [LABEL_POD_NAME]: ref.name,
      [LABEL_NAMESPACE_NAME]: ref.namespace,
    };
    if (typeof ref.uid === 'string' && ref.uid !== '') podLabels[LABEL_POD_ID] = ref.uid;
    const podStart = time(p.startTime);
    const pod = newMetricSet('pod', podLabels, {
      scrapeTimeMs: scrapeTime(p, nowMs),
      collectionStartMs: podStart ?? 0,
    });
    uptime(pod, podStart);
    cpuMemory(pod, p);
    network(pod, p.network);
    for (const v of Array.isArray(p.volume) ? p.volume : []) {
      if (typeof v?.name === 'string') fs(pod, v, `Volume:${v.name}`);
    }
    put(pod, 'ephemeral_storage/usage', p['ephemeral-storage']?.usedBytes);
    into.sets.set(podKey(ref.namespace, ref.name), pod);

    const newest = new Map<string, J>();
    for (const c of Array.isArray(p.containers) ? p.containers : []) {
      if (typeof c?.name !== 'string') continue;
      const prev = newest.get(c.name);
      if (prev === undefined || (time(c.startTime) ?? 0) > (time(prev.startTime) ?? 0)) {
        newest.set(c.name, c);
      }
    }
    for (const [name, c] of newest) {
      const set = containerSet(
        c,
        'pod_container',
        { ...podLabels, [LABEL_CONTAINER_NAME]: name },
        nowMs,
      );
      into.sets.set(podContainerKey(ref.namespace, ref.name, name), set);
    }
  }
}
