import type { Batch, Labels, MetricSet } from '../core/batch.js';
import type { Processor } from '../core/contracts.js';
import { podContainerKey, podKey } from '../core/keys.js';
import {
  LABEL_CONTAINER_BASE_IMAGE,
  LABEL_CONTAINER_NAME,
  LABEL_HOST_ID,
  LABEL_HOSTNAME,
  LABEL_NAMESPACE_NAME,
  LABEL_NODENAME,
  LABEL_POD_ID,
  LABEL_POD_NAME,
  LABEL_TYPE,
} from '../core/labels.js';
import type {
  ClusterView,
  ContainerSpecInfo,
  PodInfo,
} from '../sources/kubernetes/cluster-view.js';
import { LabelCopier, setEntries } from './label-copier.js';
import type { LabelCopyOptions } from './label-copier.js';
import { SlotMap } from '../core/slot-map.js';

/** Resources with their own request/limit metrics; any other requested resource gives `<name>/request`. */
const CPU = 'cpu';
const MEMORY = 'memory';
const EPHEMERAL = 'ephemeral-storage';
/** Labels a stub takes from the first set of its pod. */
const NODE_LABELS = [LABEL_NODENAME, LABEL_HOSTNAME, LABEL_HOST_ID] as const;

/** Metric names and values to set on a container's set, in the order they are set. */
interface ValueList {
  readonly names: readonly string[];
  readonly values: readonly number[];
}

/**
 * Request/limit values by container spec. Specs are immutable and shared between the pods
 * of a workload (discovery interns them), so each is converted once, not once per tick.
 */
const specValues = new WeakMap<ContainerSpecInfo, ValueList>();

function valuesOf(c: ContainerSpecInfo): ValueList {
  let list = specValues.get(c);
  if (list === undefined) {
    const names = [
      'cpu/request',
      'cpu/limit',
      'memory/request',
      'memory/limit',
      'ephemeral_storage/request',
      'ephemeral_storage/limit',
    ];
    const values = [
      Math.round((c.requests[CPU] ?? 0) * 1000),
      Math.round((c.limits[CPU] ?? 0) * 1000),
      Math.round(c.requests[MEMORY] ?? 0),
      Math.round(c.limits[MEMORY] ?? 0),
      Math.round(c.requests[EPHEMERAL] ?? 0),
      Math.round(c.limits[EPHEMERAL] ?? 0),
    ];
    for (const name in c.requests) {
      if (name === CPU || name === MEMORY || name === EPHEMERAL) continue;
      names.push(`${name}/request`);
      values.push(Math.round(c.requests[name] as number));
    }
    list = { names, values };
    specValues.set(c, list);
  }
  return list;
}

/**
 * Sets the request/limit metrics of one container: `cpu/request|limit` in millicores,
 * `memory/*` and `ephemeral_storage/*` in bytes (0 when unset, as the original), and
 * `<resource>/request` for any other requested resource (e.g. `nvidia.com/gpu/request`).
 */
export function setRequestsAndLimits(set: MetricSet, c: ContainerSpecInfo): void {
  const { names, values } = valuesOf(c);
  const v = set.values;
  for (let i = 0; i < names.length; i++) v.set(names[i] as string, values[i] as number);
}

/** Options of the pod-based enricher. */
export interface PodEnricherOptions extends LabelCopyOptions {
  readonly cluster: ClusterView;
}

/** What the enricher needs of one spec container of a pod. */
interface ContainerPlan {
  readonly spec: ContainerSpecInfo;
  /** `podContainerKey` of the container. */
  readonly key: string;
  readonly restarts: number | undefined;
  /** Number of the last `process` call whose batch had a set at `key`. */
  present: number;
}

/**
 * What the enricher derives from one PodInfo, computed once per PodInfo object, plus the
 * state of the pod in the current `process` call (per-call marks instead of per-call Sets).
 */
interface PodPlan {
  readonly pod: PodInfo;
  /** `podKey` of the pod. */
  readonly key: string;
  /** Labels set on every set of the pod, flattened `name, value, ...`: `pod_id`, `labels`, stored labels. */
  readonly labels: readonly string[];
  /** One per spec container, in spec order. */
  readonly containers: readonly ContainerPlan[];
  /** Number of the last `process` call that met the pod. */
  met: number;
  /** Number of the last `process` call whose batch had a set at `key`. */
  present: number;
  /** In the current call: the first set of the pod met (node labels of the stubs). */
  like: MetricSet | undefined;
  /** In the current call: the namespace and name the pod was looked up by. */
  ns: string;
  name: string;
}

/**
 * `pod_based_enricher` (§6.2): for `pod` and `pod_container` sets whose pod the cluster view
 * knows, adds `pod_id`, `labels` (+ stored labels) and, for containers, requests/limits,
 * `container_base_image` (when missing) and `restart_count`; a pod's createMs becomes its
 * start time. Creates stub sets (labels and requests/limits, no usage) for spec containers
 * without metrics and for a pod missing while some of its containers are present, so every
 * pod and container of a scraped pod shows. Pods unknown to the view are left as they are.
 * Mutates and returns the batch; never throws on data.
 *
 * PodInfo records are immutable (discovery replaces them when a pod changes), so all that
 * derives from one (labels, keys, request/limit values, restart counts) is cached per
 * record in a WeakMap and a tick only copies it onto the sets.
 */
export function createPodEnricher(opts: PodEnricherOptions): Processor {
  const copier = new LabelCopier(opts);
  const cluster = opts.cluster;
  const plans = new WeakMap<PodInfo, PodPlan>();
  /** The pods met by the current call, in the order first met (reused across calls). */
  const met: PodPlan[] = [];
  let call = 0;
  // The sets of one pod are usually adjacent: the last lookup serves them all.
  let lastNs = '';
  let lastName = '';
  let lastPlan: PodPlan | undefined;

  function planOf(pod: PodInfo): PodPlan {
    let plan = plans.get(pod);
    if (plan === undefined) {
      const labels = pod.uid ? [LABEL_POD_ID, pod.uid] : [];
      labels.push(...copier.entries(pod.labels));
      plan = {
        pod,
        key: podKey(pod.namespace, pod.name),
        labels,
        containers: pod.containers.map((spec) => ({
          spec,
          key: podContainerKey(pod.namespace, pod.name, spec.name),
          restarts: pod.restartCounts.get(spec.name),
          present: 0,
        })),
        met: 0,
        present: 0,
        like: undefined,
        ns: '',
        name: '',
      };
      plans.set(pod, plan);
    }
    return plan;
  }

  function enrich(set: MetricSet, key: string): void {
    const labels = set.labels;
    const type = labels[LABEL_TYPE];
    if (type !== 'pod' && type !== 'pod_container') return;
    const ns = labels[LABEL_NAMESPACE_NAME];
    const name = labels[LABEL_POD_NAME];
    if (!ns || !name) return;
    if (ns !== lastNs || name !== lastName) {
      lastNs = ns;
      lastName = name;
      const pod = cluster.pod(ns, name);
      lastPlan = pod === undefined ? undefined : planOf(pod);
    }
    const plan = lastPlan;
    if (plan === undefined) return;
    const pod = plan.pod;
    setEntries(labels, plan.labels);
    if (type === 'pod') {
      if (pod.startMs !== undefined) set.createMs = pod.startMs;
      if (key === plan.key) plan.present = call;
    } else {
      const cname = labels[LABEL_CONTAINER_NAME] ?? '';
      const c = containerPlan(plan, cname);
      if (c !== undefined) {
        setRequestsAndLimits(set, c.spec);
        if (!labels[LABEL_CONTAINER_BASE_IMAGE] && c.spec.image) {
          labels[LABEL_CONTAINER_BASE_IMAGE] = c.spec.image;
        }
        if (key === c.key) c.present = call;
      }
      const restarts = c !== undefined ? c.restarts : pod.restartCounts.get(cname);
      if (restarts !== undefined) set.values.set('restart_count', restarts);
    }
    if (plan.met !== call) {
      plan.met = call;
      plan.like = set;
      plan.ns = ns;
      plan.name = name;
      met.push(plan);
    }
  }

  return {
    name: 'pod_based_enricher',
    process(batch: Batch): Batch {
      call++;
      met.length = 0;
      lastNs = lastName = '';
      lastPlan = undefined;
      // forEach hands over the key without allocating an entry per set.
      batch.sets.forEach(enrich);
      // Stubs: the pod set and every spec container, when the kubelet reported none. The
      // marks of the sets met spare most `has` lookups; the plan's keys are those of the
      // pod's own name, the same as the set's but for a view that answers with a pod of
      // another name (then the keys are built as the original did).
      let added: [string, MetricSet][] | undefined;
      for (const plan of met) {
        const { like, ns, name } = plan as { like: MetricSet; ns: string; name: string };
        // Hold nothing of this batch until the next call.
        plan.like = undefined;
        plan.ns = plan.name = '';
        const own = plan.pod.namespace === ns && plan.pod.name === name;
        const pk = own ? plan.key : podKey(ns, name);
        if (!(own && plan.present === call) && !batch.sets.has(pk)) {
          (added ??= []).push([pk, stub(batch, like, plan, 'pod')]);
        }
        for (const c of plan.containers) {
          if (own && c.present === call) continue;
          const ck = own ? c.key : podContainerKey(ns, name, c.spec.name);
          if (batch.sets.has(ck)) continue;
          (added ??= []).push([ck, stub(batch, like, plan, 'pod_container', c)]);
        }
      }
      met.length = 0;
      lastPlan = undefined;
      if (added !== undefined) {
        for (const [k, s] of added) if (!batch.sets.has(k)) batch.sets.set(k, s);
      }
      return batch;
    },
  };
}

/** The first spec container called `name` (as `pod.containers.find`); pods have few. */
function containerPlan(plan: PodPlan, name: string): ContainerPlan | undefined {
  for (const c of plan.containers) if (c.spec.name === name) return c;
  return undefined;
}

function stub(
  batch: Batch,
  like: MetricSet,
  plan: PodPlan,
  type: 'pod' | 'pod_container',
  container?: ContainerPlan,
): MetricSet {
  const pod = plan.pod;
  const labels: Labels = {
    [LABEL_TYPE]: type,
    [LABEL_POD_NAME]: pod.name,
    [LABEL_NAMESPACE_NAME]: pod.namespace,
  };
  for (const k of NODE_LABELS) {
    const v = like.labels[k];
    if (v !== undefined) labels[k] = v;
  }
  setEntries(labels, plan.labels);
  const set: MetricSet = {
    labels,
    values: new SlotMap(),
    labeled: [],
    scrapeTimeMs: batch.timestampMs,
    collectionStartMs: pod.startMs ?? 0,
    createMs: pod.startMs ?? pod.creationMs,
  };
  if (container !== undefined) {
    const spec = container.spec;
    labels[LABEL_CONTAINER_NAME] = spec.name;
    if (spec.image) labels[LABEL_CONTAINER_BASE_IMAGE] = spec.image;
    setRequestsAndLimits(set, spec);
    if (container.restarts !== undefined) set.values.set('restart_count', container.restarts);
  }
  return set;
}
