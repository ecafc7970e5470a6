import type { Batch } from '../core/batch.js';
import { newMetricSet } from '../core/batch.js';
import type { Processor } from '../core/contracts.js';
import { CLUSTER_KEY } from '../core/keys.js';
import { rollUp, sumPlan } from './aggregate.js';
import type { RollUpSpec } from './aggregate.js';
import { NAMESPACE_METRICS } from './namespace-aggregator.js';

/**
 * Metrics summed from node sets into `cluster` when the batch has no namespace sets (a plain
 * machine or Docker hosts: no Kubernetes, so no pods and no namespaces).
 */
export const CLUSTER_NODE_FALLBACK_METRICS: readonly string[] = Object.freeze([
  'cpu/usage_rate',
  'memory/usage',
  'memory/working_set',
  'cpu/node_capacity',
  'memory/node_capacity',
]);

const toCluster = (): string => CLUSTER_KEY;
const CREATE_CLUSTER = { type: 'cluster', labels: () => ({}) } as const;
const FROM_NAMESPACES: RollUpSpec = {
  fromType: 'ns',
  plan: sumPlan(NAMESPACE_METRICS),
  groupOf: toCluster,
  keyOf: toCluster,
  create: CREATE_CLUSTER,
};
const FROM_NODES: RollUpSpec = {
  fromType: 'node',
  plan: sumPlan(CLUSTER_NODE_FALLBACK_METRICS),
  groupOf: toCluster,
  keyOf: toCluster,
  create: CREATE_CLUSTER,
};

/**
 * `cluster_aggregator`: always (re)creates the `cluster` set (type=cluster, replacing any set
 * already under that key) as the sum of `NAMESPACE_METRICS` over the `ns` sets. When the
 * batch has NO `ns` sets it sums `CLUSTER_NODE_FALLBACK_METRICS` over the `node` sets instead,
 * so a single machine or a set of Docker hosts still has cluster totals (the original only
 * summed namespaces). Times span the summed sets (scrapeTimeMs = latest); with nothing to
 * sum the set is empty and stamped with the batch timestamp. Mutates and returns the batch;
 * never throws on data.
 */
export function createClusterAggregator(): Processor {
  return {
    name: 'cluster_aggregator',
    process(batch: Batch): Batch {
      batch.sets.delete(CLUSTER_KEY);
      if (rollUp(batch, FROM_NAMESPACES) === 0 && rollUp(batch, FROM_NODES) === 0) {
        const t = batch.timestampMs;
        batch.sets.set(
          CLUSTER_KEY,
          newMetricSet('cluster', {}, { scrapeTimeMs: t, collectionStartMs: t, createMs: t }),
        );
      }
      return batch;
    },
  };
}
