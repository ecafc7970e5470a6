// Which entity a Docker container is: a pod container, a pod sandbox or a plain container.
import type { Labels } from '../../core/batch.js';
import type { EntityType } from '../../core/keys.js';
import { podContainerKey, podKey, sysContainerKey } from '../../core/keys.js';
import {
  LABEL_CONTAINER_BASE_IMAGE,
  LABEL_CONTAINER_NAME,
  LABEL_LABELS,
  LABEL_NAMESPACE_NAME,
  LABEL_POD_ID,
  LABEL_POD_NAME,
} from '../../core/labels.js';
import type { DockerContainer } from './identity-types.js';

/** Labels the kubelet (dockershim, cri-dockerd) puts on the containers it creates. */
export const K8S_POD_NAME = 'io.kubernetes.pod.name';
export const K8S_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const K8S_POD_UID = 'io.kubernetes.pod.uid';
export const K8S_CONTAINER_NAME = 'io.kubernetes.container.name';
export const K8S_DOCKER_TYPE = 'io.kubernetes.docker.type';

/** Where a container's figures go in a batch. */
export interface DockerEntity {
  readonly key: string;
  readonly type: Extract<EntityType, 'sys_container' | 'pod' | 'pod_container'>;
  readonly labels: Labels;
  /**
   * True for a pod's sandbox (`POD` / `podsandbox`): only its network counters are the pod's
   * (its CPU and memory are the pause process's, not the pod's).
   */
  readonly sandbox: boolean;
}

/**
 * Classifies a container as Heapster's kubelet source does (contract §3.1): with
 * `io.kubernetes.pod.name` and `.namespace` labels it is `pod_container`
 * `namespace:NS/pod:P/container:C` (C from `io.kubernetes.container.name`), or the pod's
 * sandbox when C is `POD` or missing (key `namespace:NS/pod:P`, network only); any other
 * container is a system container `node:N/container:<docker name>` with
 * `container_base_image` = its image and `labels` = its Docker labels as sorted `k:v`
 * joined by `,`. `base` holds the node labels (nodename, hostname, host_id). Pure.
 */
export function dockerEntity(nodeName: string, c: DockerContainer, base: Labels): DockerEntity {
  const l = c.labels;
  const pod = l[K8S_POD_NAME];
  const ns = l[K8S_POD_NAMESPACE];
  if (pod !== undefined && pod !== '' && ns !== undefined && ns !== '') {
    const labels: Labels = { ...base, [LABEL_POD_NAME]: pod, [LABEL_NAMESPACE_NAME]: ns };
    const uid = l[K8S_POD_UID];
    if (uid !== undefined && uid !== '') labels[LABEL_POD_ID] = uid;
    const container = l[K8S_CONTAINER_NAME] ?? '';
    if (container === '' || container === 'POD' || l[K8S_DOCKER_TYPE] === 'podsandbox') {
      return { key: podKey(ns, pod), type: 'pod', labels, sandbox: true };
    }
    labels[LABEL_CONTAINER_NAME] = container;
    if (c.image !== '') labels[LABEL_CONTAINER_BASE_IMAGE] = c.image;
    return {
      key: podContainerKey(ns, pod, container),
      type: 'pod_container',
      labels,
      sandbox: false,
    };
  }
  const labels: Labels = { ...base, [LABEL_CONTAINER_NAME]: c.name };
  if (c.image !== '') labels[LABEL_CONTAINER_BASE_IMAGE] = c.image;
  const text = labelsText(l);
  if (text !== '') labels[LABEL_LABELS] = text;
  return { key: sysContainerKey(nodeName, c.name), type: 'sys_container', labels, sandbox: false };
}

/** Docker labels as Heapster's `labels` label: sorted `k:v` joined by `,`. */
export function labelsText(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}:${labels[k]}`)
    .join(',');
}
