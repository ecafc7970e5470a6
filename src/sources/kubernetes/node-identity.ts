// The labels every metric set scraped from one node carries.
import type { Labels } from '../../core/batch.js';
import { LABEL_HOST_ID, LABEL_HOSTNAME, LABEL_NODENAME } from '../../core/labels.js';

/** Who a kubelet is: node name, hostname label and host id (§5.4). */
export interface NodeIdentity {
  readonly nodeName: string;
  readonly hostname: string;
  readonly hostId: string;
}

/** `nodename`, `hostname`, `host_id` labels of a node's metric sets. */
export function nodeLabels(id: NodeIdentity): Labels {
  return {
    [LABEL_NODENAME]: id.nodeName,
    [LABEL_HOSTNAME]: id.hostname,
    [LABEL_HOST_ID]: id.hostId,
  };
}
