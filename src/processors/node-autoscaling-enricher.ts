import type { Batch, MetricSet } from '../core/batch.js';
import type { Processor } from '../core/contracts.js';
import { nodeKey } from '../core/keys.js';
import type { ClusterView, NodeInfo } from '../sources/kubernetes/cluster-view.js';
import { parseQuantity } from '../sources/kubernetes/quantity.js';
import { LabelCopier, setEntries } from './label-copier.js';
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

/** What the enricher sets on a node's set, derived once per NodeInfo object. */
interface NodePlan {
  /** `nodeKey` of the node. */
  readonly key: string;
  /** Flattened `name, value, ...` labels: `labels` and the stored labels. */
  readonly labels: readonly string[];
  /** Capacity/allocatable metric names and values, in the order they are set. */
  readonly names: readonly string[];
  readonly values: readonly number[];
}

const NODE_PREFIX = 'node:';

/**
 * The input half of `node_autoscaling_enricher` (§6.8): for every node the cluster view
 * knows that has a `node:<name>` set, copies the node's labels into `labels` (+ stored
 * labels) and sets `<res>/node_capacity` and `<res>/node_allocatable` for cpu (millicores),
 * memory and ephemeral storage (bytes) from `status.capacity`/`allocatable` (only those the
 * node reports). The node utilization processor, which runs next, turns them into
 * `*_utilization` and `*_reservation`. Mutates and returns the batch; never throws on data.
 *
 * NodeInfo records are immutable (discovery replaces them when a node changes), so the
 * labels and parsed quantities are cached per record. A batch much smaller than the cluster
 * (one node's sets) is scanned for `node:` keys, looked up by name; a large one is matched
 * against the view's node list, as the original did: both touch the same sets.
 */
export function createNodeAutoscalingEnricher(opts: NodeAutoscalingEnricherOptions): Processor {
  const copier = new LabelCopier(opts);
  const cluster = opts.cluster;
  const plans = new WeakMap<NodeInfo, NodePlan>();
  /** Nodes in the view at the last listing (a hint for choosing the cheaper walk). */
  let viewNodes = -1;

  function planOf(node: NodeInfo): NodePlan {
    let plan = plans.get(node);
    if (plan === undefined) {
      const names: string[] = [];
      const values: number[] = [];
      for (const r of RESOURCES) {
        const cap = parseQuantity(node.capacity[r.resource]);
        if (cap !== undefined) {
          names.push(`${r.prefix}/node_capacity`);
          values.push(cap * r.scale);
        }
        const alloc = parseQuantity(node.allocatable[r.resource]);
        if (alloc !== undefined) {
          names.push(`${r.prefix}/node_allocatable`);
          values.push(alloc * r.scale);
        }
      }
      plan = { key: nodeKey(node.name), labels: copier.entries(node.labels), names, values };
      plans.set(node, plan);
    }
    return plan;
  }

  function apply(set: MetricSet, plan: NodePlan): void {
    setEntries(set.labels, plan.labels);
    const v = set.values;
    for (let i = 0; i < plan.names.length; i++) {
      v.set(plan.names[i] as string, plan.values[i] as number);
    }
  }

  /** A set at `node:<name>` of a node the view knows gets that node's plan. */
  function visit(set: MetricSet, key: string): void {
    if (!key.startsWith(NODE_PREFIX)) return;
    const name = key.slice(NODE_PREFIX.length);
    const node = cluster.node(name);
    if (node !== undefined && node.name === name) apply(set, planOf(node));
  }

  return {
    name: 'node_autoscaling_enricher',
    process(batch: Batch): Batch {
      // Scanning the batch costs per set, walking the view per node: pick the smaller.
      if (viewNodes >= 0 && batch.sets.size < viewNodes * 4) {
        batch.sets.forEach(visit);
        return batch;
      }
      let n = 0;
      for (const node of cluster.nodes()) {
        n++;
        const plan = planOf(node);
        const set = batch.sets.get(plan.key);
        if (set !== undefined) apply(set, plan);
      }
      viewNodes = n;
      return batch;
    },
  };
}
