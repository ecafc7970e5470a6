// A simulated cluster monitored end to end: the simulator (`heapster simulate`) in one
// process, heapster at 15 s resolution in another, both from bin/heapster.js. For each size
// (nodes x 30 pods x 2 containers) and store mode it records, per tick, the wall time from
// the window's end to the batch being stored (heapster's own self-metrics), the CPU seconds
// of heapster and of the simulator per tick (/proc/PID/stat), and heapster's resident memory
// after the history duration. A guard stops heapster when its RSS passes --max-rss-gib, so a
// run that does not fit never takes the shared machine down (the figures then say so).
// Usage: npm run bench -- cluster [nodes[,nodes...]] [--minutes=15] [--store=disk|memory|both]
//          [--max-rss-gib=8] [--resolution=15s] [--pods=30] [--containers=2]
//          [--heap-mib=N]  (heapster's V8 old-space limit, NODE_OPTIONS=--max-old-space-size=N)
//          [--scrape-offset=DURATION]  (heapster's --scrape-offset; default: heapster's, res/4)
//          [--faults=slow:10 --slow-delay=3s]  (the simulator's faulty nodes, e.g. slow kubelets)
//          [--kubelet-workers=N]  (the source's kubeletWorkers option; default: heapster's)
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { recordResult } from './results.js';
import { freePort } from '../test/support/services.js';
import { BIN, startSimulator } from './support/cluster-procs.js';

const CLK_TCK = 100; // USER_HZ on Linux

const arg = (name: string, def: string): string => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
};

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** utime + stime of a process, seconds; NaN when it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** VmRSS and VmHWM of a process, bytes. */
function memory(pid: number): { rss: number; hwm: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string): number =>
      Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

/** Sample values of a Prometheus exposition, by `name{labels}` as written. */
function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

function stopChild(child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

interface TickFigures {
  windowToStoredMs: number;
  scrapeMs: number;
  processMs: number;
  storeMs: number;
  heapsterCpuS: number;
  simulatorCpuS: number;
  sets: number;
}

async function runOne(
  nodes: number,
  store: 'disk' | 'memory',
  opts: {
    minutes: number;
    maxRssBytes: number;
    heapMiB: number | undefined;
    resolution: string;
    pods: number;
    containers: number;
    scrapeOffset: string | undefined;
    faults: string | undefined;
    slowDelay: string | undefined;
    kubeletWorkers: string | undefined;
  },
): Promise<Record<string, unknown>> {
  const simStartMs = performance.now();
  const { sim, source } = await startSimulator([
    `--nodes=${nodes}`,
    `--pods-per-node=${opts.pods}`,
    `--containers-per-pod=${opts.containers}`,
    ...(opts.faults === undefined ? [] : [`--faults=${opts.faults}`]),
    ...(opts.slowDelay === undefined ? [] : [`--slow-delay=${opts.slowDelay}`]),
  ]);
  const simulatorStartS = (performance.now() - simStartMs) / 1000;
  const sourceUri =
    opts.kubeletWorkers === undefined
      ? source
      : `${source}${source.includes('?') ? '&' : '?'}kubeletWorkers=${opts.kubeletWorkers}`;
  const dataDir = store === 'disk' ? mkdtempSync(join(os.tmpdir(), 'bench-cluster-')) : '';
  const port = await freePort();
  const heapster = spawn(
    process.execPath,
    [
      BIN,
      sourceUri,
      `--metric_resolution=${opts.resolution}`,
      `--data_dir=${dataDir}`,
      `--heapster-port=${port}`,
      '--listen-ip=127.0.0.1',
      ...(opts.scrapeOffset === undefined ? [] : [`--scrape-offset=${opts.scrapeOffset}`]),
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        HEAPSTER_LOG_LEVEL: 'warn',
        ...(opts.heapMiB ? { NODE_OPTIONS: `--max-old-space-size=${opts.heapMiB}` } : {}),
      },
    },
  );
  // Node failures are logged once per tick ("N node(s) missing"): count them.
  let nodesMissing = 0;
  let warnLines = 0;
  let stderrTail = '';
  let budgetWarned = false;
  heapster.stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    stderrTail = (stderrTail + text).slice(-2000);
    for (const line of text.split('\n')) {
      const m = /"failed":(\d+),"ok":\d+/.exec(line);
      if (m) nodesMissing += Number(m[1]);
      if (line.includes('"level":40')) warnLines++;
      // Show the first scrape-budget warning: it says whether heapster or the kubelets were slow.
      if (!budgetWarned && line.includes('scrape budget')) {
        budgetWarned = true;
        const msg = /"msg":"(.*?)"}?$/.exec(line)?.[1] ?? line;
        process.stderr.write(`first scrape-budget warning: ${msg.slice(0, 600)}\n`);
      }
    }
  });
  const base = `http://127.0.0.1:${port}`;
  const metrics = async (): Promise<Map<string, number> | undefined> => {
    try {
      const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(30_000) });
      return parseExposition(await res.text());
    } catch {
      return undefined;
    }
  };
  const startedMs = Date.now();
  const historyMs = opts.minutes * 60_000;
  const ticks: TickFigures[] = [];
  let lastTicks = 0;
  let lastH = cpuSeconds(heapster.pid!);
  let lastS = cpuSeconds(sim.pid!);
  let peakRss = 0;
  let stoppedBy = 'duration';
  let firstTickAtMs: number | undefined;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    if (heapster.exitCode !== null || heapster.signalCode !== null) {
      stoppedBy = `heapster exited (${heapster.exitCode ?? heapster.signalCode}): ${stderrTail.slice(-300)}`;
      break;
    }
    const { rss } = memory(heapster.pid!);
    peakRss = Math.max(peakRss, rss || 0);
    if (rss > opts.maxRssBytes) {
      stoppedBy = `RSS guard: ${(rss / 2 ** 30).toFixed(1)} GiB > --max-rss-gib`;
      break;
    }
    const m = await metrics();
    if (m === undefined) continue;
    const done =
      (m.get('heapster_ticks_total{result="ok"}') ?? 0) +
      (m.get('heapster_ticks_total{result="error"}') ?? 0);
    if (done > lastTicks) {
      firstTickAtMs ??= Date.now();
      const h = cpuSeconds(heapster.pid!);
      const s = cpuSeconds(sim.pid!);
      const n = done - lastTicks;
      // The first tick's CPU includes start-up and the first lists: kept apart.
      if (lastTicks > 0) {
        const phase = (p: string): number =>
          m.get(`heapster_tick_last_phase_milliseconds{phase="${p}"}`) ?? NaN;
        ticks.push({
          windowToStoredMs: m.get('heapster_tick_window_to_stored_milliseconds') ?? NaN,
          scrapeMs: phase('scrape'),
          processMs: phase('process'),
          storeMs: phase('store'),
          heapsterCpuS: (h - lastH) / n,
          simulatorCpuS: (s - lastS) / n,
          sets: m.get('heapster_metric_sets_per_tick') ?? NaN,
        });
        process.stderr.write(
          `[${nodes} nodes, ${store}] tick ${done}: ${JSON.stringify(ticks.at(-1))} rss=${(rss / 2 ** 20).toFixed(0)}MiB\n`,
        );
      }
      lastTicks = done;
      lastH = h;
      lastS = s;
    }
    if (firstTickAtMs !== undefined && Date.now() - firstTickAtMs >= historyMs) break;
    if (firstTickAtMs === undefined && Date.now() - startedMs > 10 * 60_000) {
      stoppedBy = 'no tick completed within 10 minutes';
      break;
    }
  }
  const final = await metrics();
  const mem = memory(heapster.pid!);
  const historyMinutes = firstTickAtMs === undefined ? 0 : (Date.now() - firstTickAtMs) / 60_000;
  const skipped = final?.get('heapster_ticks_skipped_total') ?? NaN;
  await stopChild(heapster);
  await stopChild(sim);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  const col = (k: keyof TickFigures): number[] => ticks.map((t) => t[k]).filter(Number.isFinite);
  const rss = Number.isFinite(mem.rss) ? mem.rss : peakRss;
  return {
    nodes,
    podsPerNode: opts.pods,
    containersPerPod: opts.containers,
    store,
    resolution: opts.resolution,
    heapLimitMiB: opts.heapMiB ?? 'default (4 GiB here)',
    scrapeOffset: opts.scrapeOffset ?? 'default (resolution/4)',
    kubeletWorkers: opts.kubeletWorkers ?? 'default',
    simulatorFaults:
      opts.faults === undefined ? 'none' : `${opts.faults} (${opts.slowDelay ?? '5s'})`,
    historyMinutes: round(historyMinutes, 1),
    stoppedBy,
    ticksMeasured: ticks.length,
    ticksSkipped: skipped,
    nodesMissing,
    warnLines,
    simulatorStartS: round(simulatorStartS, 1),
    medianWindowToStoredS: round(median(col('windowToStoredMs')) / 1000),
    maxWindowToStoredS: round(Math.max(...col('windowToStoredMs')) / 1000),
    medianScrapeS: round(median(col('scrapeMs')) / 1000),
    medianProcessS: round(median(col('processMs')) / 1000),
    medianStoreAppendS: round(median(col('storeMs')) / 1000),
    medianHeapsterCpuSPerTick: round(median(col('heapsterCpuS'))),
    medianSimulatorCpuSPerTick: round(median(col('simulatorCpuS'))),
    medianSetsPerTick: median(col('sets')),
    rssMiB: round(rss / 2 ** 20, 0),
    peakRssMiB: round(Math.max(peakRss, Number.isFinite(mem.hwm) ? mem.hwm : 0) / 2 ** 20, 0),
    rssMiBPerNode: round(rss / 2 ** 20 / nodes, 3),
  };
}

async function main(): Promise<void> {
  const positional = process.argv.slice(2).find((a) => !a.startsWith('--'));
  const sizes = (positional ?? '1000,5000').split(',').map(Number);
  const storeArg = arg('store', 'disk');
  const stores: ('disk' | 'memory')[] =
    storeArg === 'both' ? ['disk', 'memory'] : [storeArg === 'memory' ? 'memory' : 'disk'];
  const opts = {
    minutes: Number(arg('minutes', '15')),
    maxRssBytes: Number(arg('max-rss-gib', '8')) * 2 ** 30,
    heapMiB: arg('heap-mib', '') === '' ? undefined : Number(arg('heap-mib', '')),
    resolution: arg('resolution', '15s'),
    pods: Number(arg('pods', '30')),
    containers: Number(arg('containers', '2')),
    scrapeOffset: arg('scrape-offset', '') === '' ? undefined : arg('scrape-offset', ''),
    faults: arg('faults', '') === '' ? undefined : arg('faults', ''),
    slowDelay: arg('slow-delay', '') === '' ? undefined : arg('slow-delay', ''),
    kubeletWorkers: arg('kubelet-workers', '') === '' ? undefined : arg('kubelet-workers', ''),
  };
  const runs: Record<string, unknown>[] = [];
  for (const nodes of sizes) {
    for (const store of stores) {
      const r = await runOne(nodes, store, opts);
      process.stderr.write(`${JSON.stringify(r)}\n`);
      runs.push(r);
    }
  }
  recordResult(
    'cluster',
    {
      runs,
      note:
        'windowToStored = window end -> whole batch in the store (includes the scrape offset); ' +
        'scrape = first request -> last node processed and stored (nodes are processed and stored as they answer); ' +
        'process/store = the whole-batch steps after the scrape (namespace and cluster roll-ups, their sets stored); ' +
        'phases are the last tick of each sample; CPU per tick = /proc/PID/stat delta between tick completions',
    },
    `npm run bench -- cluster ${process.argv.slice(2).join(' ')}`.trim(),
  );
}

await main();
