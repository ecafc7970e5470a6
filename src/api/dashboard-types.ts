/**
 * JSON shapes of the dashboard API (`/api/v1/dashboard/...`, documented in ui/API.md). Type-only:
 * the server builds them (dashboard-data.ts) and the browser bundle (ui/src) reads them.
 * Units: CPU in millicores, memory and filesystem in bytes, network in bytes/s, times in ms
 * since the epoch. A field that is absent means "not reported", never zero.
 */

/** Entity types as in the `type` label. */
export type DashboardEntityType =
  'cluster' | 'node' | 'sys_container' | 'ns' | 'pod' | 'pod_container';

/** Current (latest tick) values of one entity. */
export interface EntityRow {
  key: string;
  type: DashboardEntityType;
  /** Short name: the node, namespace, pod or container name; `cluster` for the cluster. */
  name: string;
  namespace?: string;
  pod?: string;
  /** Node the entity runs on (key of sys containers, `nodename`/`hostname` label of pods). */
  node?: string;
  cpu: { usage?: number; request?: number; limit?: number; capacity?: number };
  memory: {
    usage?: number;
    workingSet?: number;
    request?: number;
    limit?: number;
    capacity?: number;
  };
  network: { rx?: number; tx?: number };
  /** Sums over the entity's filesystems (`filesystem/*` labeled by `resource_id`). */
  fs: { usage?: number; limit?: number };
  /**
   * Whose capacity `cpu.capacity` / `memory.capacity` is: the entity's own (node, cluster), the
   * node it runs on (system containers, pods, containers) or the cluster's (namespaces).
   */
  capacityOf?: 'own' | 'node' | 'cluster';
  /** Sparklines over the requested range (oldest first, ≤ 60 values, null = no point). */
  spark?: { cpu: (number | null)[]; memory: (number | null)[] };
}

/** `GET /api/v1/dashboard/status`. */
export interface StatusJson {
  nowMs: number;
  resolutionMs: number;
  retentionMs: number;
  /** Timestamp of the latest batch; null before the first tick. */
  latestMs: number | null;
  /** When the next tick is expected (aligned to the resolution; an estimate). */
  nextTickMs: number;
  counts: Record<DashboardEntityType, number>;
}

/** `GET /api/v1/dashboard/entities`. */
export interface EntitiesJson {
  /** Rows matching type, parent and filter, before paging. */
  total: number;
  offset: number;
  rows: EntityRow[];
  latestMs: number | null;
}

/** A link of the breadcrumb trail. */
export interface Crumb {
  key: string;
  type: DashboardEntityType;
  name: string;
}

/** Time series aligned on one time axis; `series[id][i]` is the value at `timestampsMs[i]`. */
export interface SeriesJson {
  startMs: number;
  endMs: number;
  timestampsMs: number[];
  /** Ids are metric names (`cpu/usage_rate`, `filesystem/usage` summed over resource ids, ...). */
  series: Record<string, (number | null)[]>;
  /** Points per bucket when the range held more than the maximum and was averaged (1 = raw). */
  bucketPoints: number;
  /**
   * Set when the store aggregated the range itself (a store with long history): each point is
   * the average of the bucket [t, t + bucketMs).
   */
  bucketMs?: number;
}

/** `GET /api/v1/dashboard/entity?key=...`. */
export interface EntityJson {
  entity: EntityRow;
  labels: Record<string, string>;
  breadcrumbs: Crumb[];
  /** Child tables this entity has, with row counts (e.g. node → sys_container, pod). */
  children: { type: DashboardEntityType; count: number }[];
  /** For `cluster`: series summed over the nodes; otherwise the entity's own. */
  series: SeriesJson;
  /** True when the series of `cluster` are sums over nodes. */
  summedOverNodes: boolean;
  /** For `cluster` on a single node (a plain machine): that node's name. */
  onlyNode?: string;
  latestMs: number | null;
}

/** Error body of every dashboard endpoint (status 400 or 404). */
export interface ErrorJson {
  error: string;
}
