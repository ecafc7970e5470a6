import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from './server-process.js';
import { freePort } from './services.js';

/** Where Debian's `prometheus` package installs the server. */
export const PROMETHEUS_BIN = process.env.HEAPSTER_PROMETHEUS_BIN ?? '/usr/bin/prometheus';

/** True when the Prometheus server binary is installed (Debian package `prometheus`). */
export function prometheusAvailable(): boolean {
  return existsSync(PROMETHEUS_BIN);
}

/** One scrape job: `target` is `host:port` (loopback only), `path` the metrics path. */
export interface ScrapeTarget {
  job: string;
  target: string;
  path: string;
}

/** A running Prometheus started by a test. */
export interface PrometheusServer {
  /** Base URL, e.g. `http://127.0.0.1:9123` (remote write: `${url}/api/v1/write`). */
  readonly url: string;
  /** Everything the server logged so far. */
  logs(): string;
  /** Runs an instant PromQL query (at `timeS` seconds, default now) and returns `data.result`. */
  query(promql: string, timeS?: number): Promise<PromSample[]>;
  /**
   * The raw samples (with their own timestamps, seconds) of `selector` in the last `windowS`
   * seconds before `timeS` (default now): an instant query of `selector[windowS s]`.
   */
  samples(selector: string, windowS: number, timeS?: number): Promise<PromSeries[]>;
  /** Kills the server (SIGTERM, then SIGKILL after 10 s) and removes its temp dir. */
  stop(): Promise<void>;
}

/** One series of a range-vector result: raw samples as [unix seconds, value as string]. */
export interface PromSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** One element of an instant-vector query result. */
export interface PromSample {
  metric: Record<string, string>;
  /** [unix seconds, value as string] */
  value: [number, string];
}

/**
 * Starts the real Prometheus server on a free 127.0.0.1 port with its TSDB in a fresh temp
 * dir, the remote-write receiver enabled, and one scrape job per `scrapeTargets` entry
 * (every `scrapeIntervalS` seconds, default 1, honor_timestamps and honor_labels true).
 * Resolves once `/-/ready` answers 200 (rejects after 30 s, killing the server). Callers
 * check `prometheusAvailable()` with `need()` first.
 */
export async function startPrometheus(
  opts: { scrapeTargets?: ScrapeTarget[]; scrapeIntervalS?: number } = {},
): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-prometheus-'));
  const intervalS = opts.scrapeIntervalS ?? 1;
  const jobs = (opts.scrapeTargets ?? []).map((t) =>
    [
      `  - job_name: ${JSON.stringify(t.job)}`,
      `    scrape_interval: ${intervalS}s`,
      `    scrape_timeout: ${intervalS}s`,
      `    metrics_path: ${JSON.stringify(t.path)}`,
      `    honor_timestamps: true`,
      `    honor_labels: true`,
      `    static_configs:`,
      `      - targets: [${JSON.stringify(t.target)}]`,
    ].join('\n'),
  );
  const config = [
    'global:',
    `  scrape_interval: ${intervalS}s`,
    `  evaluation_interval: ${intervalS}s`,
    jobs.length ? `scrape_configs:\n${jobs.join('\n')}` : 'scrape_configs: []',
    '',
  ].join('\n');
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startServerProcess({
    name: 'prometheus /-/ready',
    bin: PROMETHEUS_BIN,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--web.enable-lifecycle',
    ],
    dataDir: dir,
    ready: async () => (await fetch(`${url}/-/ready`)).status === 200,
  });
  const stop = server.stop;

  const instant = async <T>(promql: string, timeS?: number): Promise<T[]> => {
    const params = new URLSearchParams({ query: promql });
    if (timeS !== undefined) params.set('time', String(timeS));
    const r = await fetch(`${url}/api/v1/query?${params}`);
    const body = (await r.json()) as { status: string; error?: string; data?: { result: T[] } };
    if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
    return body.data?.result ?? [];
  };
  return {
    url,
    logs: server.log,
    query: (promql, timeS) => instant<PromSample>(promql, timeS),
    samples: (selector, windowS, timeS) => instant<PromSeries>(`${selector}[${windowS}s]`, timeS),
    stop,
  };
}
