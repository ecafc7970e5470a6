// Discovery of nodes, pods and namespaces: list+watch informers (@kubernetes/client-node)
// that restart after errors (API server down or restarted) and relist after 410 Gone.
import type {
  Informer,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  ObjectCache,
} from '@kubernetes/client-node';
import { clientNode } from './client-node.js';
import { PagedLister } from './list-pages.js';
import type { Logger } from '../../core/log.js';
import type {
  ClusterView,
  ContainerSpecInfo,
  NamespaceInfo,
  NodeInfo,
  PodInfo,
} from './cluster-view.js';
import { Interner } from './interner.js';
import { parseQuantity } from './quantity.js';

/** Options of the discovery. Durations in ms. */
export interface DiscoveryOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  /** First wait before restarting a failed watch (doubles up to `maxBackoffMs`). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Page size of list calls (`limit`). */
  readonly pageSize?: number;
  /** Timeout of one list request. */
  readonly listTimeoutMs?: number;
}

type Obj = KubernetesObject & Record<string, unknown>;
type ViewRecord = PodInfo | NodeInfo | NamespaceInfo;
/**
 * What the informer caches keep per object: the cache key fields and the view's record,
 * nothing else (a full Pod is ~4 KB of parsed JSON; 150,000 of them were ~600 MB).
 */
type Slim = Obj & { view?: ViewRecord };
type Kind = 'nodes' | 'pods' | 'namespaces';
const PATHS: Readonly<Record<Kind, string>> = {
  nodes: '/api/v1/nodes',
  pods: '/api/v1/pods',
  namespaces: '/api/v1/namespaces',
};

/**
 * Watches nodes, pods and namespaces of one API server and answers `ClusterView` lookups
 * from the informers' caches. Each object is converted to the view's record when it arrives
 * (list page or watch event) and the cache keeps only that record and the cache key (name,
 * namespace, resourceVersion); equal label sets, container specs and strings are shared. `start` returns at once; `waitForSync` waits for the first lists. A
 * failed list or watch is logged and retried with backoff forever, so an API server restart
 * or a 410 Gone only delays updates; the caches keep serving the last known state.
 */
export class KubernetesDiscovery implements ClusterView {
  private readonly informers = new Map<Kind, Informer<Slim> & ObjectCache<Slim>>();
  private readonly syncedKinds = new Set<Kind>();
  private readonly backoffMs = new Map<Kind, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly interner = new Interner();
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly logger: Logger;
  private lister: PagedLister | undefined;
  private stopped = false;
  /** Restarts of informers after an error, by kind (for tests and self-metrics). */
  readonly restarts: Record<Kind, number> = { nodes: 0, pods: 0, namespaces: 0 };

  constructor(private readonly opts: DiscoveryOptions) {
    this.logger = opts.logger;
    this.minBackoffMs = opts.minBackoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  }

  /** Starts the three informers (non-blocking). */
  start(): void {
    for (const kind of Object.keys(PATHS) as Kind[]) {
      const { ERROR, makeInformer } = clientNode();
      const informer = makeInformer<Slim>(this.opts.kubeConfig, PATHS[kind], () => this.list(kind));
      informer.on(ERROR, (err: unknown) => this.onError(kind, err));
      // Watch events hand over the full object the cache just stored: slim it in place.
      const slim = (o: Slim): void => void this.record(kind, o);
      informer.on('add', slim);
      informer.on('update', slim);
      this.informers.set(kind, informer);
      void informer.start().catch((err: unknown) => this.onError(kind, err));
    }
  }

  /** Stops the informers and releases connections. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await this.lister?.close();
  }

  /** Resolves true once nodes, pods and namespaces were listed, false after `timeoutMs`. */
  async waitForSync(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.synced()) {
      if (Date.now() >= deadline || signal?.aborted || this.stopped) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  synced(): boolean {
    return this.syncedKinds.size === 3;
  }

  pod(namespace: string, name: string): PodInfo | undefined {
    const o = this.informers.get('pods')?.get(name, namespace);
    return o === undefined ? undefined : (this.record('pods', o) as PodInfo);
  }

  *pods(): Iterable<PodInfo> {
    const i = this.informers.get('pods');
    if (i === undefined) return;
    for (const o of i.list()) yield this.record('pods', o) as PodInfo;
  }

  node(name: string): NodeInfo | undefined {
    const o = this.informers.get('nodes')?.get(name);
    return o === undefined ? undefined : (this.record('nodes', o) as NodeInfo);
  }

  *nodes(): Iterable<NodeInfo> {
    const i = this.informers.get('nodes');
    if (i === undefined) return;
    for (const o of i.list()) yield this.record('nodes', o) as NodeInfo;
  }

  namespace(name: string): NamespaceInfo | undefined {
    const o = this.informers.get('namespaces')?.get(name);
    return o === undefined ? undefined : (this.record('namespaces', o) as NamespaceInfo);
  }

  /**
   * The view record of a cached object; a full object (from a watch event) is converted and
   * stripped in place to the cache key and the record, so the cache holds no full objects.
   */
  private record(kind: Kind, o: Slim): ViewRecord {
    if (o.view !== undefined) return o.view;
    const view = this.toRecord(kind, o);
    const metadata = cacheKey(view, o);
    for (const k of Object.keys(o)) delete o[k];
    o.metadata = metadata;
    o.view = view;
    return view;
  }

  private toRecord(kind: Kind, o: Obj): ViewRecord {
    switch (kind) {
      case 'pods':
        return podInfo(o, this.interner);
      case 'nodes':
        return nodeInfo(o, this.interner);
      case 'namespaces':
        return namespaceInfo(o, this.interner);
    }
  }

  /** A fresh slim cache entry for a listed object. */
  private slimOf(kind: Kind, o: Obj): Slim {
    const view = this.toRecord(kind, o);
    return { metadata: cacheKey(view, o), view };
  }

  private onError(kind: Kind, err: unknown): void {
    if (this.stopped) return;
    const wait = this.backoffMs.get(kind) ?? this.minBackoffMs;
    this.backoffMs.set(kind, Math.min(this.maxBackoffMs, wait * 2));
    const message = err instanceof Error ? err.message : String(err);
    this.logger.warn(
      { kind, err: message, retryInMs: wait },
      `watch of ${kind} failed (${message}); retrying in ${wait} ms with the last known ${kind}`,
    );
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.stopped) return;
      this.restarts[kind]++;
      void this.informers
        .get(kind)
        ?.start()
        .catch((e: unknown) => this.onError(kind, e));
    }, wait);
    this.timers.add(t);
  }

  /** Lists one kind page by page as plain JSON (the typed client's deserializer is slow and heavy). */
  private async list(kind: Kind): Promise<KubernetesListObject<Slim>> {
    this.lister ??= new PagedLister(this.opts.kubeConfig, {
      pageSize: this.opts.pageSize ?? 5000,
      timeoutMs: this.opts.listTimeoutMs ?? 60_000,
    });
    const items: Slim[] = [];
    // Only the slim records outlive the page: the full objects are garbage right away.
    const resourceVersion = await this.lister.list(PATHS[kind], (it) =>
      items.push(this.slimOf(kind, it)),
    );
    this.backoffMs.delete(kind);
    // The informer adds the items right after this resolves; mark synced after that.
    setImmediate(() => this.syncedKinds.add(kind));
    return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion }, items };
  }
}

/** The metadata the informer cache needs (key and version), sharing the record's strings. */
function cacheKey(view: ViewRecord, o: Obj): Obj['metadata'] {
  const version = str(rec(o.metadata).resourceVersion);
  return 'namespace' in view
    ? { name: view.name, namespace: view.namespace, resourceVersion: version }
    : { name: view.name, resourceVersion: version };
}

interface Meta {
  name: string;
  namespace: string;
  uid: string;
  creationMs: number;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
}

function timeMs(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string' && v !== '') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

function rec(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(rec(v))) if (typeof x === 'string') out[k] = x;
  return out;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function meta(o: Obj, intern: Interner): Meta {
  const m = rec(o.metadata);
  return {
    name: str(m.name),
    namespace: intern.str(str(m.namespace)),
    uid: str(m.uid),
    creationMs: timeMs(m.creationTimestamp) ?? 0,
    labels: intern.stringRecord(strings(m.labels)),
    annotations: intern.stringRecord(strings(m.annotations)),
  };
}

function resources(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, q] of Object.entries(rec(v))) {
    const n = parseQuantity(typeof q === 'string' || typeof q === 'number' ? q : undefined);
    if (n !== undefined) out[k] = n;
  }
  return out;
}

/**
 * Converts a Pod (plain JSON or typed object) to the view's record. With an `intern`, equal
 * label sets, container specs, restart counts and strings are shared (treat as immutable).
 */
export function podInfo(o: Obj, intern: Interner = new Interner()): PodInfo {
  const m = meta(o, intern);
  const spec = rec(o.spec);
  const status = rec(o.status);
  const specs = Array.isArray(spec.containers) ? spec.containers : [];
  const containers = intern.record(`c${JSON.stringify(specs)}`, () => {
    const out: ContainerSpecInfo[] = [];
    for (const c of specs) {
      const r = rec(c);
      const res = rec(r.resources);
      const key = JSON.stringify([r.name, r.image, res.requests, res.limits]);
      out.push(
        intern.record(`k${key}`, () =>
          Object.freeze({
            name: intern.str(str(r.name)),
            image: intern.str(str(r.image)),
            requests: Object.freeze(resources(res.requests)),
            limits: Object.freeze(resources(res.limits)),
          }),
        ),
      );
    }
    return Object.freeze(out);
  });
  const counts: [string, number][] = [];
  for (const s of Array.isArray(status.containerStatuses) ? status.containerStatuses : []) {
    const r = rec(s);
    if (typeof r.restartCount === 'number') counts.push([str(r.name), r.restartCount]);
  }
  const restartCounts = intern.record(
    `r${JSON.stringify(counts)}`,
    (): ReadonlyMap<string, number> =>
      new Map(counts.map(([name, n]) => [intern.str(name), n] as const)),
  );
  return {
    name: m.name,
    namespace: m.namespace,
    uid: m.uid,
    nodeName: intern.str(str(spec.nodeName)),
    labels: m.labels,
    phase: intern.str(str(status.phase)),
    creationMs: m.creationMs,
    startMs: timeMs(status.startTime),
    containers,
    restartCounts,
  };
}

/** Converts a Namespace (plain JSON or typed object) to the view's record. */
export function namespaceInfo(o: Obj, intern: Interner = new Interner()): NamespaceInfo {
  const m = meta(o, intern);
  return { name: intern.str(m.name), uid: m.uid, creationMs: m.creationMs, labels: m.labels };
}

/** Converts a Node (plain JSON or typed object) to the view's record (`intern`: see podInfo). */
export function nodeInfo(o: Obj, intern: Interner = new Interner()): NodeInfo {
  const m = meta(o, intern);
  const spec = rec(o.spec);
  const status = rec(o.status);
  let ready = false;
  for (const c of Array.isArray(status.conditions) ? status.conditions : []) {
    const r = rec(c);
    if (r.type === 'Ready') ready = r.status === 'True';
  }
  const addresses: { type: string; address: string }[] = [];
  for (const a of Array.isArray(status.addresses) ? status.addresses : []) {
    const r = rec(a);
    addresses.push({ type: intern.str(str(r.type)), address: str(r.address) });
  }
  return {
    name: m.name,
    uid: m.uid,
    labels: m.labels,
    annotations: m.annotations,
    creationMs: m.creationMs,
    ready,
    unschedulable: spec.unschedulable === true,
    externalId: str(spec.externalID) || str(spec.providerID),
    addresses,
    capacity: intern.stringRecord(strings(status.capacity)),
    allocatable: intern.stringRecord(strings(status.allocatable)),
  };
}
