// Paged list requests to the API server as plain JSON (the typed client's deserializer is slow
// and heavy), shared by discovery and the eventer's event source.
import type https from 'node:https';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Agent, request } from 'undici';

type Obj = KubernetesObject & Record<string, unknown>;

/** Lists API collections page by page with the kube config's server, CA and credentials. */
export class PagedLister {
  private agent: Agent | undefined;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly opts: { pageSize: number; timeoutMs: number },
  ) {}

  /**
   * GETs `path` (e.g. `/api/v1/pods`) with `limit` and `continue` until the last page, calling
   * `onItem` for every item; resolves with the list's resourceVersion. A non-200 answer rejects
   * with an error carrying `statusCode` and naming the path.
   */
  async list(path: string, onItem: (item: Obj) => void): Promise<string> {
    const kc = this.kubeConfig;
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
    let resourceVersion = '';
    let cont = '';
    do {
      const url = new URL(cluster.server.replace(/\/+$/, '') + path);
      url.searchParams.set('limit', String(this.opts.pageSize));
      if (cont) url.searchParams.set('continue', cont);
      const res = await request(url, {
        dispatcher: this.agent,
        headers,
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
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
      if (body.items) for (const it of body.items) onItem(it);
      resourceVersion = body.metadata?.resourceVersion ?? '';
      cont = body.metadata?.continue ?? '';
    } while (cont);
    return resourceVersion;
  }

  async close(): Promise<void> {
    await this.agent?.close();
    this.agent = undefined;
  }
}
