import type { Batch, MetricSet } from '../core/batch.js';
import type { Processor } from '../core/contracts.js';
import { LABEL_NAMESPACE_ID, LABEL_NAMESPACE_NAME, LABEL_TYPE } from '../core/labels.js';
import type { ClusterView } from '../sources/kubernetes/cluster-view.js';

/**
 * `namespace_based_enricher` (§6.3): sets `namespace_id` (the namespace's UID) on
 * `pod_container`, `pod` and `ns` sets whose namespace the cluster view knows. Mutates and
 * returns the batch; never throws on data.
 *
 * A cluster has few namespaces but the pods of a node come from many of them in turn, so
 * each call looks every namespace up once (a small map kept across calls, cleared at the
 * start of each: the view may change between calls, never during one).
 */
export function createNamespaceEnricher(cluster: ClusterView): Processor {
  /** Namespace name → UID ('' when unknown) in the current call. */
  const uids = new Map<string, string>();
  // The sets of one pod share their namespace string: a compare spares the map lookup.
  let lastName = '';
  let lastUid = '';

  function visit(set: MetricSet): void {
    const labels = set.labels;
    const type = labels[LABEL_TYPE];
    if (type !== 'pod_container' && type !== 'pod' && type !== 'ns') return;
    const ns = labels[LABEL_NAMESPACE_NAME];
    if (!ns) return;
    if (ns !== lastName) {
      let uid = uids.get(ns);
      if (uid === undefined) {
        uid = cluster.namespace(ns)?.uid ?? '';
        uids.set(ns, uid);
      }
      lastName = ns;
      lastUid = uid;
    }
    if (lastUid) labels[LABEL_NAMESPACE_ID] = lastUid;
  }

  return {
    name: 'namespace_based_enricher',
    process(batch: Batch): Batch {
      uids.clear();
      lastName = lastUid = '';
      for (const set of batch.sets.values()) visit(set);
      uids.clear();
      return batch;
    },
  };
}
