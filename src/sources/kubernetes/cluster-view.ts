// What the rest of the program knows about a cluster's objects: a read-only view of the
// discovery caches (or of a synthesized stand-in when there is no API server).

/** One container of a pod spec, with its resources parsed. */
export interface ContainerSpecInfo {
  readonly name: string;
  readonly image: string;
  /** `resources.requests`, base units (cpu in cores, memory in bytes, others counts). */
  readonly requests: Readonly<Record<string, number>>;
  /** `resources.limits`, base units. */
  readonly limits: Readonly<Record<string, number>>;
}

/** The fields of a Pod the enrichers and the Metrics API use. Times are ms since the epoch. */
export interface PodInfo {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  /** `spec.nodeName`; '' when not scheduled. */
  readonly nodeName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly phase: string;
  readonly creationMs: number;
  /** `status.startTime`, undefined when not started. */
  readonly startMs: number | undefined;
  readonly containers: readonly ContainerSpecInfo[];
  /** `status.containerStatuses[].restartCount` by container name. */
  readonly restartCounts: ReadonlyMap<string, number>;
}

/** The fields of a Node the sources, the enrichers and the Metrics API use. */
export interface NodeInfo {
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly creationMs: number;
  /** Ready condition is True. */
  readonly ready: boolean;
  readonly unschedulable: boolean;
  /** `spec.externalID`, else `spec.providerID`, else ''. */
  readonly externalId: string;
  /** `status.addresses` in order. */
  readonly addresses: readonly { readonly type: string; readonly address: string }[];
  /** `status.capacity` as the API gave it (quantity strings). */
  readonly capacity: Readonly<Record<string, string>>;
  /** `status.allocatable` as the API gave it (quantity strings). */
  readonly allocatable: Readonly<Record<string, string>>;
}

/** The fields of a Namespace the enrichers use. */
export interface NamespaceInfo {
  readonly name: string;
  readonly uid: string;
  readonly creationMs: number;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Read-only, synchronous view of the cluster's nodes, pods and namespaces as last seen.
 * Lookups are O(1); listings iterate the live caches (do not hold them across ticks).
 */
export interface ClusterView {
  pod(namespace: string, name: string): PodInfo | undefined;
  pods(): Iterable<PodInfo>;
  node(name: string): NodeInfo | undefined;
  nodes(): Iterable<NodeInfo>;
  namespace(name: string): NamespaceInfo | undefined;
  /** True once every watched kind has been listed at least once. */
  synced(): boolean;
}

/** A source that discovered its nodes from a cluster exposes the view (see `clusterViewOf`). */
export interface HasClusterView {
  readonly cluster: ClusterView;
}

/** The cluster view of the first source that has one (a kubernetes source), else undefined. */
export function clusterViewOf(sources: readonly object[]): ClusterView | undefined {
  for (const s of sources) {
    const view = (s as Partial<HasClusterView>).cluster;
    if (view !== undefined) return view;
  }
  return undefined;
}
