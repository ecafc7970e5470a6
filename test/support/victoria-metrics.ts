import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from './server-process.js';
import { freePort } from './services.js';

/** Where Debian's `victoria-metrics` package installs the single-node server. */
export const VICTORIA_METRICS_BIN = '/usr/bin/victoria-metrics';

/** True when the VictoriaMetrics binary is installed. */
export function haveVictoriaMetrics(): boolean {
  return existsSync(VICTORIA_METRICS_BIN);
}

/** One element of an instant-vector query result. */
export interface VmSample {
  metric: Record<string, string>;
  /** [unix seconds, value as string] */
  value: [number, string];
}

/** A real VictoriaMetrics on 127.0.0.1 with its data in a temp dir. */
export interface VictoriaMetricsServer {
  /** HTTP API, e.g. `http://127.0.0.1:8428` (remote write: `${url}/api/v1/write`). */
  readonly url: string;
  /** Graphite plaintext listener port (TCP and UDP) on 127.0.0.1. */
  readonly graphitePort: number;
  /** OpenTSDB HTTP listener (`POST /api/put`), e.g. `http://127.0.0.1:4242`. */
  readonly opentsdbUrl: string;
  /**
   * Instant PromQL/MetricsQL query at `timeS` (unix seconds; default now), cache bypassed.
   * Calls `/internal/force_flush` first so that points received so far are searchable.
   */
  query(promql: string, timeS?: number): Promise<VmSample[]>;
  /** Stops the server and removes its data dir. */
  stop(): Promise<void>;
}

/**
 * Starts `victoria-metrics` on free loopback ports (HTTP, Graphite, OpenTSDB HTTP) with
 * `-search.latencyOffset=0s` and the response cache disabled; `query` forces a flush so
 * fresh points are queryable at once. Resolves once `/health` answers 200.
 */
export async function startVictoriaMetrics(): Promise<VictoriaMetricsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-vm-'));
  const port = await freePort();
  const graphitePort = await freePort();
  const opentsdbPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startServerProcess({
    name: 'victoria-metrics /health',
    bin: VICTORIA_METRICS_BIN,
    args: [
      `-storageDataPath=${dir}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      `-graphiteListenAddr=127.0.0.1:${graphitePort}`,
      `-opentsdbHTTPListenAddr=127.0.0.1:${opentsdbPort}`,
      '-search.latencyOffset=0s',
      '-search.disableCache',
      '-loggerLevel=ERROR',
    ],
    dataDir: dir,
    ready: async () => (await fetch(`${url}/health`)).status === 200,
  });
  const stop = server.stop;
  return {
    url,
    graphitePort,
    opentsdbUrl: `http://127.0.0.1:${opentsdbPort}`,
    async query(promql, timeS) {
      await (await fetch(`${url}/internal/force_flush`)).arrayBuffer();
      const params = new URLSearchParams({ query: promql, nocache: '1' });
      if (timeS !== undefined) params.set('time', String(timeS));
      const r = await fetch(`${url}/api/v1/query?${params}`);
      const body = (await r.json()) as {
        status: string;
        error?: string;
        data?: { result: VmSample[] };
      };
      if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
      return body.data?.result ?? [];
    },
    stop,
  };
}
