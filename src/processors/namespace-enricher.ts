import type { Batch } from '../core/batch.js';
import type { Processor } from '../core/contracts.js';
import { LABEL_NAMESPACE_ID, LABEL_NAMESPACE_NAME, LABEL_TYPE } from '../core/labels.js';
import type { ClusterView } from '../sources/kubernetes/cluster-view.js';

/**
 * `namespace_based_enricher` (§6.3): sets `namespace_id` (the namespace's UID) on
 * `pod_container`, `pod` and `ns` sets whose namespace the cluster view knows. Mutates and
 * returns the batch; never throws on data.
 */
export function createNamespaceEnricher(cluster: ClusterView): Processor {
  return {
    name: 'namespace_based_enricher',
    process(batch: Batch): Batch {
      let lastName = '';
      let lastUid: string | undefined;
      for (const set of batch.sets.values()) {
        const type = set.labels[LABEL_TYPE];
        if (type !== 'pod_container' && type !== 'pod' && type !== 'ns') continue;
        const ns = set.labels[LABEL_NAMESPACE_NAME];
        if (!ns) continue;
        if (ns !== lastName) {
          lastName = ns;
          lastUid = cluster.namespace(ns)?.uid;
        }
        if (lastUid) set.labels[LABEL_NAMESPACE_ID] = lastUid;
      }
      return batch;
    },
  };
}
