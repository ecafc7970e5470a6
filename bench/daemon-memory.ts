// Resident memory and CPU of the main job monitoring this machine at 1 s resolution.
// `npm run bench -- daemon-memory [minutes]` (default 15): samples the child's VmRSS and
// CPU time from /proc every 10 s; reports RSS at minutes 1, 5, 10, 15, the growth between
// minute 5 and the end, and the average CPU share of one core.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordResult } from './results.js';

const minutes = Number(process.argv[2] ?? 15);
const port = 18082 + Math.floor(Math.random() * 1000);
const bin = fileURLToPath(new URL('../bin/heapster.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'heapster-bench-'));
const child = spawn(
  process.execPath,
  [bin, '--metric_resolution=1s', `--heapster-port=${port}`, `--data_dir=${dataDir}`],
  {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { ...process.env, HEAPSTER_LOG_LEVEL: 'warn' },
  },
);
const pid = child.pid!;
const CLK_TCK = 100;

function rssMiB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
function cpuSeconds(): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime + stime
}

const samples: { minute: number; rssMiB: number; cpuS: number }[] = [];
const started = Date.now();
await new Promise((r) => setTimeout(r, 5000));
const cpu0 = cpuSeconds();
const t0 = Date.now();
while (Date.now() - started < minutes * 60_000) {
  await new Promise((r) => setTimeout(r, 10_000));
  if (child.exitCode !== null) throw new Error(`heapster exited with ${child.exitCode}`);
  samples.push({ minute: (Date.now() - started) / 60_000, rssMiB: rssMiB(), cpuS: cpuSeconds() });
}
const cpu1 = cpuSeconds();
const elapsedS = (Date.now() - t0) / 1000;
// Sanity: the API answers with data.
const nodes = await (await fetch(`http://127.0.0.1:${port}/api/v1/model/debug/allkeys`)).json();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });

const at = (m: number) => {
  const s = samples.reduce((best, x) =>
    Math.abs(x.minute - m) < Math.abs(best.minute - m) ? x : best,
  );
  return Math.round(s.rssMiB * 10) / 10;
};
const after5 = samples.filter((s) => s.minute >= 5);
const figures = {
  minutes,
  resolution: '1s',
  entities: (nodes as string[]).length,
  rssMiB: { m1: at(1), m5: at(5), m10: at(10), end: Math.round(samples.at(-1)!.rssMiB * 10) / 10 },
  rssMaxAfterMinute5MiB: Math.round(Math.max(...after5.map((s) => s.rssMiB)) * 10) / 10,
  rssGrowthMinute5ToEndMiB: after5.length
    ? Math.round((after5.at(-1)!.rssMiB - after5[0].rssMiB) * 10) / 10
    : null,
  cpuPercentOfOneCore: Math.round(((cpu1 - cpu0) / elapsedS) * 1000) / 10,
};
recordResult('daemon-memory', figures, `npm run bench -- daemon-memory ${minutes}`);
