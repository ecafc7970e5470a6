// Restart of heapster on a cluster-sized data dir: `npm run bench -- restart [nodes] [--minutes=3]`.
// Runs the simulator and heapster (15 s resolution, a fresh data dir) for the given minutes,
// stops heapster with SIGTERM, starts it again on the same data dir and measures: when the API
// first answers, /healthz latency while the history is read (polled every 200 ms), how long the
// reading takes (from heapster's log) and when /healthz is first 200 (the first tick stored).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/services.js';
import { BIN, startSimulator } from './support/cluster-procs.js';
import { recordResult } from './results.js';

const args = process.argv.slice(2);
const nodes = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
const minutes = Number(args.find((a) => a.startsWith('--minutes='))?.slice(10) ?? 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startHeapster(source: string, dataDir: string, port: number) {
  const child = spawn(
    process.execPath,
    [
      '--max-old-space-size=16000',
      BIN,
      source,
      '--metric_resolution=15s',
      `--data_dir=${dataDir}`,
      `--heapster-port=${port}`,
      '--listen-ip=127.0.0.1',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HEAPSTER_LOG_LEVEL: 'info' } },
  );
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { child, log: () => log, exited };
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const sub of ['', 'wal', 'blocks']) {
    for (const f of readdirSync(join(dir, sub))) {
      const s = statSync(join(dir, sub, f));
      if (s.isFile()) n += s.size;
    }
  }
  return n;
}

const { sim, source } = await startSimulator([`--nodes=${nodes}`]);
const dataDir = mkdtempSync(join(tmpdir(), 'heapster-bench-restart-'));
try {
  const port = await freePort();
  const first = startHeapster(source, dataDir, port);
  await sleep(minutes * 60_000);
  first.child.kill('SIGTERM');
  const stopT = performance.now();
  const code = await first.exited;
  const stopS = (performance.now() - stopT) / 1000;
  if (code !== 0)
    throw new Error(`first heapster exited with ${code}: ${first.log().slice(-2000)}`);
  const bytes = dirBytes(dataDir);

  const t0 = performance.now();
  const second = startHeapster(source, dataDir, port);
  let upMs: number | undefined;
  let recoveredMs: number | undefined;
  let healthyMs: number | undefined;
  const latencies: number[] = [];
  while (healthyMs === undefined && performance.now() - t0 < 600_000) {
    const s = performance.now();
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      const body = await r.text();
      const now = performance.now();
      upMs ??= now - t0;
      if (body.startsWith('recovering')) latencies.push(now - s);
      else recoveredMs ??= now - t0;
      if (r.status === 200) healthyMs = now - t0;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  const readS = /stored history read in ([\d.]+) s/.exec(second.log())?.[1];
  const series = /recovered (\d+) series/.exec(second.log())?.[1];
  second.child.kill('SIGTERM');
  await second.exited;
  latencies.sort((a, b) => a - b);
  const q = (f: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))]);
  recordResult(
    'restart',
    {
      nodes,
      podsPerNode: 30,
      containersPerPod: 2,
      historyMinutes: minutes,
      dataDirMB: Math.round(bytes / 1e6),
      seriesRecovered: series === undefined ? null : Number(series),
      sigtermToExitS: +stopS.toFixed(1),
      apiAnswersAfterS: upMs === undefined ? null : +(upMs / 1000).toFixed(1),
      historyReadS: readS === undefined ? null : Number(readS),
      recoveringPolls: latencies.length,
      healthzLatencyWhileReadingMs: latencies.length
        ? { median: q(0.5), p90: q(0.9), max: Math.round(latencies.at(-1)!) }
        : null,
      dataServedAfterS: recoveredMs === undefined ? null : +(recoveredMs / 1000).toFixed(1),
      firstHealthyAfterS: healthyMs === undefined ? null : +(healthyMs / 1000).toFixed(1),
    },
    `npm run bench -- restart ${nodes} --minutes=${minutes}`,
  );
} finally {
  sim.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
