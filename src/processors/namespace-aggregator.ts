import type { Batch, MetricSet } from '../core/batch.js';
import type { Processor } from '../core/contracts.js';
import { namespaceKey, parseEntityKey } from '../core/keys.js';
import { LABEL_NAMESPACE_ID, LABEL_NAMESPACE_NAME } from '../core/labels.js';
import { pickLabels, rollUp, sumPlan } from './aggregate.js';
import type { RollUpSpec } from './aggregate.js';

/** Metrics summed from pods into their namespace (the original's `MetricsToAggregate`). */
export const NAMESPACE_METRICS: readonly string[] = Object.freeze([
  'cpu/usage_rate',
  'memory/usage',
  'cpu/request',
  'cpu/limit',
  'memory/request',
  'memory/limit',
]);

const NS_LABELS = [LABEL_NAMESPACE_NAME, LABEL_NAMESPACE_ID] as const;

function namespaceOf(set: MetricSet, key: string): string | undefined {
  const ns = set.labels[LABEL_NAMESPACE_NAME];
  if (ns) return ns;
  const parsed = parseEntityKey(key);
  return parsed?.type === 'pod' ? parsed.namespace : undefined;
}

const SPEC: RollUpSpec = {
  fromType: 'pod',
  plan: sumPlan(NAMESPACE_METRICS),
  groupOf: namespaceOf,
  keyOf: namespaceKey,
  create: {
    type: 'ns',
    labels(set, _key, ns) {
      const labels = pickLabels(set.labels, NS_LABELS);
      labels[LABEL_NAMESPACE_NAME] = ns;
      return labels;
    },
  },
};

/**
 * `namespace_aggregator`: sums `NAMESPACE_METRICS` of every `pod` set into `namespace:<ns>`
 * (created when missing with labels type=ns, namespace_name, namespace_id; an existing
 * namespace set gets the sums added). Pods without a namespace are skipped. Mutates and
 * returns the batch; never throws on data.
 */
export function createNamespaceAggregator(): Processor {
  return {
    name: 'namespace_aggregator',
    process(batch: Batch): Batch {
      rollUp(batch, SPEC);
      return batch;
    },
  };
}
