import type { Batch } from '../core/batch.js';
import type { Processor } from '../core/contracts.js';
import { LABEL_TYPE } from '../core/labels.js';

/** Metric names of one resource's inputs and outputs on a node set. */
export interface ResourceRatios {
  readonly usage: string;
  readonly request: string;
  readonly allocatable: string;
  readonly capacity: string;
  readonly utilization: string;
  readonly reservation: string;
}

/** The resources whose node utilization and reservation are computed (§5.3). */
export const NODE_RATIO_RESOURCES: readonly ResourceRatios[] = Object.freeze([
  {
    usage: 'cpu/usage_rate',
    request: 'cpu/request',
    allocatable: 'cpu/node_allocatable',
    capacity: 'cpu/node_capacity',
    utilization: 'cpu/node_utilization',
    reservation: 'cpu/node_reservation',
  },
  {
    // Usage, not working set, as the original.
    usage: 'memory/usage',
    request: 'memory/request',
    allocatable: 'memory/node_allocatable',
    capacity: 'memory/node_capacity',
    utilization: 'memory/node_utilization',
    reservation: 'memory/node_reservation',
  },
  {
    usage: 'ephemeral_storage/usage',
    request: 'ephemeral_storage/request',
    allocatable: 'ephemeral_storage/node_allocatable',
    capacity: 'ephemeral_storage/node_capacity',
    utilization: 'ephemeral_storage/node_utilization',
    reservation: 'ephemeral_storage/node_reservation',
  },
]);

/**
 * `node_autoscaling`: for every `node` set and each resource of `NODE_RATIO_RESOURCES`, with
 * denominator = `<res>/node_allocatable` when > 0, else `<res>/node_capacity` when > 0 (else
 * nothing is computed for that resource; allocatable is never invented):
 * `<res>/node_utilization` = usage / denominator when the node has the usage value, and
 * `<res>/node_reservation` = request / denominator when it has the request value. Ratios
 * are floats (1 = the whole node). Non-finite inputs are ignored. Mutates and returns the
 * batch; never throws on data.
 */
export function createNodeUtilization(): Processor {
  return {
    name: 'node_autoscaling',
    process(batch: Batch): Batch {
      for (const set of batch.sets.values()) {
        if (set.labels[LABEL_TYPE] !== 'node') continue;
        const values = set.values;
        for (const r of NODE_RATIO_RESOURCES) {
          const denom = positive(values.get(r.allocatable)) ?? positive(values.get(r.capacity));
          if (denom === undefined) continue;
          const usage = values.get(r.usage);
          if (usage !== undefined && Number.isFinite(usage)) {
            values.set(r.utilization, usage / denom);
          }
          const request = values.get(r.request);
          if (request !== undefined && Number.isFinite(request)) {
            values.set(r.reservation, request / denom);
          }
        }
      }
      return batch;
    },
  };
}

function positive(v: number | undefined): number | undefined {
  return v !== undefined && v > 0 && Number.isFinite(v) ? v : undefined;
}
