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
 * The processor chain (§6): rate calculator, [pod-based enricher, namespace-based enricher],
 * pod aggregator, node aggregator, [node autoscaling enricher (capacity, allocatable, node
 * labels)], node utilization, namespace aggregator, cluster aggregator; the bracketed ones
 * only with a cluster view. Heapster ran the namespace and cluster aggregators before the
 * node steps; neither reads what those write (node sets), so the order of results is the
 * same, and every step up to node utilization works on one node's sets at a time — the
 * pipeline runs them per node as kubelets answer (Processor.processPart). Each call returns
 * new instances (the rate calculator holds state across ticks). Throws ConfigError on
 * invalid options.
 */
export function defaultProcessors(opts: DefaultProcessorsOptions = {}): Processor[] {
  const cluster = opts.cluster;
  const labels = opts.labels ?? {};
  return [
    new RateCalculator(opts.rate),
    ...(cluster
      ? [
          perNode(createPodEnricher({ ...labels, cluster })),
          perNode(createNamespaceEnricher(cluster)),
        ]
      : []),
    perNode(createPodAggregator()),
    perNode(createNodeAggregator()),
    ...(cluster ? [perNode(createNodeAutoscalingEnricher({ ...labels, cluster }))] : []),
    perNode(createNodeUtilization()),
    createNamespaceAggregator(),
    createClusterAggregator(),
  ];
}

/**
 * Marks a processor whose work needs only one node's sets as able to run on one node's part
 * of a tick: its `process` is also its `processPart`. The enrichers read each set's own
 * labels and the cluster view; node utilization each node set's own values; the pod
 * aggregator a pod's containers and the node aggregator a node's pods — all from the same
 * kubelet, so in the same part.
 */
function perNode(p: Processor): Processor {
  return { name: p.name, process: (b) => p.process(b), processPart: (b) => p.process(b) };
}
