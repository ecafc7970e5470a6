import type { Processor } from '../core/contracts.js';
import { createClusterAggregator } from './cluster-aggregator.js';
import { createNamespaceAggregator } from './namespace-aggregator.js';
import { createNodeAggregator } from './node-aggregator.js';
import { createNodeUtilization } from './node-utilization.js';
import { createPodAggregator } from './pod-aggregator.js';
import { RateCalculator } from './rate-calculator.js';
import type { RateCalculatorOptions } from './rate-calculator.js';

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
}

/**
 * The processor chain in Heapster's order (§6): rate calculator, pod aggregator, namespace
 * aggregator, node aggregator, cluster aggregator, node utilization. Each call returns new
 * instances (the rate calculator holds state across ticks). Throws ConfigError on invalid
 * options.
 */
export function defaultProcessors(opts: DefaultProcessorsOptions = {}): Processor[] {
  return [
    new RateCalculator(opts.rate),
    // Kubernetes enrichers slot in here, after rates and before the pod aggregator (§6):
    // pod_based_enricher (pod_id, labels, requests/limits, stub sets), then
    // namespace_based_enricher (namespace_id). The node autoscaling enricher's
    // capacity/allocatable must run before node utilization.
    createPodAggregator(),
    createNamespaceAggregator(),
    createNodeAggregator(),
    createClusterAggregator(),
    createNodeUtilization(),
  ];
}
