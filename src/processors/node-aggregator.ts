import type { Batch } from '../core/batch.js';
import type { Processor } from '../core/contracts.js';
import { nodeKey } from '../core/keys.js';
import { LABEL_NODENAME } from '../core/labels.js';
import { rollUp, sumPlan } from './aggregate.js';
import type { RollUpSpec } from './aggregate.js';

/** Metrics summed from pods into their node (requests and limits; usage comes from the node). */
export const NODE_METRICS: readonly string[] = Object.freeze([
  'cpu/request',
  'cpu/limit',
  'memory/request',
  'memory/limit',
  'ephemeral_storage/request',
  'ephemeral_storage/limit',
]);

const SPEC: RollUpSpec = {
  fromType: 'pod',
  plan: sumPlan(NODE_METRICS),
  groupOf: (set) => set.labels[LABEL_NODENAME] || undefined,
  keyOf: nodeKey,
};

/**
 * `node_aggregator`: adds `NODE_METRICS` of every `pod` set into the EXISTING `node:<nodename>`
 * set. Never creates node sets; pods without a `nodename` label, or whose node is not in the
 * batch, are skipped. Mutates and returns the batch; never throws on data.
 */
export function createNodeAggregator(): Processor {
  return {
    name: 'node_aggregator',
    process(batch: Batch): Batch {
      rollUp(batch, SPEC);
      return batch;
    },
  };
}
