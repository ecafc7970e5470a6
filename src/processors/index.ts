import type { Processor } from '../core/contracts.js';
import { createClusterAggregator } from './cluster-aggregator.js';
import { createNamespaceAggregator } from './namespace-aggregator.js';
import { createNodeAggregator } from './node-aggregator.js';
import { createNodeUtilization } from './node-utilization.js';
import { createPodAggregator } from './pod-aggregator.js';
import { RateCalculator } from './rate-calculator.js';
import type { RateCalculatorOptions } from './rate-calculator.js';
import type { ClusterView } from '../sources/kubernetes/cluster-view.js';
import type { LabelCopyOptions } from './label-copier.js';
import { createNamespaceEnricher } from './namespace-enricher.js';
import { createNodeAutoscalingEnricher } from './node-autoscaling-enricher.js';
import { createPodEnricher } from './pod-enricher.js';

export { RateCalculator, DEFAULT_RATE_MAX_AGE_MS } from './rate-calculator.js';
export type { RateCalculatorOptions } from './rate-calculator.js';
export { createPodAggregator } from './pod-aggregator.js';
export { createNamespaceAggregator, NAMESPACE_METRICS } from './namespace-aggregator.js';
export { createNodeAggregator, NODE_METRICS } from './node-aggregator.js';
export { createClusterAggregator, CLUSTER_NODE_FALLBACK_METRICS } from './cluster-aggregator.js';
export { createNodeUtilization, NODE_RATIO_RESOURCES } from './node-utilization.js';

/** Options of the default processor chain. */
export interface DefaultProcessorsOptions {
  readonly rate?: RateCalculatorOptions;
  /** Nodes, pods and namespaces of a cluster: enables the Kubernetes enrichers. */
  readonly cluster?: ClusterView;
  /** `--label_separator`, `--ignore_label`, `--store_label` for the enrichers. */
  readonly labels?: LabelCopyOptions;
}

/**
 * The processor chain in Heapster's order (§6): rate calculator, [pod-based enricher,
 * namespace-based enricher], pod aggregator, namespace aggregator, node aggregator, cluster
 * aggregator, [node autoscaling enricher (capacity, allocatable, node labels)], node
 * utilization; the bracketed ones only with a cluster view. Each call returns new
 * instances (the rate calculator holds state across ticks). Throws ConfigError on invalid
 * options.
 */
export function defaultProcessors(opts: DefaultProcessorsOptions = {}): Processor[] {
  const cluster = opts.cluster;
  const labels = opts.labels ?? {};
  return [
    new RateCalculator(opts.rate),
    ...(cluster
      ? [createPodEnricher({ ...labels, cluster }), createNamespaceEnricher(cluster)]
      : []),
    createPodAggregator(),
    createNamespaceAggregator(),
    createNodeAggregator(),
    createClusterAggregator(),
    ...(cluster ? [createNodeAutoscalingEnricher({ ...labels, cluster })] : []),
    createNodeUtilization(),
  ];
}
