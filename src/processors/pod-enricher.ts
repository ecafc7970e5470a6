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
import { LabelCopier } from './label-copier.js';
import type { LabelCopyOptions } from './label-copier.js';

/** Resources with their own request/limit metrics; any other requested resource gives `<name>/request`. */
const CPU = 'cpu';
const MEMORY = 'memory';
const EPHEMERAL = 'ephemeral-storage';

/**
 * Sets the request/limit metrics of one container: `cpu/request|limit` in millicores,
 * `memory/*` and `ephemeral_storage/*` in bytes (0 when unset, as the original), and
 * `<resource>/request` for any other requested resource (e.g. `nvidia.com/gpu/request`).
 */
export function setRequestsAndLimits(set: MetricSet, c: ContainerSpecInfo): void {
  const v = set.values;
  v.set('cpu/request', Math.round((c.requests[CPU] ?? 0) * 1000));
  v.set('cpu/limit', Math.round((c.limits[CPU] ?? 0) * 1000));
  v.set('memory/request', Math.round(c.requests[MEMORY] ?? 0));
  v.set('memory/limit', Math.round(c.limits[MEMORY] ?? 0));
  v.set('ephemeral_storage/request', Math.round(c.requests[EPHEMERAL] ?? 0));
  v.set('ephemeral_storage/limit', Math.round(c.limits[EPHEMERAL] ?? 0));
  for (const name in c.requests) {
    if (name === CPU || name === MEMORY || name === EPHEMERAL) continue;
    v.set(`${name}/request`, Math.round(c.requests[name] as number));
  }
}

/** Options of the pod-based enricher. */
export interface PodEnricherOptions extends LabelCopyOptions {
  readonly cluster: ClusterView;
}

/**
 * `pod_based_enricher` (§6.2): for `pod` and `pod_container` sets whose pod the cluster view
 * knows, adds `pod_id`, `labels` (+ stored labels) and, for containers, requests/limits,
 * `container_base_image` (when missing) and `restart_count`; a pod's createMs becomes its
 * start time. Creates stub sets (labels and requests/limits, no usage) for spec containers
 * without metrics and for a pod missing while some of its containers are present, so every
 * pod and container of a scraped pod shows. Pods unknown to the view are left as they are.
 * Mutates and returns the batch; never throws on data.
 */
export function createPodEnricher(opts: PodEnricherOptions): Processor {
  const copier = new LabelCopier(opts);
  const cluster = opts.cluster;
  return {
    name: 'pod_based_enricher',
    process(batch: Batch): Batch {
      const added: [string, MetricSet][] = [];
      const seenPods = new Set<PodInfo>();
      for (const set of batch.sets.values()) {
        const type = set.labels[LABEL_TYPE];
        if (type !== 'pod' && type !== 'pod_container') continue;
        const ns = set.labels[LABEL_NAMESPACE_NAME];
        const name = set.labels[LABEL_POD_NAME];
        if (!ns || !name) continue;
        const pod = cluster.pod(ns, name);
        if (pod === undefined) continue;
        enrichCommon(set.labels, pod, copier);
        if (type === 'pod') {
          if (pod.startMs !== undefined) set.createMs = pod.startMs;
        } else {
          const cname = set.labels[LABEL_CONTAINER_NAME] ?? '';
          const spec = pod.containers.find((c) => c.name === cname);
          if (spec !== undefined) {
            setRequestsAndLimits(set, spec);
            if (!set.labels[LABEL_CONTAINER_BASE_IMAGE] && spec.image) {
              set.labels[LABEL_CONTAINER_BASE_IMAGE] = spec.image;
            }
          }
          const restarts = pod.restartCounts.get(cname);
          if (restarts !== undefined) set.values.set('restart_count', restarts);
        }
        if (seenPods.has(pod)) continue;
        seenPods.add(pod);
        // Stubs: the pod set and every spec container, when the kubelet reported none.
        const pk = podKey(ns, name);
        if (!batch.sets.has(pk)) {
          added.push([pk, stub(batch, set, pod, copier, 'pod')]);
        }
        for (const c of pod.containers) {
          const ck = podContainerKey(ns, name, c.name);
          if (batch.sets.has(ck)) continue;
          const s = stub(batch, set, pod, copier, 'pod_container', c);
          added.push([ck, s]);
        }
      }
      for (const [k, s] of added) if (!batch.sets.has(k)) batch.sets.set(k, s);
      return batch;
    },
  };
}

function enrichCommon(labels: Labels, pod: PodInfo, copier: LabelCopier): void {
  if (pod.uid) labels[LABEL_POD_ID] = pod.uid;
  copier.copy(pod.labels, labels);
}

function stub(
  batch: Batch,
  like: MetricSet,
  pod: PodInfo,
  copier: LabelCopier,
  type: 'pod' | 'pod_container',
  container?: ContainerSpecInfo,
): MetricSet {
  const labels: Labels = {
    [LABEL_TYPE]: type,
    [LABEL_POD_NAME]: pod.name,
    [LABEL_NAMESPACE_NAME]: pod.namespace,
  };
  for (const k of [LABEL_NODENAME, LABEL_HOSTNAME, LABEL_HOST_ID]) {
    const v = like.labels[k];
    if (v !== undefined) labels[k] = v;
  }
  enrichCommon(labels, pod, copier);
  const set: MetricSet = {
    labels,
    values: new Map(),
    labeled: [],
    scrapeTimeMs: batch.timestampMs,
    collectionStartMs: pod.startMs ?? 0,
    createMs: pod.startMs ?? pod.creationMs,
  };
  if (container !== undefined) {
    labels[LABEL_CONTAINER_NAME] = container.name;
    if (container.image) labels[LABEL_CONTAINER_BASE_IMAGE] = container.image;
    setRequestsAndLimits(set, container);
    const restarts = pod.restartCounts.get(container.name);
    if (restarts !== undefined) set.values.set('restart_count', restarts);
  }
  return set;
}
