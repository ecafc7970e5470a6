import type { Batch } from '../core/batch.js';
import type { Processor } from '../core/contracts.js';
import { nodeKey } from '../core/keys.js';
import type { ClusterView } from '../sources/kubernetes/cluster-view.js';
import { parseQuantity } from '../sources/kubernetes/quantity.js';
import { LabelCopier } from './label-copier.js';
import type { LabelCopyOptions } from './label-copier.js';

/** Node status resource → metric prefix and scale (cpu in millicores). */
const RESOURCES: readonly { resource: string; prefix: string; scale: number }[] = [
  { resource: 'cpu', prefix: 'cpu', scale: 1000 },
  { resource: 'memory', prefix: 'memory', scale: 1 },
  { resource: 'ephemeral-storage', prefix: 'ephemeral_storage', scale: 1 },
];

/** Options of the node autoscaling enricher. */
export interface NodeAutoscalingEnricherOptions extends LabelCopyOptions {
  readonly cluster: ClusterView;
}

/**
 * The input half of `node_autoscaling_enricher` (§6.8): for every node the cluster view
 * knows that has a `node:<name>` set, copies the node's labels into `labels` (+ stored
 * labels) and sets `<res>/node_capacity` and `<res>/node_allocatable` for cpu (millicores),
 * memory and ephemeral storage (bytes) from `status.capacity`/`allocatable` (only those the
 * node reports). The node utilization processor, which runs next, turns them into
 * `*_utilization` and `*_reservation`. Mutates and returns the batch; never throws on data.
 */
export function createNodeAutoscalingEnricher(opts: NodeAutoscalingEnricherOptions): Processor {
  const copier = new LabelCopier(opts);
  return {
    name: 'node_autoscaling_enricher',
    process(batch: Batch): Batch {
      for (const node of opts.cluster.nodes()) {
        const set = batch.sets.get(nodeKey(node.name));
        if (set === undefined) continue;
        copier.copy(node.labels, set.labels);
        for (const r of RESOURCES) {
          const cap = parseQuantity(node.capacity[r.resource]);
          if (cap !== undefined) set.values.set(`${r.prefix}/node_capacity`, cap * r.scale);
          const alloc = parseQuantity(node.allocatable[r.resource]);
          if (alloc !== undefined) set.values.set(`${r.prefix}/node_allocatable`, alloc * r.scale);
        }
      }
      return batch;
    },
  };
}
