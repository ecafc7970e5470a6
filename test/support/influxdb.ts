import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './services.js';

/** Where Debian's `influxdb` package puts the server. */
export const INFLUXD = '/usr/bin/influxd';

/** True when the InfluxDB 1.x server binary is installed. */
export function haveInfluxdb(): boolean {
  return existsSync(INFLUXD);
}

/** One InfluxDB series of a query answer. */
export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** A real `influxd` on 127.0.0.1 with its data in a temp dir. */
export interface InfluxdbServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Runs InfluxQL on `db` (GET /query, epoch=ms); throws on an error answer. */
  query(q: string, db?: string): Promise<InfluxSeries[]>;
  /** Process id of the running influxd (undefined while stopped), e.g. to read its CPU time. */
  pid(): number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s); data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data dir; resolves when /ping answers 204. */
  start(): Promise<void>;
  /** Stops it and removes the data dir. */
  destroy(): Promise<void>;
}

/**
 * Starts InfluxDB 1.x (`influxd run -config FILE`) on free loopback ports (HTTP and the RPC
 * bind address), reporting and the monitor store disabled, meta/data/wal under a temp dir.
 * Resolves once `GET /ping` answers 204.
 */
export async function startInfluxdb(): Promise<InfluxdbServer> {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-influx-'));
  const port = await freePort();
  const rpcPort = await freePort();
  const config = join(dir, 'influxdb.conf');
  writeFileSync(
    config,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${dir}/meta"`,
      '[data]',
      `  dir = "${dir}/data"`,
      `  wal-dir = "${dir}/wal"`,
      '  query-log-enabled = false',
      '  max-series-per-database = 0', // benchmarks write millions of series
      '  max-values-per-tag = 0',
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '[logging]',
      '  level = "warn"',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let log = '';
  const start = async (): Promise<void> => {
    const c = spawn(INFLUXD, ['run', '-config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    await waitFor(
      `influxd on ${url} (log: ${log.slice(-500)})`,
      async () => {
        if (c.exitCode !== null)
          throw new Error(`influxd exited ${c.exitCode}: ${log.slice(-500)}`);
        const res = await fetch(`${url}/ping`);
        return res.status === 204 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    port,
    url,
    async query(q, db) {
      const params = new URLSearchParams({ q, epoch: 'ms' });
      if (db) params.set('db', db);
      const res = await fetch(`${url}/query?${params}`);
      const json = (await res.json()) as {
        error?: string;
        results?: { error?: string; series?: InfluxSeries[] }[];
      };
      const err = json.error ?? json.results?.[0]?.error;
      if (err) throw new Error(`influx query ${q}: ${err}`);
      return json.results?.[0]?.series ?? [];
    },
    pid: () => (child?.exitCode === null ? child.pid : undefined),
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
