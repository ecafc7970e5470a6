import { Agent, request } from 'undici';

/** A failure talking to the server; `top` prints `error: <message>` and exits 1. */
export class TopError extends Error {}

/** `types.MetricResult` of the Model API. */
export interface MetricResult {
  metrics: { timestamp: string; value: number; floatValue?: number }[];
  latestTimestamp: string;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_BODY_TIMEOUT: 'no answer in time',
  UND_ERR_SOCKET: 'connection closed',
};

function reasonOf(err: unknown, timeoutMs: number): string {
  const e = err as { code?: string; name?: string; cause?: { code?: string }; message?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return `no answer within ${timeoutMs / 1000}s`;
  }
  const code = e.code ?? e.cause?.code;
  return (code && REASONS[code]) ?? e.message ?? String(err);
}

/**
 * Reads JSON from a heapster's HTTP API over a keep-alive pool of at most `concurrency`
 * connections; every request is aborted after `timeoutMs`. Failures reject with a TopError
 * whose message names the server and what went wrong.
 */
export class ModelClient {
  private readonly agent: Agent;

  constructor(
    readonly server: string,
    private readonly opts: { timeoutMs: number; concurrency?: number },
  ) {
    this.agent = new Agent({
      connections: opts.concurrency ?? 8,
      connectTimeout: opts.timeoutMs,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
  }

  /** GET `path` (already encoded, starting with `/`) and parse the JSON body. */
  async getJson<T>(path: string): Promise<T> {
    let text: string;
    let status: number;
    try {
      const res = await request(this.server + path, {
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        headers: { accept: 'application/json' },
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw new TopError(
        `cannot reach heapster at ${this.server}: ${reasonOf(err, this.opts.timeoutMs)}`,
      );
    }
    if (status !== 200) {
      throw new TopError(
        `heapster at ${this.server} answered ${status} for ${path}${text ? `: ${text.slice(0, 200)}` : ''}`,
      );
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new TopError(
        `heapster at ${this.server} did not answer JSON for ${path} (is it a heapster?)`,
      );
    }
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}

/**
 * Latest value of a MetricResult (points come in time order: the last one; its `floatValue`
 * when present, else `value`); undefined when it has no points.
 */
export function latestValue(r: MetricResult | undefined): number | undefined {
  const points = r?.metrics;
  if (!points || points.length === 0) return undefined;
  const last = points[points.length - 1];
  return last.floatValue ?? last.value;
}
