// Kubelet `/metrics/cadvisor` (Prometheus text) → metric sets with the same metrics the
// original `kubernetes` source read from the JSON `/stats/container` (§3.1, §8.2).
import type { Batch, Labels, MetricSet } from '../../core/batch.js';
import { newMetricSet } from '../../core/batch.js';
import { nodeKey, podContainerKey, podKey, sysContainerKey } from '../../core/keys.js';
import {
  LABEL_CONTAINER_BASE_IMAGE,
  LABEL_CONTAINER_NAME,
  LABEL_NAMESPACE_NAME,
  LABEL_POD_ID,
  LABEL_POD_NAME,
  LABEL_RESOURCE_ID,
  LABEL_SCHEDULABLE,
} from '../../core/labels.js';
import type { NodeIdentity } from './node-identity.js';
import { nodeLabels } from './node-identity.js';
import type { PromSample } from './prometheus-text.js';
import { parsePromText } from './prometheus-text.js';

/** How one cAdvisor series becomes a value: plain metric, summed over a label, or labeled by device. */
interface Rule {
  readonly metric: string;
  /** seconds → ns etc. */
  readonly scale: number;
  /** Sum samples of the same entity (network interfaces). */
  readonly sum?: boolean;
  /** Labeled metric keyed by this sample label (device). */
  readonly byDevice?: boolean;
  /** Only samples whose labels match. */
  readonly match?: Readonly<Record<string, string>>;
  /** Only for pod-level network from the sandbox. */
  readonly network?: boolean;
}

const RULES: Readonly<Record<string, readonly Rule[]>> = {
  container_cpu_usage_seconds_total: [{ metric: 'cpu/usage', scale: 1e9 }],
  container_cpu_load_average_10s: [{ metric: 'cpu/load', scale: 1000 }],
  container_memory_usage_bytes: [{ metric: 'memory/usage', scale: 1 }],
  container_memory_working_set_bytes: [{ metric: 'memory/working_set', scale: 1 }],
  container_memory_rss: [{ metric: 'memory/rss', scale: 1 }],
  container_memory_cache: [{ metric: 'memory/cache', scale: 1 }],
  container_memory_failures_total: [
    {
      metric: 'memory/page_faults',
      scale: 1,
      match: { failure_type: 'pgfault', scope: 'container' },
    },
    {
      metric: 'memory/major_page_faults',
      scale: 1,
      match: { failure_type: 'pgmajfault', scope: 'container' },
    },
  ],
  container_network_receive_bytes_total: [
    { metric: 'network/rx', scale: 1, sum: true, network: true },
  ],
  container_network_receive_errors_total: [
    { metric: 'network/rx_errors', scale: 1, sum: true, network: true },
  ],
  container_network_transmit_bytes_total: [
    { metric: 'network/tx', scale: 1, sum: true, network: true },
  ],
  container_network_transmit_errors_total: [
    { metric: 'network/tx_errors', scale: 1, sum: true, network: true },
  ],
  container_fs_reads_bytes_total: [{ metric: 'disk/io_read_bytes', scale: 1, byDevice: true }],
  container_fs_writes_bytes_total: [{ metric: 'disk/io_write_bytes', scale: 1, byDevice: true }],
  container_fs_usage_bytes: [{ metric: 'filesystem/usage', scale: 1, byDevice: true }],
  container_fs_limit_bytes: [{ metric: 'filesystem/limit', scale: 1, byDevice: true }],
  container_fs_inodes_total: [{ metric: 'filesystem/inodes', scale: 1, byDevice: true }],
  container_fs_inodes_free: [{ metric: 'filesystem/inodes_free', scale: 1, byDevice: true }],
};
const START = 'container_start_time_seconds';
const WANTED: ReadonlySet<string> = new Set([...Object.keys(RULES), START]);

/** Pod UID in a cgroup path: `/kubepods/burstable/pod<uid>` or `kubepods-burstable-pod<uid_with_underscores>.slice`. */
const POD_UID =
  /pod([0-9a-fA-F]{8}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{12})/;

interface Entity {
  readonly key: string;
  readonly set: MetricSet;
  /** The sandbox (pause) cgroup of a pod: only network counts from it. */
  readonly sandboxOnly: boolean;
}

/**
 * Converts one `/metrics/cadvisor` text into metric sets added to `into`: `id="/"` is the
 * node (labelled `schedulable` from `schedulable`), series with a pod and a container name are
 * pod containers (`container_base_image` from `image`), the pod cgroup (pod, no container,
 * no container id) is the pod, the sandbox (pod, no container name or `POD`, with a
 * container id) adds only the pod's network counters, and other cgroups outside
 * `/kubepods` are system containers named by their cgroup path. Counters in seconds
 * become ns; network counters are summed over interfaces; filesystem and disk I/O series
 * become labeled values per `device`. The scrape time is the samples' timestamp (else
 * `nowMs`), the start time `container_start_time_seconds`. Throws PromParseError on a
 * malformed line.
 */
export function cadvisorToSets(
  text: string,
  id: NodeIdentity,
  nowMs: number,
  into: Batch,
  schedulable?: boolean,
): void {
  const common = nodeLabels(id);
  const entities = new Map<string, MetricSet>();
  // Per cgroup id → entity, resolved once per id.
  const byId = new Map<string, Entity | null>();
  const devices = new Map<MetricSet, Map<string, LabeledValueRef>>();

  const entityOf = (s: PromSample): Entity | null => {
    const cg = s.labels.id ?? '';
    const cached = byId.get(cg);
    if (cached !== undefined) return cached;
    const e = classify(s.labels, cg);
    byId.set(cg, e);
    return e;
  };

  const classify = (l: Record<string, string>, cg: string): Entity | null => {
    const pod = l.pod ?? '';
    const ns = l.namespace ?? '';
    const container = l.container ?? '';
    if (cg === '/') {
      const labels: Labels = { ...common };
      if (schedulable !== undefined) labels[LABEL_SCHEDULABLE] = String(schedulable);
      return get(nodeKey(id.nodeName), 'node', labels, false);
    }
    if (pod !== '' && ns !== '') {
      const podLabels: Labels = { ...common, [LABEL_POD_NAME]: pod, [LABEL_NAMESPACE_NAME]: ns };
      const uid = POD_UID.exec(cg)?.[1]?.replace(/_/g, '-');
      if (uid) podLabels[LABEL_POD_ID] = uid;
      if (container !== '' && container !== 'POD') {
        const labels: Labels = { ...podLabels, [LABEL_CONTAINER_NAME]: container };
        if (l.image) labels[LABEL_CONTAINER_BASE_IMAGE] = l.image;
        return get(podContainerKey(ns, pod, container), 'pod_container', labels, false);
      }
      const sandbox = (l.name ?? '') !== '' || container === 'POD';
      return get(podKey(ns, pod), 'pod', podLabels, sandbox);
    }
    if (cg === '' || cg.startsWith('/kubepods')) return null;
    const name = cg.slice(1);
    return get(
      sysContainerKey(id.nodeName, name),
      'sys_container',
      {
        ...common,
        [LABEL_CONTAINER_NAME]: name,
      },
      false,
    );
  };

  const get = (
    key: string,
    type: 'node' | 'pod' | 'pod_container' | 'sys_container',
    labels: Labels,
    sandboxOnly: boolean,
  ): Entity => {
    let set = entities.get(key);
    if (set === undefined) {
      set = newMetricSet(type, labels, { scrapeTimeMs: 0 });
      entities.set(key, set);
    }
    return { key, set, sandboxOnly };
  };

  parsePromText(
    text,
    (s) => {
      if (!Number.isFinite(s.value)) return;
      const e = entityOf(s);
      if (e === null) return;
      const set = e.set;
      const ts = s.timestampMs ?? nowMs;
      if (s.name === START) {
        if (!e.sandboxOnly && s.value > 0) set.collectionStartMs = Math.round(s.value * 1000);
        return;
      }
      const rules = RULES[s.name];
      if (rules === undefined) return;
      for (const r of rules) {
        // The sandbox's cpu and memory are not the pod's; its network is.
        if (e.sandboxOnly && r.network !== true) continue;
        if (r.match && !Object.entries(r.match).every(([k, v]) => s.labels[k] === v)) continue;
        if (ts > set.scrapeTimeMs) set.scrapeTimeMs = ts;
        const v = Math.round(s.value * r.scale);
        if (r.byDevice) {
          const device = s.labels.device ?? '';
          let perSet = devices.get(set);
          if (perSet === undefined) devices.set(set, (perSet = new Map()));
          const k = r.metric + '\u0000' + device;
          const prev = perSet.get(k);
          if (prev) prev.value += v;
          else {
            const lv = { name: r.metric, labels: { [LABEL_RESOURCE_ID]: device }, value: v };
            perSet.set(k, lv);
            set.labeled.push(lv);
          }
        } else if (r.sum) {
          set.values.set(r.metric, (set.values.get(r.metric) ?? 0) + v);
        } else {
          set.values.set(r.metric, v);
        }
      }
    },
    WANTED,
  );

  for (const [key, set] of entities) {
    if (set.scrapeTimeMs === 0) set.scrapeTimeMs = nowMs;
    set.createMs = set.collectionStartMs;
    if (set.collectionStartMs > 0 && set.scrapeTimeMs >= set.collectionStartMs) {
      set.values.set('uptime', set.scrapeTimeMs - set.collectionStartMs);
    }
    into.sets.set(key, set);
  }
}

interface LabeledValueRef {
  value: number;
}
