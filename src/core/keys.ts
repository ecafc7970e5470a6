/**
 * Metric-set keys and entity types (§1.1, §5.5). Keys are built and parsed only here.
 * `cluster`, `node:N`, `node:N/container:C`, `namespace:NS`, `namespace:NS/pod:P`,
 * `namespace:NS/pod:P/container:C`.
 */

export type EntityType = 'cluster' | 'node' | 'sys_container' | 'ns' | 'pod' | 'pod_container';

export const ENTITY_TYPES: readonly EntityType[] = [
  'cluster',
  'node',
  'sys_container',
  'ns',
  'pod',
  'pod_container',
];

export type EntityKey =
  | { type: 'cluster' }
  | { type: 'node'; node: string }
  | { type: 'sys_container'; node: string; container: string }
  | { type: 'ns'; namespace: string }
  | { type: 'pod'; namespace: string; pod: string }
  | { type: 'pod_container'; namespace: string; pod: string; container: string };

export const CLUSTER_KEY = 'cluster';

export function nodeKey(node: string): string {
  return `node:${node}`;
}

export function sysContainerKey(node: string, container: string): string {
  return `node:${node}/container:${container}`;
}

export function namespaceKey(namespace: string): string {
  return `namespace:${namespace}`;
}

export function podKey(namespace: string, pod: string): string {
  return `namespace:${namespace}/pod:${pod}`;
}

export function podContainerKey(namespace: string, pod: string, container: string): string {
  return `namespace:${namespace}/pod:${pod}/container:${container}`;
}

/** Key of an entity. */
export function entityKey(e: EntityKey): string {
  switch (e.type) {
    case 'cluster':
      return CLUSTER_KEY;
    case 'node':
      return nodeKey(e.node);
    case 'sys_container':
      return sysContainerKey(e.node, e.container);
    case 'ns':
      return namespaceKey(e.namespace);
    case 'pod':
      return podKey(e.namespace, e.pod);
    case 'pod_container':
      return podContainerKey(e.namespace, e.pod, e.container);
  }
}

const NODE = 'node:';
const NS = 'namespace:';
const POD = '/pod:';
const CONTAINER = '/container:';

/**
 * Parses a key; undefined when it is not one of the six shapes. Container names may hold `/`
 * (system containers are cgroup paths such as `system.slice/ssh.service`), so the container
 * part is everything after the first `/container:`.
 */
export function parseEntityKey(key: string): EntityKey | undefined {
  if (key === CLUSTER_KEY) return { type: 'cluster' };
  if (key.startsWith(NODE)) {
    const rest = key.slice(NODE.length);
    const c = rest.indexOf(CONTAINER);
    if (c < 0) return rest.length > 0 ? { type: 'node', node: rest } : undefined;
    const node = rest.slice(0, c);
    const container = rest.slice(c + CONTAINER.length);
    return node && container ? { type: 'sys_container', node, container } : undefined;
  }
  if (key.startsWith(NS)) {
    const rest = key.slice(NS.length);
    const p = rest.indexOf(POD);
    if (p < 0)
      return rest.length > 0 && !rest.includes('/') ? { type: 'ns', namespace: rest } : undefined;
    const namespace = rest.slice(0, p);
    const podPart = rest.slice(p + POD.length);
    const c = podPart.indexOf(CONTAINER);
    if (c < 0) return namespace && podPart ? { type: 'pod', namespace, pod: podPart } : undefined;
    const pod = podPart.slice(0, c);
    const container = podPart.slice(c + CONTAINER.length);
    return namespace && pod && container
      ? { type: 'pod_container', namespace, pod, container }
      : undefined;
  }
  return undefined;
}
