import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterModel, SimNode } from './cluster-model.js';
import { floorSecondMs } from './cluster-model.js';
import type { Fault } from './faults.js';
import { podObject } from './kube-objects.js';
import {
  PROMETHEUS_CONTENT_TYPE,
  buildCadvisorMetrics,
  buildResourceMetrics,
} from './prometheus-format.js';
import { buildSummary } from './summary-format.js';

/** How the simulated kubelets serve. */
export interface KubeletFleetOptions {
  model: ClusterModel;
  /** Same port on every node address; 0 picks a free one (the same for all nodes). */
  port: number;
  /** PEM certificate and key: serve HTTPS instead of HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** When set, requests must carry `Authorization: Bearer <token>` (else 401). */
  token?: string;
}

/** Requests answered, per endpoint, over all nodes (for tests and benchmarks). */
export interface KubeletRequestCounts {
  summary: number;
  resource: number;
  cadvisor: number;
  other: number;
}

const HEALTHY: Fault = { kind: 'none', delayMs: 0 };

/**
 * One kubelet per simulated node, each on the node's own loopback address and the same
 * port. One HTTP(S) request handler serves them all: a small listening socket per address
 * hands its connections to it, and the node is found from the socket's local address.
 * Endpoints: `/stats/summary`, `/metrics/resource`, `/metrics/cadvisor`, `/pods`,
 * `/healthz`; per-node faults (see Fault) apply to all of them but /healthz.
 */
export class KubeletFleet {
  readonly counts: KubeletRequestCounts = { summary: 0, resource: 0, cadvisor: 0, other: 0 };
  private readonly byAddress = new Map<string, SimNode>();
  private readonly faults = new Map<number, Fault>();
  private readonly listeners: net.Server[] = [];
  private readonly handler: http.Server | https.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private boundPort = 0;

  constructor(private readonly opts: KubeletFleetOptions) {
    for (const n of opts.model.nodes) this.byAddress.set(n.address, n);
    const onRequest = (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res);
    this.handler = opts.tls
      ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest)
      : http.createServer(onRequest);
    this.handler.keepAliveTimeout = 120_000;
  }

  /** The port every kubelet listens on (after start). */
  get port(): number {
    return this.boundPort;
  }

  /** Current fault of a node. */
  fault(nodeIndex: number): Fault {
    return this.faults.get(nodeIndex) ?? HEALTHY;
  }

  /** Sets (or clears, with kind `none`) a node's fault; takes effect for the next request. */
  setFault(nodeIndex: number, fault: Fault): void {
    if (fault.kind === 'none') this.faults.delete(nodeIndex);
    else this.faults.set(nodeIndex, fault);
  }

  /**
   * Binds every node address at the port. With port 0 a free port is picked on the first
   * address and retried (up to 5 times) if another address has it taken. Rejects with
   * an error naming the address and port when binding fails.
   */
  async start(): Promise<number> {
    const nodes = this.opts.model.nodes;
    for (let attempt = 0; ; attempt++) {
      try {
        const port = await this.listenOne(nodes[0].address, this.opts.port);
        for (let i = 1; i < nodes.length; i += 256) {
          await Promise.all(nodes.slice(i, i + 256).map((n) => this.listenOne(n.address, port)));
        }
        this.boundPort = port;
        return port;
      } catch (err) {
        await this.closeListeners();
        if (this.opts.port !== 0 || attempt >= 4) throw err;
      }
    }
  }

  private listenOne(address: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const srv = net.createServer({ noDelay: true }, (socket) => {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        this.handler.emit('connection', socket);
      });
      srv.once('error', (err) =>
        reject(
          new Error(`kubelet of ${address}: cannot listen on ${address}:${port}: ${err.message}`),
        ),
      );
      srv.listen({ host: address, port, backlog: 511 }, () => {
        this.listeners.push(srv);
        const a = srv.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  private async closeListeners(): Promise<void> {
    const all = this.listeners.splice(0);
    await Promise.all(all.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  /** Stops listening and drops every connection, including hung requests. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closing = this.closeListeners();
    for (const s of this.sockets) s.destroy();
    await closing;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const node = this.byAddress.get(req.socket.localAddress ?? '');
    if (!node) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('no simulated node on this address\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok');
      return;
    }
    if (
      this.opts.token !== undefined &&
      req.headers.authorization !== `Bearer ${this.opts.token}`
    ) {
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' }).end('Unauthorized\n');
      return;
    }
    const fault = this.fault(node.index);
    switch (fault.kind) {
      case 'hang':
        return; // Never answered; the socket is destroyed at stop().
      case 'error500':
        res
          .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
          .end(`Internal Error: failed to get stats for node "${node.name}": simulated fault\n`);
        return;
      case 'slow': {
        const t = setTimeout(() => {
          this.timers.delete(t);
          if (!res.destroyed) this.serve(node, path, res, false);
        }, fault.delayMs);
        this.timers.add(t);
        return;
      }
      default:
        this.serve(node, path, res, fault.kind === 'malformed');
    }
  }

  private serve(node: SimNode, path: string, res: ServerResponse, malformed: boolean): void {
    const tMs = floorSecondMs(this.opts.model.nowMs());
    let body: string;
    let type: string;
    switch (path) {
      case '/stats/summary':
      case '/stats/summary/':
        this.counts.summary++;
        body = JSON.stringify(buildSummary(node, tMs));
        type = 'application/json';
        break;
      case '/metrics/resource':
      case '/metrics/resource/v1alpha1':
        this.counts.resource++;
        body = buildResourceMetrics(node, tMs);
        type = PROMETHEUS_CONTENT_TYPE;
        break;
      case '/metrics/cadvisor':
        this.counts.cadvisor++;
        body = buildCadvisorMetrics(node, tMs);
        type = PROMETHEUS_CONTENT_TYPE;
        break;
      case '/pods':
      case '/pods/':
        this.counts.other++;
        body = JSON.stringify({
          kind: 'PodList',
          apiVersion: 'v1',
          metadata: {},
          items: node.pods.map((p) => podObject(p, node.name, node.address)),
        });
        type = 'application/json';
        break;
      default:
        this.counts.other++;
        res
          .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
          .end('404 page not found\n');
        return;
    }
    if (malformed) {
      // Cut mid-document; for Prometheus text also a line no parser accepts.
      body = body.slice(0, Math.floor(body.length / 2));
      if (type === PROMETHEUS_CONTENT_TYPE) body += '{{malformed\n';
    }
    res
      .writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
      .end(body);
  }
}
