// Kubelet `/metrics/resource` (Prometheus text; what metrics-server reads) → metric sets:
// CPU and working-set memory of the node, pods and containers.
import type { Batch, Labels, MetricSet } from '../../core/batch.js';
import { newMetricSet } from '../../core/batch.js';
import { nodeKey, podContainerKey, podKey } from '../../core/keys.js';
import { LABEL_CONTAINER_NAME, LABEL_NAMESPACE_NAME, LABEL_POD_NAME } from '../../core/labels.js';
import type { NodeIdentity } from './node-identity.js';
import { nodeLabels } from './node-identity.js';
import { parsePromText } from './prometheus-text.js';

type Level = 'node' | 'pod' | 'container';
const SERIES: Readonly<Record<string, { level: Level; metric: string; scale: number }>> = {
  node_cpu_usage_seconds_total: { level: 'node', metric: 'cpu/usage', scale: 1e9 },
  node_memory_working_set_bytes: { level: 'node', metric: 'memory/working_set', scale: 1 },
  pod_cpu_usage_seconds_total: { level: 'pod', metric: 'cpu/usage', scale: 1e9 },
  pod_memory_working_set_bytes: { level: 'pod', metric: 'memory/working_set', scale: 1 },
  container_cpu_usage_seconds_total: { level: 'container', metric: 'cpu/usage', scale: 1e9 },
  container_memory_working_set_bytes: {
    level: 'container',
    metric: 'memory/working_set',
    scale: 1,
  },
  container_start_time_seconds: { level: 'container', metric: '', scale: 1000 },
};
const WANTED: ReadonlySet<string> = new Set(Object.keys(SERIES));

/**
 * Converts one `/metrics/resource` text into node, pod and pod-container sets added to
 * `into`: `cpu/usage` (ns, from core-seconds) and `memory/working_set` (bytes); a container's
 * start time comes from `container_start_time_seconds` (restart detection), and the
 * samples' timestamps are the scrape times (else `nowMs`). Throws PromParseError on a
 * malformed line.
 */
export function resourceToSets(text: string, id: NodeIdentity, nowMs: number, into: Batch): void {
  const common = nodeLabels(id);
  const sets = new Map<string, MetricSet>();
  const get = (key: string, type: 'node' | 'pod' | 'pod_container', labels: Labels): MetricSet => {
    let set = sets.get(key);
    if (set === undefined) {
      set = newMetricSet(type, labels, { scrapeTimeMs: 0 });
      sets.set(key, set);
    }
    return set;
  };
  parsePromText(
    text,
    (s) => {
      const spec = SERIES[s.name];
      if (spec === undefined || !Number.isFinite(s.value)) return;
      let set: MetricSet;
      if (spec.level === 'node') {
        set = get(nodeKey(id.nodeName), 'node', common);
      } else {
        const ns = s.labels.namespace;
        const pod = s.labels.pod;
        if (!ns || !pod) return;
        const podLabels = { ...common, [LABEL_POD_NAME]: pod, [LABEL_NAMESPACE_NAME]: ns };
        if (spec.level === 'pod') {
          set = get(podKey(ns, pod), 'pod', podLabels);
        } else {
          const c = s.labels.container;
          if (!c) return;
          set = get(podContainerKey(ns, pod, c), 'pod_container', {
            ...podLabels,
            [LABEL_CONTAINER_NAME]: c,
          });
        }
      }
      if (spec.metric === '') {
        set.collectionStartMs = Math.round(s.value * spec.scale);
        set.createMs = set.collectionStartMs;
        return;
      }
      const ts = s.timestampMs ?? nowMs;
      if (ts > set.scrapeTimeMs) set.scrapeTimeMs = ts;
      set.values.set(spec.metric, Math.round(s.value * spec.scale));
    },
    WANTED,
  );
  for (const [key, set] of sets) {
    if (set.scrapeTimeMs === 0) set.scrapeTimeMs = nowMs;
    into.sets.set(key, set);
  }
}
