import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterModel, ModelChange } from './cluster-model.js';
import { NAMESPACES } from './cluster-model.js';
import type { KubeObject } from './kube-objects.js';
import {
  eventObject,
  namespaceObject,
  nodeObject,
  podObject,
  statusObject,
} from './kube-objects.js';
import { SelectorError, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { WatchLog } from './watch-log.js';

/** What the simulated API server serves and how. */
export interface ApiServerOptions {
  model: ClusterModel;
  /** Port the kubelets listen on (reported in each Node's daemonEndpoints). */
  kubeletPort: () => number;
  /** Changes kept per resource kind for watches; older resource versions get 410 Gone. */
  watchCacheSize: number;
  /** How often an open watch with allowWatchBookmarks=true gets a BOOKMARK. */
  bookmarkIntervalMs: number;
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** When set, API requests must carry `Authorization: Bearer <token>` (else 401). */
  token?: string;
  /** Extra routes (truth, fault control): return true when handled. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;
}

type KindName = 'nodes' | 'pods' | 'namespaces' | 'events';

interface Kind {
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly fields: readonly string[];
  readonly log: WatchLog;
  /** Every object of the kind now, optionally only in `namespace` (made lazily). */
  objects(namespace?: string): Iterable<KubeObject>;
}

const EVENTS_KEPT = 1000;
/** How long a paged list's snapshot waits for its next page. */
const PAGED_LIST_TTL_MS = 60_000;
const DEFAULT_WATCH_TIMEOUT_S = 1800;

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(res, code, statusObject(code, reason, message));
}

/** `true`, `1` and an empty value (`?watch`) are true, like the API server's boolean params. */
function boolParam(url: URL, name: string): boolean {
  const v = url.searchParams.get(name);
  return v !== null && (v === '' || v === 'true' || v === '1');
}

/**
 * A subset of the Kubernetes API server over plain JSON, enough for client-go style
 * informers and for `@kubernetes/client-node` `makeInformer`: discovery (`/api`, `/apis`,
 * `/api/v1`, `/version`), list, get and watch of nodes, pods, namespaces and events, with
 * resource versions, `labelSelector`, `fieldSelector`, `limit`/`continue`,
 * `timeoutSeconds`, `allowWatchBookmarks`, and a 410 Expired error for a resource version
 * older than the watch cache. Model changes become watch events as they happen.
 */
export class SimApiServer {
  readonly server: http.Server | https.Server;
  private readonly kinds: Record<KindName, Kind>;
  private readonly events: KubeObject[] = [];
  /**
   * Paged lists in progress: the matching objects as of the first page and its resource
   * version (every page reports it, so a watch from it misses nothing), by list id (in the
   * continue token). Later pages slice the snapshot instead of making every object again:
   * making all 150,000 pods of a 5,000-node cluster per page took 1.3 s, 45 s per paged list.
   * Dropped after the last page, or PAGED_LIST_TTL_MS after the list's last page request.
   */
  private readonly pagedLists = new Map<
    number,
    { items: KubeObject[]; rv: number; expiresMs: number }
  >();
  private nextListId = 1;
  private readonly openWatches = new Set<() => void>();

  constructor(private readonly opts: ApiServerOptions) {
    const model = opts.model;
    const startRv = model.currentResourceVersion();
    const nsRv = new Map<string, number>(NAMESPACES.map((ns) => [ns, startRv]));
    const mk = (
      listKind: string,
      namespaced: boolean,
      fields: string[],
      objects: Kind['objects'],
    ): Kind => ({
      listKind,
      namespaced,
      fields: ['metadata.name', ...(namespaced ? ['metadata.namespace'] : []), ...fields],
      log: new WatchLog(opts.watchCacheSize, startRv),
      objects,
    });
    this.kinds = {
      nodes: mk('NodeList', false, ['spec.unschedulable'], () =>
        model.nodes.map((n) => nodeObject(n, model.namespaceCreatedMs, opts.kubeletPort())),
      ),
      pods: mk('PodList', true, ['spec.nodeName', 'status.phase', 'status.podIP'], function* (ns) {
        for (const n of model.nodes) {
          for (const p of n.pods) {
            if (ns === undefined || p.namespace === ns) yield podObject(p, n.name, n.address);
          }
        }
      }),
      namespaces: mk('NamespaceList', false, ['status.phase'], () =>
        NAMESPACES.map((ns) =>
          namespaceObject(
            ns,
            model.namespaceUids.get(ns) ?? '',
            model.namespaceCreatedMs,
            nsRv.get(ns) ?? 1,
          ),
        ),
      ),
      events: mk(
        'EventList',
        true,
        ['involvedObject.name', 'involvedObject.kind', 'reason', 'type'],
        (ns) => this.events.filter((e) => ns === undefined || e.metadata.namespace === ns),
      ),
    };
    model.onChange((c) => this.onChange(c));
    const onRequest = (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res);
    this.server = opts.tls
      ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest)
      : http.createServer(onRequest);
    this.server.keepAliveTimeout = 120_000;
  }

  /** Open watch connections over all kinds. */
  get watchCount(): number {
    return this.openWatches.size;
  }

  /** Ends every open watch (clients see the stream close) and stops the server. */
  async close(): Promise<void> {
    for (const end of [...this.openWatches]) end();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private onChange(c: ModelChange): void {
    const model = this.opts.model;
    if (c.kind === 'pod') {
      const n = model.nodes[c.pod.nodeIndex];
      this.kinds.pods.log.append(
        c.pod.resourceVersion,
        c.type,
        podObject(c.pod, n.name, n.address),
      );
    } else if (c.kind === 'node') {
      this.kinds.nodes.log.append(
        c.node.resourceVersion,
        c.type,
        nodeObject(c.node, model.namespaceCreatedMs, this.opts.kubeletPort()),
      );
    } else {
      const obj = eventObject(c.event);
      this.events.push(obj);
      if (this.events.length > EVENTS_KEPT) this.events.shift();
      this.kinds.events.log.append(c.event.resourceVersion, 'ADDED', obj);
    }
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sim');
    } catch {
      sendStatus(res, 400, 'BadRequest', `bad request URL ${req.url}`);
      return;
    }
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/healthz' || path === '/readyz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (this.opts.extraRoutes?.(req, res, url)) return;
    if (
      this.opts.token !== undefined &&
      req.headers.authorization !== `Bearer ${this.opts.token}`
    ) {
      sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    if (req.method !== 'GET') {
      sendStatus(
        res,
        405,
        'MethodNotAllowed',
        `${req.method} is not supported by the simulated API server`,
      );
      return;
    }
    const host = req.headers.host ?? '127.0.0.1';
    switch (path) {
      case '/version':
        sendJson(res, 200, {
          major: '1',
          minor: '28',
          gitVersion: 'v1.28.0-heapster-sim',
          gitCommit: '0000000000000000000000000000000000000000',
          gitTreeState: 'clean',
          buildDate: '2024-01-01T00:00:00Z',
          goVersion: 'go1.21.0',
          compiler: 'gc',
          platform: 'linux/amd64',
        });
        return;
      case '/api':
        sendJson(res, 200, {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }],
        });
        return;
      case '/apis':
        sendJson(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
        return;
      case '/api/v1':
        sendJson(res, 200, {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: (['nodes', 'pods', 'namespaces', 'events'] as const).map((name) => ({
            name,
            singularName: name.slice(0, -1),
            namespaced: this.kinds[name].namespaced,
            kind: this.kinds[name].listKind.replace(/List$/, ''),
            verbs: ['get', 'list', 'watch'],
          })),
        });
        return;
    }
    const m =
      /^\/api\/v1\/(?:namespaces\/([^/]+)\/(pods|events)|(nodes|pods|namespaces|events))(?:\/([^/]+))?$/.exec(
        path,
      );
    if (!m) {
      sendStatus(
        res,
        404,
        'NotFound',
        `the server could not find the requested resource (${path})`,
      );
      return;
    }
    const namespace = m[1] !== undefined ? decodeURIComponent(m[1]) : undefined;
    const kindName = (m[2] ?? m[3]) as KindName;
    const name = m[4] !== undefined ? decodeURIComponent(m[4]) : undefined;
    const kind = this.kinds[kindName];
    if (name !== undefined) {
      const obj = [...kind.objects(namespace)].find((o) => o.metadata.name === name);
      if (obj) sendJson(res, 200, obj);
      else sendStatus(res, 404, 'NotFound', `${kindName} "${name}" not found`);
      return;
    }
    let match: (o: KubeObject) => boolean;
    try {
      const labels = url.searchParams.get('labelSelector');
      const fields = url.searchParams.get('fieldSelector');
      const lp = labels ? parseLabelSelector(labels) : undefined;
      const fp = fields ? parseFieldSelector(fields, kind.fields) : undefined;
      match = (o) => (!lp || lp(o.metadata.labels)) && (!fp || fp(o));
    } catch (err) {
      if (!(err instanceof SelectorError)) throw err;
      sendStatus(res, 400, 'BadRequest', err.message);
      return;
    }
    if (boolParam(url, 'watch')) this.watch(req, res, url, kind, namespace, match);
    else this.list(res, url, kind, namespace, match);
  }

  private list(
    res: ServerResponse,
    url: URL,
    kind: Kind,
    namespace: string | undefined,
    match: (o: KubeObject) => boolean,
  ): void {
    const rv = this.opts.model.currentResourceVersion();
    const asked = Number(url.searchParams.get('resourceVersion') ?? '');
    if (
      url.searchParams.get('resourceVersionMatch') === 'Exact' &&
      Number.isFinite(asked) &&
      asked < kind.log.compactedRv
    ) {
      sendStatus(
        res,
        410,
        'Expired',
        `too old resource version: ${asked} (${kind.log.compactedRv})`,
      );
      return;
    }
    let start = 0;
    let listId: number | undefined;
    const cont = url.searchParams.get('continue');
    if (cont) {
      let token: { rv: number; start: number; list?: number };
      try {
        token = JSON.parse(Buffer.from(cont, 'base64url').toString()) as {
          rv: number;
          start: number;
          list?: number;
        };
      } catch {
        sendStatus(res, 400, 'BadRequest', 'continue key is not valid');
        return;
      }
      if (token.rv < kind.log.compactedRv) {
        sendStatus(
          res,
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
        return;
      }
      start = token.start;
      listId = token.list;
    }
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    let items: Iterable<KubeObject>;
    if (limit > 0 || start > 0) {
      const now = Date.now();
      for (const [id, l] of this.pagedLists) if (l.expiresMs < now) this.pagedLists.delete(id);
      // The first page's snapshot (an unknown list id: one that expired, made anew).
      const known = listId === undefined ? undefined : this.pagedLists.get(listId);
      const all = known?.items ?? [...kind.objects(namespace)].filter(match);
      const listRv = known?.rv ?? rv;
      metadata.resourceVersion = String(listRv);
      const end = limit > 0 ? Math.min(all.length, start + limit) : all.length;
      const id = listId ?? this.nextListId++;
      if (end < all.length) {
        this.pagedLists.set(id, { items: all, rv: listRv, expiresMs: now + PAGED_LIST_TTL_MS });
        metadata.continue = Buffer.from(
          JSON.stringify({ rv: listRv, start: end, list: id }),
        ).toString('base64url');
        metadata.remainingItemCount = all.length - end;
      } else {
        this.pagedLists.delete(id);
      }
      items = all.slice(start, end);
    } else {
      items = kind.objects(namespace);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    void this.streamList(
      res,
      `{"kind":"${kind.listKind}","apiVersion":"v1","metadata":${JSON.stringify(metadata)},"items":[`,
      items,
      match,
    );
  }

  /**
   * Writes a list in ~1 MB chunks, waiting for the socket to drain: a 150,000-pod list is
   * a few hundred MB of JSON, made object by object so it is never all in memory.
   */
  private async streamList(
    res: ServerResponse,
    head: string,
    items: Iterable<KubeObject>,
    match: (o: KubeObject) => boolean,
  ): Promise<void> {
    let chunk = head;
    let first = true;
    for (const o of items) {
      if (!match(o)) continue;
      chunk += (first ? '' : ',') + JSON.stringify(o);
      first = false;
      if (chunk.length >= 1 << 20) {
        if (res.destroyed) return;
        const more = res.write(chunk);
        chunk = '';
        if (!more) {
          await new Promise<void>((resolve) => {
            const done = () => {
              res.off('drain', done).off('close', done);
              resolve();
            };
            res.on('drain', done).on('close', done);
          });
        }
      }
    }
    if (!res.destroyed) res.end(`${chunk}]}`);
  }

  private watch(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    kind: Kind,
    namespace: string | undefined,
    match: (o: KubeObject) => boolean,
  ): void {
    const rvText = url.searchParams.get('resourceVersion') ?? '';
    const timeoutS = Number(url.searchParams.get('timeoutSeconds') ?? DEFAULT_WATCH_TIMEOUT_S);
    const bookmarks = boolParam(url, 'allowWatchBookmarks');
    const wanted = (o: KubeObject) =>
      (namespace === undefined || o.metadata.namespace === namespace) && match(o);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const write = (line: string) => {
      if (!res.writableEnded && !res.destroyed) res.write(line);
    };
    const objKind = kind.listKind.replace(/List$/, '');
    const bookmark = () =>
      write(
        `{"type":"BOOKMARK","object":{"kind":"${objKind}","apiVersion":"v1","metadata":{"resourceVersion":"${this.opts.model.currentResourceVersion()}"}}}\n`,
      );
    if (rvText === '' || rvText === '0') {
      // No version: the current state as ADDED events first, like the API server.
      for (const o of kind.objects(namespace)) {
        if (match(o)) write(`{"type":"ADDED","object":${JSON.stringify(o)}}\n`);
      }
    } else {
      const rv = Number(rvText);
      const backlog = Number.isFinite(rv) ? kind.log.since(rv) : 'expired';
      if (backlog === 'expired') {
        const status = statusObject(
          410,
          'Expired',
          `too old resource version: ${rvText} (${kind.log.compactedRv})`,
        );
        res.end(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
        return;
      }
      for (const e of backlog) if (wanted(e.object)) write(e.line);
    }
    const unsubscribe = kind.log.subscribe((e) => {
      if (wanted(e.object)) write(e.line);
    });
    const timers: NodeJS.Timeout[] = [];
    const end = () => {
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.openWatches.delete(end);
      if (!res.writableEnded) res.end();
    };
    this.openWatches.add(end);
    if (Number.isFinite(timeoutS) && timeoutS > 0) {
      timers.push(
        setTimeout(() => {
          if (bookmarks) bookmark();
          end();
        }, timeoutS * 1000),
      );
    }
    if (bookmarks) {
      const t = setInterval(bookmark, this.opts.bookmarkIntervalMs);
      timers.push(t);
    }
    req.once('close', end);
    res.once('close', end);
  }
}
