import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimApiServer } from './api-server.js';
import { ClusterModel } from './cluster-model.js';
import type { Fault, FaultKind } from './faults.js';
import { isFaultKind } from './faults.js';
import { KubeletFleet } from './kubelet-server.js';
import type { KubeletRequestCounts } from './kubelet-server.js';
import type { ClusterTruth } from './truth.js';
import { clusterTruth } from './truth.js';

/** Options of a simulated cluster; everything but the sizes has a default. */
export interface SimulatorOptions {
  nodes: number;
  podsPerNode: number;
  containersPerPod: number;
  /** Default 1. */
  seed?: number;
  /** API server address; default 127.0.0.1, port 0 (a free one). */
  apiHost?: string;
  apiPort?: number;
  /** Kubelet port on every node address; default 0 (a free one, the same on all nodes). */
  kubeletPort?: number;
  /** PEM cert/key for HTTPS on the API server and (with kubeletHttps) the kubelets. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Serve the kubelets over HTTPS (needs `tls`). */
  kubeletHttps?: boolean;
  /** Bearer token the API server and kubelets require; none by default. */
  token?: string;
  /** Pods replaced per minute (0: none). */
  churnPerMin?: number;
  /** Container restarts per minute (0: none). */
  restartPerMin?: number;
  /** Faults at start: node index → kind. */
  faults?: Map<number, FaultKind>;
  /** Delay of `slow` nodes; default 5000 ms. */
  slowDelayMs?: number;
  /** Watch cache per resource kind; default 10,000 changes. */
  watchCacheSize?: number;
  /** BOOKMARK interval on watches that allow them; default 60 s. */
  bookmarkIntervalMs?: number;
  /** Wall clock (ms); tests pass a manual one to control time. Default Date.now. */
  nowMs?: () => number;
}

/** A running simulated cluster. */
export interface Simulator {
  /** The `--source=` value for heapster's summary source (without `--source=`). */
  readonly sourceUri: string;
  /** Base URL of the API server, e.g. `http://127.0.0.1:PORT`. */
  readonly apiUrl: string;
  readonly kubeletPort: number;
  readonly model: ClusterModel;
  /** Kubelet requests answered so far. */
  readonly kubeletRequests: KubeletRequestCounts;
  /** The true rates and sizes right now (same as `GET /truth`). */
  truth(): ClusterTruth;
  /** Sets a node's fault by node name; `none` clears it. Throws for an unknown node. */
  setFault(node: string, kind: FaultKind, delayMs?: number): void;
  /** Replaces one pod now (watch DELETED + ADDED). */
  churn(): void;
  /** Restarts one container now (watch MODIFIED). */
  restart(): void;
  /**
   * Restarts the API server like a real one: closes it (every watch and connection), waits
   * `downMs` (connections are refused meanwhile) and listens again on the same port. The
   * cluster state, resource versions and watch cache survive, as they would in etcd.
   */
  restartApi(downMs?: number): Promise<void>;
  /** Stops timers, watches, the API server and the kubelets. */
  stop(): Promise<void>;
}

/**
 * The `--source` value for a simulator at `apiUrl` (summary source; §3.1 options, plus the
 * kubernetes sources' `kubeletInsecureTls` since the simulator's certificate is self-made;
 * `insecure=true` when the API server itself is HTTPS).
 */
export function simulatorSourceUri(
  apiUrl: string,
  kubeletPort: number,
  kubeletHttps: boolean,
): string {
  const apiTls = apiUrl.startsWith('https:') ? '&insecure=true' : '';
  const kubeletTls = kubeletHttps ? '&kubeletHttps=true&kubeletInsecureTls=true' : '';
  return `kubernetes.summary_api:${apiUrl}?inClusterConfig=false&kubeletPort=${kubeletPort}${kubeletTls}${apiTls}`;
}

/**
 * Starts a simulated cluster in this process: the model, one kubelet per node on its own
 * loopback address, and the API server. Resolves when everything listens; rejects (having
 * released what it bound) when an address or port cannot be bound.
 */
export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const nowMs = opts.nowMs ?? Date.now;
  const slowDelayMs = opts.slowDelayMs ?? 5000;
  if (opts.kubeletHttps && !opts.tls)
    throw new Error('kubelet HTTPS needs a TLS certificate and key');
  const model = new ClusterModel({
    nodes: opts.nodes,
    podsPerNode: opts.podsPerNode,
    containersPerPod: opts.containersPerPod,
    seed: opts.seed ?? 1,
    nowMs,
  });
  const fleet = new KubeletFleet({
    model,
    port: opts.kubeletPort ?? 0,
    tls: opts.kubeletHttps ? opts.tls : undefined,
    token: opts.token,
  });
  const setFault = (nodeIndex: number, kind: FaultKind, delayMs = slowDelayMs) => {
    const node = model.nodes[nodeIndex];
    fleet.setFault(nodeIndex, { kind, delayMs } satisfies Fault);
    model.setReady(node, kind !== 'notready');
  };
  for (const [index, kind] of opts.faults ?? []) setFault(index, kind);
  const truth = () => clusterTruth(model, (i) => fleet.fault(i).kind);

  const extraRoutes = (req: IncomingMessage, res: ServerResponse, url: URL): boolean => {
    const send = (code: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(code, { 'content-type': 'application/json' }).end(text);
    };
    if (url.pathname === '/truth' && req.method === 'GET') {
      send(200, truth());
      return true;
    }
    const m = /^\/sim\/nodes\/([^/]+)\/fault$/.exec(url.pathname);
    if (m && (req.method === 'PUT' || req.method === 'POST')) {
      const kind = url.searchParams.get('kind') ?? '';
      const node = model.node(decodeURIComponent(m[1]));
      const delay = Number(url.searchParams.get('delayMs') ?? slowDelayMs);
      if (!node) send(404, { error: `no node ${m[1]}` });
      else if (!isFaultKind(kind)) send(400, { error: `kind=${kind} is not a fault kind` });
      else if (!Number.isFinite(delay) || delay < 0) send(400, { error: 'delayMs must be >= 0' });
      else {
        setFault(node.index, kind, delay);
        send(200, { node: node.name, kind, delayMs: delay });
      }
      return true;
    }
    if (url.pathname === '/sim/churn' && req.method === 'POST') {
      const r = model.churnPod();
      send(200, { deleted: r?.deleted.name, added: r?.added.name });
      return true;
    }
    if (url.pathname === '/sim/restart' && req.method === 'POST') {
      const r = model.restartContainer();
      send(200, { pod: r?.pod.name, container: r?.container.name });
      return true;
    }
    return false;
  };

  const api = new SimApiServer({
    model,
    kubeletPort: () => fleet.port,
    watchCacheSize: opts.watchCacheSize ?? 10_000,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
    tls: opts.tls,
    token: opts.token,
    extraRoutes,
  });
  const kubeletPort = await fleet.start();
  try {
    await new Promise<void>((resolve, reject) => {
      api.server.once('error', reject);
      api.server.listen(opts.apiPort ?? 0, opts.apiHost ?? '127.0.0.1', () => resolve());
    });
  } catch (err) {
    await fleet.stop();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(
      `API server: cannot listen on ${opts.apiHost ?? '127.0.0.1'}:${opts.apiPort ?? 0}: ${message}`,
    );
  }
  const addr = api.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const host = opts.apiHost ?? '127.0.0.1';
  const apiUrl = `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const timers: NodeJS.Timeout[] = [];
  if (opts.churnPerMin && opts.churnPerMin > 0)
    timers.push(setInterval(() => model.churnPod(), 60_000 / opts.churnPerMin));
  if (opts.restartPerMin && opts.restartPerMin > 0)
    timers.push(setInterval(() => model.restartContainer(), 60_000 / opts.restartPerMin));

  return {
    sourceUri: simulatorSourceUri(apiUrl, kubeletPort, !!opts.kubeletHttps),
    apiUrl,
    kubeletPort,
    model,
    kubeletRequests: fleet.counts,
    truth,
    setFault: (name, kind, delayMs) => {
      const node = model.node(name);
      if (!node) throw new Error(`no simulated node "${name}"`);
      setFault(node.index, kind, delayMs);
    },
    churn: () => void model.churnPod(),
    restart: () => void model.restartContainer(),
    restartApi: async (downMs = 0) => {
      await api.close();
      await new Promise((r) => setTimeout(r, downMs));
      await new Promise<void>((resolve, reject) => {
        api.server.once('error', reject);
        api.server.listen(port, host, () => {
          api.server.off('error', reject);
          resolve();
        });
      });
    },
    stop: async () => {
      for (const t of timers) clearInterval(t);
      await Promise.all([api.close(), fleet.stop()]);
    },
  };
}
