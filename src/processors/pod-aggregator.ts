import type { Batch, Labels, MetricSet } from '../core/batch.js';
import type { Processor } from '../core/contracts.js';
import { parseEntityKey, podKey } from '../core/keys.js';
import {
  LABEL_HOST_ID,
  LABEL_HOSTNAME,
  LABEL_NAMESPACE_ID,
  LABEL_NAMESPACE_NAME,
  LABEL_NODENAME,
  LABEL_POD_ID,
  LABEL_POD_NAME,
  LABEL_TYPE,
} from '../core/labels.js';
import { ALL_METRICS } from '../core/metrics.js';
import { foldTimes } from './aggregate.js';
import { SlotMap } from '../core/slot-map.js';

/** Labels a pod set created by the aggregator copies from its first container. */
const POD_LABELS = [
  LABEL_POD_ID,
  LABEL_POD_NAME,
  LABEL_NAMESPACE_NAME,
  LABEL_NAMESPACE_ID,
  LABEL_HOSTNAME,
  LABEL_HOST_ID,
  LABEL_NODENAME,
] as const;

/** Counters make no sense summed across containers that start at different times. */
const NOT_SUMMED: ReadonlySet<string> = new Set(
  ALL_METRICS.filter((m) => m.kind !== 'gauge').map((m) => m.name),
);

interface PodTarget {
  readonly pod: MetricSet;
  /**
   * Sums for a pod that already existed, of the metrics it did not carry; merged after
   * every container is read (so a pod value never counts as one of the sums).
   */
  readonly sums: Map<string, number> | undefined;
}

/** Adds one container's summable values into a pod target (no entry arrays allocated). */
function addContainer(target: PodTarget, values: ReadonlyMap<string, number>): void {
  const sums = target.sums;
  const podValues = target.pod.values;
  if (sums === undefined) {
    // A created pod had nothing before, so its own values are the running sums.
    values.forEach((v, name) => {
      if (NOT_SUMMED.has(name) || !Number.isFinite(v)) return;
      const prev = podValues.get(name);
      podValues.set(name, prev === undefined ? v : prev + v);
    });
    return;
  }
  values.forEach((v, name) => {
    if (NOT_SUMMED.has(name) || !Number.isFinite(v)) return;
    const prev = sums.get(name);
    if (prev !== undefined) sums.set(name, prev + v);
    // Only `sums` is written during the pass, so a name in the pod set was there before.
    else if (!podValues.has(name)) sums.set(name, v);
  });
}

/**
 * `pod_aggregator`: for every `pod_container` set, sums each plain value except the
 * catalogue's cumulative (and delta) metrics — uptime, cpu/usage, page faults, network
 * counters, restart_count — into its pod set `namespace:<ns>/pod:<pod>`. A metric the pod set
 * already carried BEFORE this step (a pod-level value from the source) is left as is;
 * metrics unknown to the catalogue (custom) are summed. Missing pod sets are created with
 * labels type=pod, pod_id, pod_name, namespace_name, namespace_id, hostname, host_id and
 * nodename (the original dropped nodename), scrapeTimeMs = latest of its containers',
 * collectionStartMs and createMs = earliest. Labeled values are not aggregated. Containers
 * without namespace/pod are skipped. Mutates and returns the batch; never throws on data.
 */
export function createPodAggregator(): Processor {
  return { name: 'pod_aggregator', process: aggregatePods };
}

function aggregatePods(batch: Batch): Batch {
  const sets = batch.sets;
  const targets = new Map<string, PodTarget>();
  const createdPods: [string, MetricSet][] = [];
  let last: PodTarget | undefined;
  let lastNs = '';
  let lastPod = '';
  sets.forEach((container, key) => {
    const labels = container.labels;
    if (labels[LABEL_TYPE] !== 'pod_container') return;
    let ns = labels[LABEL_NAMESPACE_NAME];
    let podName = labels[LABEL_POD_NAME];
    if (!ns || !podName) {
      const parsed = parseEntityKey(key);
      if (parsed?.type !== 'pod_container') return;
      ns = parsed.namespace;
      podName = parsed.pod;
    }
    // A pod's containers are usually adjacent: skip the key and look-up for the next ones.
    if (last !== undefined && ns === lastNs && podName === lastPod) {
      if (last.sums === undefined) foldTimes(last.pod, container);
      addContainer(last, container.values);
      return;
    }
    const pk = podKey(ns, podName);
    let target = targets.get(pk);
    if (target === undefined) {
      const existing = sets.get(pk);
      if (existing !== undefined) {
        target = { pod: existing, sums: new SlotMap() };
      } else {
        const pod: MetricSet = {
          labels: podLabels(labels, ns, podName),
          values: new SlotMap(),
          labeled: [],
          scrapeTimeMs: container.scrapeTimeMs,
          collectionStartMs: container.collectionStartMs,
          createMs: container.createMs,
        };
        createdPods.push([pk, pod]);
        target = { pod, sums: undefined };
      }
      targets.set(pk, target);
    } else if (target.sums === undefined) {
      foldTimes(target.pod, container);
    }
    addContainer(target, container.values);
    last = target;
    lastNs = ns;
    lastPod = podName;
  });
  targets.forEach(({ pod, sums }) => {
    if (sums === undefined || sums.size === 0) return;
    const values = pod.values;
    sums.forEach((v, name) => values.set(name, v));
  });
  for (const [pk, pod] of createdPods) sets.set(pk, pod);
  return batch;
}

function podLabels(container: Labels, ns: string, podName: string): Labels {
  const labels: Labels = { [LABEL_TYPE]: 'pod' };
  for (const k of POD_LABELS) {
    const v = container[k];
    if (v) labels[k] = v;
  }
  labels[LABEL_NAMESPACE_NAME] = ns;
  labels[LABEL_POD_NAME] = podName;
  return labels;
}
