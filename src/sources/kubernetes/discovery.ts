// Discovery of nodes, pods and namespaces: list+watch informers (@kubernetes/client-node)
// that restart after errors (API server down or restarted) and relist after 410 Gone.
import type https from 'node:https';
import type {
  Informer,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  ObjectCache,
} from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { clientNode } from './client-node.js';
import type { Logger } from '../../core/log.js';
import type {
  ClusterView,
  ContainerSpecInfo,
  NamespaceInfo,
  NodeInfo,
  PodInfo,
} from './cluster-view.js';
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
type Kind = 'nodes' | 'pods' | 'namespaces';
const PATHS: Readonly<Record<Kind, string>> = {
  nodes: '/api/v1/nodes',
  pods: '/api/v1/pods',
  namespaces: '/api/v1/namespaces',
};

/**
 * Watches nodes, pods and namespaces of one API server and answers `ClusterView` lookups
 * from the informers' caches (objects are converted to the view's records lazily, once per
 * object version). `start` returns at once; `waitForSync` waits for the first lists. A
 * failed list or watch is logged and retried with backoff forever, so an API server restart
 * or a 410 Gone only delays updates; the caches keep serving the last known state.
 */
export class KubernetesDiscovery implements ClusterView {
  private readonly informers = new Map<Kind, Informer<Obj> & ObjectCache<Obj>>();
  private readonly syncedKinds = new Set<Kind>();
  private readonly backoffMs = new Map<Kind, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly podInfos = new WeakMap<object, PodInfo>();
  private readonly nodeInfos = new WeakMap<object, NodeInfo>();
  private readonly nsInfos = new WeakMap<object, NamespaceInfo>();
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly logger: Logger;
  private agent: Agent | undefined;
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
      const informer = makeInformer<Obj>(this.opts.kubeConfig, PATHS[kind], () => this.list(kind));
      informer.on(ERROR, (err: unknown) => this.onError(kind, err));
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
    await this.agent?.close();
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
    return o === undefined ? undefined : this.toPod(o);
  }

  *pods(): Iterable<PodInfo> {
    const i = this.informers.get('pods');
    if (i === undefined) return;
    for (const o of i.list()) yield this.toPod(o);
  }

  node(name: string): NodeInfo | undefined {
    const o = this.informers.get('nodes')?.get(name);
    return o === undefined ? undefined : this.toNode(o);
  }

  *nodes(): Iterable<NodeInfo> {
    const i = this.informers.get('nodes');
    if (i === undefined) return;
    for (const o of i.list()) yield this.toNode(o);
  }

  namespace(name: string): NamespaceInfo | undefined {
    const o = this.informers.get('namespaces')?.get(name);
    if (o === undefined) return undefined;
    let info = this.nsInfos.get(o);
    if (info === undefined) {
      const m = meta(o);
      info = { name: m.name, uid: m.uid, creationMs: m.creationMs, labels: m.labels };
      this.nsInfos.set(o, info);
    }
    return info;
  }

  private toPod(o: Obj): PodInfo {
    let info = this.podInfos.get(o);
    if (info === undefined) {
      info = podInfo(o);
      this.podInfos.set(o, info);
    }
    return info;
  }

  private toNode(o: Obj): NodeInfo {
    let info = this.nodeInfos.get(o);
    if (info === undefined) {
      info = nodeInfo(o);
      this.nodeInfos.set(o, info);
    }
    return info;
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
  private async list(kind: Kind): Promise<KubernetesListObject<Obj>> {
    const kc = this.opts.kubeConfig;
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error('no current cluster in the kube config');
    const httpsOpts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(httpsOpts);
    this.agent ??= new Agent({
      connect: {
        ca: httpsOpts.ca,
        cert: httpsOpts.cert,
        key: httpsOpts.key,
        rejectUnauthorized: !cluster.skipTLSVerify,
      },
    });
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [k, v] of Object.entries(httpsOpts.headers ?? {})) {
      if (typeof v === 'string' || typeof v === 'number') headers[k.toLowerCase()] = String(v);
    }
    if (httpsOpts.auth) {
      headers.authorization = 'Basic ' + Buffer.from(httpsOpts.auth).toString('base64');
    }
    const items: Obj[] = [];
    let resourceVersion = '';
    let cont = '';
    do {
      const url = new URL(cluster.server.replace(/\/+$/, '') + PATHS[kind]);
      url.searchParams.set('limit', String(this.opts.pageSize ?? 5000));
      if (cont) url.searchParams.set('continue', cont);
      const res = await request(url, {
        dispatcher: this.agent,
        headers,
        headersTimeout: this.opts.listTimeoutMs ?? 60_000,
        bodyTimeout: this.opts.listTimeoutMs ?? 60_000,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        const err = new Error(`GET ${url.pathname}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
        (err as Error & { statusCode: number }).statusCode = res.statusCode;
        throw err;
      }
      const body = JSON.parse(text) as {
        items?: Obj[];
        metadata?: { resourceVersion?: string; continue?: string };
      };
      if (body.items) for (const it of body.items) items.push(it);
      resourceVersion = body.metadata?.resourceVersion ?? '';
      cont = body.metadata?.continue ?? '';
    } while (cont);
    this.backoffMs.delete(kind);
    // The informer adds the items right after this resolves; mark synced after that.
    setImmediate(() => this.syncedKinds.add(kind));
    return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion }, items };
  }
}

interface Meta {
  name: string;
  namespace: string;
  uid: string;
  creationMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
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

function meta(o: Obj): Meta {
  const m = rec(o.metadata);
  return {
    name: str(m.name),
    namespace: str(m.namespace),
    uid: str(m.uid),
    creationMs: timeMs(m.creationTimestamp) ?? 0,
    labels: strings(m.labels),
    annotations: strings(m.annotations),
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

/** Converts a Pod (plain JSON or typed object) to the view's record. */
export function podInfo(o: Obj): PodInfo {
  const m = meta(o);
  const spec = rec(o.spec);
  const status = rec(o.status);
  const containers: ContainerSpecInfo[] = [];
  for (const c of Array.isArray(spec.containers) ? spec.containers : []) {
    const r = rec(c);
    const res = rec(r.resources);
    containers.push({
      name: str(r.name),
      image: str(r.image),
      requests: resources(res.requests),
      limits: resources(res.limits),
    });
  }
  const restartCounts = new Map<string, number>();
  for (const s of Array.isArray(status.containerStatuses) ? status.containerStatuses : []) {
    const r = rec(s);
    if (typeof r.restartCount === 'number') restartCounts.set(str(r.name), r.restartCount);
  }
  return {
    name: m.name,
    namespace: m.namespace,
    uid: m.uid,
    nodeName: str(spec.nodeName),
    labels: m.labels,
    phase: str(status.phase),
    creationMs: m.creationMs,
    startMs: timeMs(status.startTime),
    containers,
    restartCounts,
  };
}

/** Converts a Node (plain JSON or typed object) to the view's record. */
export function nodeInfo(o: Obj): NodeInfo {
  const m = meta(o);
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
    addresses.push({ type: str(r.type), address: str(r.address) });
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
    capacity: strings(status.capacity),
    allocatable: strings(status.allocatable),
  };
}
