// Pure translation of a batch into the Stackdriver (Cloud Monitoring) system metrics of
// Kubernetes, as the original `stackdriver` sink mapped them (§4.3): the new resource model
// (k8s_container / k8s_pod / k8s_node, kubernetes.io/...) and the old one (gke_container,
// container.googleapis.com/container/...).
import type { Batch, Labels, MetricSet } from '../../core/batch.js';
import type { TimeSeries } from './monitoring-api.js';
import { protoTimestamp } from './google-options.js';
import type { SeriesItem } from './series-chunks.js';

/** Where the cluster is, for the resource labels. */
export interface StackdriverResourceOptions {
  /** '' when resolved later (the sink fills `project_id` in before sending). */
  readonly project: string;
  readonly clusterName: string;
  /** `location` of the new resources (cluster zone or region). */
  readonly clusterLocation: string;
  /** `zone` of the old gke_container resource. */
  readonly zone: string;
  readonly useOldResources: boolean;
  readonly useNewResources: boolean;
}

type Kind = 'GAUGE' | 'CUMULATIVE';
type ValueType = 'INT64' | 'DOUBLE';

/** How one Heapster metric becomes one Stackdriver series. */
interface Rule {
  readonly type: string;
  readonly kind: Kind;
  readonly valueType: ValueType;
  /** Multiplies the value (ms → s: 1e-3; ns → s: 1e-9; millicores → cores: 1e-3). */
  readonly scale?: number;
  /** Metric labels from the set's labels (and, for labeled metrics, the value's labels). */
  readonly labels?: (set: Labels, value: Labels) => Record<string, string>;
  /** Start of a cumulative interval: collection start (default) or entity create time. */
  readonly start?: 'create';
}

const K8S = 'kubernetes.io';
const GKE = 'container.googleapis.com/container';

const g = (type: string, valueType: ValueType, extra: Partial<Rule> = {}): Rule => ({
  type,
  kind: 'GAUGE',
  valueType,
  ...extra,
});
const c = (type: string, valueType: ValueType, extra: Partial<Rule> = {}): Rule => ({
  type,
  kind: 'CUMULATIVE',
  valueType,
  ...extra,
});
const fixed = (labels: Record<string, string>) => (): Record<string, string> => ({ ...labels });
const evictable = fixed({ memory_type: 'evictable' });
const nonEvictable = fixed({ memory_type: 'non-evictable' });
const gpu = fixed({ resource_name: 'nvidia.com/gpu' });
const accel = (_s: Labels, v: Labels): Record<string, string> => ({
  make: v.make ?? '',
  model: v.model ?? '',
  accelerator_id: v.accelerator_id ?? '',
});
const component =
  (extra: Record<string, string> = {}) =>
  (s: Labels): Record<string, string> => ({ component: s.container_name ?? '', ...extra });
const volume = (_s: Labels, v: Labels): Record<string, string> => ({
  volume_name: (v.resource_id ?? '').replace(/^Volume:/, ''),
});
const device = (_s: Labels, v: Labels): Record<string, string> => ({
  device_name: v.resource_id ?? '',
});

/** Derived values: `memory/bytes_used` = usage − working set, `memory/minor_page_faults` = all − major. */
const BYTES_USED = 'memory/bytes_used';
const MINOR_FAULTS = 'memory/minor_page_faults';

/** New resource model: entity type → Heapster metric → rule. */
const NEW_RULES: Readonly<Record<string, ReadonlyMap<string, Rule>>> = {
  pod_container: new Map<string, Rule>([
    ['uptime', g(`${K8S}/container/uptime`, 'DOUBLE', { scale: 1e-3 })],
    ['cpu/limit', g(`${K8S}/container/cpu/limit_cores`, 'DOUBLE', { scale: 1e-3 })],
    ['cpu/request', g(`${K8S}/container/cpu/request_cores`, 'DOUBLE', { scale: 1e-3 })],
    ['cpu/usage', c(`${K8S}/container/cpu/core_usage_time`, 'DOUBLE', { scale: 1e-9 })],
    ['memory/limit', g(`${K8S}/container/memory/limit_bytes`, 'INT64')],
    ['memory/request', g(`${K8S}/container/memory/request_bytes`, 'INT64')],
    [BYTES_USED, g(`${K8S}/container/memory/used_bytes`, 'INT64', { labels: evictable })],
    [
      'memory/working_set',
      g(`${K8S}/container/memory/used_bytes`, 'INT64', { labels: nonEvictable }),
    ],
    ['nvidia.com/gpu/request', g(`${K8S}/container/accelerator/request`, 'INT64', { labels: gpu })],
    ['ephemeral_storage/limit', g(`${K8S}/container/ephemeral_storage/limit_bytes`, 'INT64')],
    ['ephemeral_storage/request', g(`${K8S}/container/ephemeral_storage/request_bytes`, 'INT64')],
    ['ephemeral_storage/usage', g(`${K8S}/container/ephemeral_storage/used_bytes`, 'INT64')],
    ['restart_count', c(`${K8S}/container/restart_count`, 'INT64', { start: 'create' })],
    [
      'accelerator/memory_total',
      g(`${K8S}/container/accelerator/memory_total`, 'INT64', { labels: accel }),
    ],
    [
      'accelerator/memory_used',
      g(`${K8S}/container/accelerator/memory_used`, 'INT64', { labels: accel }),
    ],
    [
      'accelerator/duty_cycle',
      g(`${K8S}/container/accelerator/duty_cycle`, 'INT64', { labels: accel }),
    ],
  ]),
  pod: new Map<string, Rule>([
    ['network/rx', c(`${K8S}/pod/network/received_bytes_count`, 'INT64')],
    ['network/tx', c(`${K8S}/pod/network/sent_bytes_count`, 'INT64')],
    ['filesystem/usage', g(`${K8S}/pod/volume/used_bytes`, 'INT64', { labels: volume })],
    ['filesystem/limit', g(`${K8S}/pod/volume/total_bytes`, 'INT64', { labels: volume })],
  ]),
  node: new Map<string, Rule>([
    ['cpu/node_capacity', g(`${K8S}/node/cpu/total_cores`, 'DOUBLE', { scale: 1e-3 })],
    ['cpu/node_allocatable', g(`${K8S}/node/cpu/allocatable_cores`, 'DOUBLE', { scale: 1e-3 })],
    ['cpu/usage', c(`${K8S}/node/cpu/core_usage_time`, 'DOUBLE', { scale: 1e-9 })],
    ['memory/node_capacity', g(`${K8S}/node/memory/total_bytes`, 'INT64')],
    ['memory/node_allocatable', g(`${K8S}/node/memory/allocatable_bytes`, 'INT64')],
    [BYTES_USED, g(`${K8S}/node/memory/used_bytes`, 'INT64', { labels: evictable })],
    ['memory/working_set', g(`${K8S}/node/memory/used_bytes`, 'INT64', { labels: nonEvictable })],
    ['network/rx', c(`${K8S}/node/network/received_bytes_count`, 'INT64')],
    ['network/tx', c(`${K8S}/node/network/sent_bytes_count`, 'INT64')],
    ['ephemeral_storage/node_capacity', g(`${K8S}/node/ephemeral_storage/total_bytes`, 'INT64')],
    [
      'ephemeral_storage/node_allocatable',
      g(`${K8S}/node/ephemeral_storage/allocatable_bytes`, 'INT64'),
    ],
    ['ephemeral_storage/usage', g(`${K8S}/node/ephemeral_storage/used_bytes`, 'INT64')],
  ]),
  sys_container: new Map<string, Rule>([
    [
      BYTES_USED,
      g(`${K8S}/node_daemon/memory/used_bytes`, 'INT64', {
        labels: component({ memory_type: 'evictable' }),
      }),
    ],
    [
      'memory/working_set',
      g(`${K8S}/node_daemon/memory/used_bytes`, 'INT64', {
        labels: component({ memory_type: 'non-evictable' }),
      }),
    ],
    [
      'cpu/usage',
      c(`${K8S}/node_daemon/cpu/core_usage_time`, 'DOUBLE', { scale: 1e-9, labels: component() }),
    ],
  ]),
};

/** Old resource model (gke_container), the same for nodes, system containers, pods and containers. */
const OLD_RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['uptime', c(`${GKE}/uptime`, 'DOUBLE', { scale: 1e-3 })],
  ['cpu/limit', g(`${GKE}/cpu/reserved_cores`, 'DOUBLE', { scale: 1e-3 })],
  ['cpu/usage', c(`${GKE}/cpu/usage_time`, 'DOUBLE', { scale: 1e-9 })],
  ['network/rx', c(`${GKE}/network/received_bytes_count`, 'INT64')],
  ['network/tx', c(`${GKE}/network/sent_bytes_count`, 'INT64')],
  ['memory/limit', g(`${GKE}/memory/bytes_total`, 'INT64')],
  ['memory/node_allocatable', g(`${GKE}/memory/bytes_total`, 'INT64')],
  [
    'memory/major_page_faults',
    c(`${GKE}/memory/page_fault_count`, 'INT64', { labels: fixed({ fault_type: 'major' }) }),
  ],
  [
    MINOR_FAULTS,
    c(`${GKE}/memory/page_fault_count`, 'INT64', { labels: fixed({ fault_type: 'minor' }) }),
  ],
  [BYTES_USED, g(`${GKE}/memory/bytes_used`, 'INT64', { labels: evictable })],
  ['memory/working_set', g(`${GKE}/memory/bytes_used`, 'INT64', { labels: nonEvictable })],
  ['nvidia.com/gpu/request', g(`${GKE}/accelerator/request`, 'INT64', { labels: gpu })],
  ['filesystem/usage', g(`${GKE}/disk/bytes_used`, 'INT64', { labels: device })],
  ['filesystem/limit', g(`${GKE}/disk/bytes_total`, 'INT64', { labels: device })],
  ['accelerator/memory_total', g(`${GKE}/accelerator/memory_total`, 'INT64', { labels: accel })],
  ['accelerator/memory_used', g(`${GKE}/accelerator/memory_used`, 'INT64', { labels: accel })],
  ['accelerator/duty_cycle', g(`${GKE}/accelerator/duty_cycle`, 'INT64', { labels: accel })],
]);

/** Every metric type the translation can produce (for documentation and tests). */
export const STACKDRIVER_METRIC_TYPES: readonly string[] = [
  ...new Set([
    ...Object.values(NEW_RULES).flatMap((m) => [...m.values()].map((r) => r.type)),
    ...[...OLD_RULES.values()].map((r) => r.type),
  ]),
].sort();

const RESOURCE_OF_TYPE: Readonly<Record<string, string>> = {
  pod_container: 'k8s_container',
  pod: 'k8s_pod',
  node: 'k8s_node',
  sys_container: 'k8s_node',
};

function newResource(
  o: StackdriverResourceOptions,
  set: Labels,
): { type: string; labels: Record<string, string> } | undefined {
  const type = set.type;
  const base = { project_id: o.project, location: o.clusterLocation, cluster_name: o.clusterName };
  switch (type) {
    case 'pod_container':
      return {
        type: RESOURCE_OF_TYPE[type],
        labels: {
          ...base,
          namespace_name: set.namespace_name ?? '',
          pod_name: set.pod_name ?? '',
          container_name: set.container_name ?? '',
        },
      };
    case 'pod':
      return {
        type: RESOURCE_OF_TYPE[type],
        labels: { ...base, namespace_name: set.namespace_name ?? '', pod_name: set.pod_name ?? '' },
      };
    case 'node':
    case 'sys_container':
      return { type: 'k8s_node', labels: { ...base, node_name: set.nodename ?? '' } };
    default:
      return undefined;
  }
}

function oldResource(
  o: StackdriverResourceOptions,
  set: Labels,
): { type: string; labels: Record<string, string> } {
  return {
    type: 'gke_container',
    labels: {
      project_id: o.project,
      cluster_name: o.clusterName,
      zone: o.zone,
      instance_id: set.host_id ?? '',
      namespace_id: set.namespace_id ?? '',
      pod_id: set.pod_id ?? '',
      // The old model's hack: a node is the container "machine", a pod has no container name.
      container_name: set.type === 'node' ? 'machine' : (set.container_name ?? ''),
    },
  };
}

/** Values a set has plus the two derived ones the original computed. */
function withDerived(set: MetricSet): [string, number, boolean][] {
  const out: [string, number, boolean][] = [];
  for (const [k, v] of set.values) out.push([k, v, true]);
  const usage = set.values.get('memory/usage');
  const ws = set.values.get('memory/working_set');
  if (usage !== undefined && ws !== undefined) out.push([BYTES_USED, usage - ws, false]);
  const faults = set.values.get('memory/page_faults');
  const major = set.values.get('memory/major_page_faults');
  if (faults !== undefined && major !== undefined) out.push([MINOR_FAULTS, faults - major, false]);
  return out;
}

/**
 * Every Stackdriver series of `batch`: for node, system-container, pod and container sets with
 * a collection start before the batch time (others are left out, as in the original), each
 * value the chosen resource model(s) map, one point, end time = batch timestamp. Gauges
 * carry only the end time; cumulative series start at the collection start (restart_count:
 * the container's create time, left out when unknown). The first series of each value is
 * `counted` (see seriesChunks).
 */
export function* stackdriverSeries(
  batch: Batch,
  o: StackdriverResourceOptions,
): Generator<SeriesItem> {
  const endMs = batch.timestampMs;
  const endTime = protoTimestamp(endMs);
  for (const set of batch.sets.values()) {
    const type = set.labels.type;
    if (RESOURCE_OF_TYPE[type] === undefined) continue;
    const startMs = set.collectionStartMs;
    if (!(startMs > 0 && startMs < endMs)) continue;
    const newRules = o.useNewResources ? NEW_RULES[type] : undefined;
    const oldRules = o.useOldResources ? OLD_RULES : undefined;
    const newRes = newRules ? newResource(o, set.labels) : undefined;
    const oldRes = oldRules ? oldResource(o, set.labels) : undefined;
    const make = (
      rule: Rule,
      resource: { type: string; labels: Record<string, string> },
      value: number,
      valueLabels: Labels,
    ): TimeSeries | undefined => {
      let interval: { startTime?: typeof endTime; endTime: typeof endTime } = { endTime };
      if (rule.kind === 'CUMULATIVE') {
        const s = rule.start === 'create' ? set.createMs : startMs;
        if (!(s > 0 && s < endMs)) return undefined;
        interval = { startTime: protoTimestamp(s), endTime };
      }
      const v = value * (rule.scale ?? 1);
      if (!Number.isFinite(v)) return undefined;
      return {
        metric: { type: rule.type, labels: rule.labels?.(set.labels, valueLabels) ?? {} },
        resource,
        metricKind: rule.kind,
        valueType: rule.valueType,
        points: [
          {
            interval,
            value: rule.valueType === 'INT64' ? { int64Value: Math.round(v) } : { doubleValue: v },
          },
        ],
      };
    };
    const emit = function* (
      name: string,
      value: number,
      valueLabels: Labels,
      countable: boolean,
      labeled: boolean,
    ): Generator<SeriesItem> {
      let counted = !countable;
      const pairs: [Rule | undefined, typeof newRes][] = [
        // The old model ignores memory/limit of nodes (it uses memory/node_allocatable).
        [name === 'memory/limit' && type === 'node' ? undefined : oldRules?.get(name), oldRes],
        [newRules?.get(name), newRes],
      ];
      for (const [rule, res] of pairs) {
        if (!rule || !res) continue;
        // Labeled metrics in the new model exist only for pods (volumes) and containers.
        if (labeled && res === newRes && type !== 'pod' && type !== 'pod_container') continue;
        const ts = make(rule, res, value, valueLabels);
        if (!ts) continue;
        yield { series: ts, counted: !counted };
        counted = true;
      }
    };
    for (const [name, value, countable] of withDerived(set)) {
      yield* emit(name, value, {}, countable, false);
    }
    for (const lv of set.labeled) yield* emit(lv.name, lv.value, lv.labels, true, true);
  }
}
