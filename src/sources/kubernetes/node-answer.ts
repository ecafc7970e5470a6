// One kubelet answer → that node's metric sets; shared by the main thread and the kubelet
// worker threads (kubelet-worker.ts), so both parse exactly the same way.
import type { Batch } from '../../core/batch.js';
import { cadvisorToSets } from './cadvisor-parser.js';
import type { NodeIdentity } from './node-identity.js';
import type { KubeletEndpoint } from './options.js';
import { resourceToSets } from './resource-parser.js';
import { summaryToSets } from './summary-parser.js';

/** The kubelet path each endpoint reads. */
export const KUBELET_PATHS: Readonly<Record<KubeletEndpoint, string>> = {
  summary: '/stats/summary',
  cadvisor: '/metrics/cadvisor',
  resource: '/metrics/resource',
};

/** A node to scrape: identity plus the address chosen by the preferred address types. */
export interface KubeletTarget extends NodeIdentity {
  readonly address: string;
  readonly schedulable: boolean;
}

/**
 * Parses one kubelet answer into `into` (which should be empty: on a malformed answer it may
 * hold part of the node's sets, so callers parse into a node-local batch and drop it). Throws
 * an Error that names the node and the path.
 */
export function parseNodeAnswer(
  endpoint: KubeletEndpoint,
  text: string,
  target: KubeletTarget,
  nowMs: number,
  into: Batch,
): void {
  try {
    switch (endpoint) {
      case 'summary':
        summaryToSets(JSON.parse(text), target, nowMs, into);
        break;
      case 'cadvisor':
        cadvisorToSets(text, target, nowMs, into, target.schedulable);
        break;
      case 'resource':
        resourceToSets(text, target, nowMs, into);
        break;
    }
  } catch (err) {
    throw new Error(
      `node ${target.nodeName}: malformed ${KUBELET_PATHS[endpoint]} answer: ${(err as Error).message}`,
    );
  }
}
