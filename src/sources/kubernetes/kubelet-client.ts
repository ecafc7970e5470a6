// HTTP(S) client for kubelets: one keep-alive pool per kubelet, TLS verified against the
// cluster CA by default, bearer token, and a timeout on every request.
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';

/** How to reach kubelets. Durations in ms. */
export interface KubeletClientOptions {
  readonly port: number;
  readonly https: boolean;
  /** PEM CA bundle the kubelet serving certificates must chain to (https; system CAs when absent). */
  readonly caPem?: Buffer;
  /** Skip certificate verification (the `kubeletInsecureTls` option). */
  readonly insecureTls: boolean;
  /** Sent as `Authorization: Bearer` over https only (never over plain http). */
  readonly token?: string;
  /** Timeout of one request, headers and body included. */
  readonly timeoutMs: number;
  /** Requests in flight at most (the rest wait; their timeout starts when sent). */
  readonly maxConcurrent?: number;
}

/** A kubelet request failure that says which node, what went wrong and how to fix it. */
export class KubeletError extends Error {
  override readonly name = 'KubeletError';
  constructor(
    message: string,
    readonly kind: 'timeout' | 'http' | 'tls' | 'connect' | 'format',
  ) {
    super(message);
  }
}

const TLS_NAME_CODES = new Set(['ERR_TLS_CERT_ALTNAME_INVALID']);
const TLS_CA_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/**
 * Fetches kubelet endpoints. `get` resolves with the body text of a 200 answer and rejects
 * with a KubeletError otherwise: HTTP status, timeout after `timeoutMs`, refused
 * connection, or a TLS failure whose message says the certificate lacks the node's address
 * in its SANs (or is not signed by the CA) and names `kubeletInsecureTls=true`.
 */
export class KubeletClient {
  private readonly agent: Agent;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly maxConcurrent: number;

  constructor(private readonly opts: KubeletClientOptions) {
    this.maxConcurrent = opts.maxConcurrent ?? 256;
    this.agent = new Agent({
      keepAliveTimeout: 120_000,
      keepAliveMaxTimeout: 600_000,
      connections: 2,
      connect: opts.https
        ? { ca: opts.caPem, rejectUnauthorized: !opts.insecureTls, timeout: opts.timeoutMs }
        : { timeout: opts.timeoutMs },
    });
  }

  /** GET `path` from the kubelet at `address` (IP or host name); body as text. */
  async get(
    address: string,
    path: string,
    nodeName: string,
    signal?: AbortSignal,
  ): Promise<string> {
    await this.acquire(signal);
    try {
      return await this.fetch(address, path, nodeName, signal);
    } finally {
      this.release();
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async fetch(
    address: string,
    path: string,
    nodeName: string,
    signal?: AbortSignal,
  ): Promise<string> {
    const host = address.includes(':') ? `[${address}]` : address;
    const url = `${this.opts.https ? 'https' : 'http'}://${host}:${this.opts.port}${path}`;
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const headers: Record<string, string> = { accept: '*/*' };
    if (this.opts.https && this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        dispatcher: this.agent,
        headers,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      throw this.describe(err, url, nodeName, address, timeout);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw this.describe(err, url, nodeName, address, timeout);
    }
    if (res.statusCode !== 200) {
      const hint =
        res.statusCode === 401 || res.statusCode === 403
          ? ' (the token needs RBAC access to nodes/stats and nodes/metrics)'
          : '';
      throw new KubeletError(
        `node ${nodeName}: GET ${url}: HTTP ${res.statusCode}${hint}: ${text.slice(0, 200)}`,
        'http',
      );
    }
    return text;
  }

  private describe(
    err: unknown,
    url: string,
    nodeName: string,
    address: string,
    timeout: AbortSignal,
  ): KubeletError {
    const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
    const code = e.code ?? e.cause?.code ?? '';
    if (timeout.aborted) {
      return new KubeletError(
        `node ${nodeName}: GET ${url}: no answer within ${this.opts.timeoutMs} ms (option kubeletTimeout)`,
        'timeout',
      );
    }
    if (TLS_NAME_CODES.has(code)) {
      return new KubeletError(
        `node ${nodeName}: the kubelet's serving certificate does not name ${address} in its subject ` +
          `alternative names (${e.message}); reissue it with the node's address as an IP SAN, ` +
          `or add kubeletInsecureTls=true to the --source options to skip kubelet certificate verification`,
        'tls',
      );
    }
    if (TLS_CA_CODES.has(code)) {
      return new KubeletError(
        `node ${nodeName}: the kubelet's serving certificate is not signed by the cluster CA (${code}); ` +
          `give the CA with kubeletCaFile=<pem>, or add kubeletInsecureTls=true to skip kubelet certificate verification`,
        'tls',
      );
    }
    const kind = code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connect' : 'http';
    return new KubeletError(
      `node ${nodeName}: GET ${url}: ${code ? code + ' ' : ''}${e.message}`,
      kind,
    );
  }

  private async acquire(signal?: AbortSignal): Promise<void> {
    if (this.inFlight < this.maxConcurrent) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        this.inFlight++;
        resolve();
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(go);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new KubeletError('scrape aborted before the request was sent', 'timeout'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(go);
    });
  }

  private release(): void {
    this.inFlight--;
    const next = this.waiting.shift();
    if (next) next();
  }
}
