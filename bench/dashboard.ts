// Dashboard figures: bundle size (gzipped), time to first chart on the overview with 1,000
// synthetic nodes in Chromium, and server time of the overview's API calls at 5,000 nodes.
// `npm run bench -- dashboard [--runs=5]`
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { pino } from 'pino';
import { createApiServer } from '../src/api/server.js';
import { SelfMetrics } from '../src/core/self-metrics.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { appendSyntheticCluster } from '../test/support/dashboard-fixture.js';
import { buildUi } from '../ui/build.mjs';
import { recordResult } from './results.js';

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const RUNS = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 5);
const PODS_PER_NODE = 30;
const TICKS = 15;
const STEP_MS = 60_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const round = (x: number) => Math.round(x * 10) / 10;

function storeWith(nodes: number): MemoryStore {
  const store = new MemoryStore({ retentionMs: 15 * 60_000 });
  const last = Math.floor(Date.now() / STEP_MS) * STEP_MS;
  appendSyntheticCluster((b) => store.append(b), {
    nodes,
    podsPerNode: PODS_PER_NODE,
    ticks: TICKS,
    startMs: last - (TICKS - 1) * STEP_MS,
    stepMs: STEP_MS,
  });
  return store;
}

function server(store: MemoryStore) {
  return createApiServer({
    store,
    selfMetrics: new SelfMetrics(),
    resolutionMs: STEP_MS,
    healthMaxDelayMs: 180_000,
    logger: pino({ level: 'silent' }),
  });
}

/** The requests the overview makes on load (status, cluster entity, top-N, node and ns tables). */
const OVERVIEW_CALLS = [
  '/api/v1/dashboard/status',
  '/api/v1/dashboard/entity?key=cluster&range=900000',
  '/api/v1/dashboard/entities?type=pod&sort=cpu&order=desc&offset=0&limit=10',
  '/api/v1/dashboard/entities?type=pod&sort=memory&order=desc&offset=0&limit=10',
  '/api/v1/dashboard/entities?type=node&sort=cpu&order=desc&offset=0&limit=20&spark=1&range=900000',
];

async function bundleSize() {
  const files = await buildUi({ write: false });
  let raw = 0;
  let gz = 0;
  for (const body of files.values()) {
    raw += body.length;
    gz += gzipSync(body, { level: 9 }).length;
  }
  return { bundleBytes: raw, bundleGzipBytes: gz, bundleGzipKiB: round(gz / 1024) };
}

async function serverTimes(nodes: number) {
  const store = storeWith(nodes);
  const cold: number[] = [];
  const warm: number[] = [];
  const perCallCold: Record<string, number[]> = {};
  for (let r = 0; r < RUNS; r++) {
    const app = server(store);
    let total = 0;
    for (const url of OVERVIEW_CALLS) {
      const t0 = performance.now();
      const res = await app.inject({ url });
      const ms = performance.now() - t0;
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
      total += ms;
      (perCallCold[url] ??= []).push(ms);
    }
    cold.push(total);
    const t0 = performance.now();
    for (const url of OVERVIEW_CALLS) await app.inject({ url });
    warm.push(performance.now() - t0);
    await app.close();
  }
  return {
    nodes,
    pods: nodes * PODS_PER_NODE,
    overviewServerMsColdMedian: round(median(cold)),
    overviewServerMsWarmMedian: round(median(warm)),
    perCallColdMedianMs: Object.fromEntries(
      Object.entries(perCallCold).map(([u, xs]) => [
        u.replace('/api/v1/dashboard/', ''),
        round(median(xs)),
      ]),
    ),
  };
}

async function firstChart(nodes: number) {
  if (!existsSync('/usr/bin/chromium'))
    return { firstChartSkipped: 'install Debian package chromium' };
  const store = storeWith(nodes);
  const profile = mkdtempSync(join(tmpdir(), 'heapster-bench-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    viewport: { width: 1400, height: 900 },
  });
  const times: number[] = [];
  try {
    for (let r = 0; r < RUNS; r++) {
      // A fresh server each run: its caches are cold, as after a new tick.
      const app = server(store);
      await app.listen({ port: 0, host: '127.0.0.1' });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const page = await ctx.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      const ms = await page.waitForFunction(
        () => (window as { __heapsterFirstChartMs?: number }).__heapsterFirstChartMs,
        undefined,
        { timeout: 30_000 },
      );
      times.push((await ms.jsonValue()) as number);
      if (r === RUNS - 1) {
        await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: `${ARTIFACTS}dashboard-${nodes}-nodes.png`, fullPage: true });
      }
      await page.close();
      await app.close();
    }
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return {
    firstChartNodes: nodes,
    firstChartMsMedian: round(median(times)),
    firstChartMsRuns: times.map(round),
  };
}

const figures = {
  runs: RUNS,
  ...(await bundleSize()),
  ...(await firstChart(1000)),
  overviewAt5000: await serverTimes(5000),
};
recordResult('dashboard', figures, `npm run bench -- dashboard --runs=${RUNS}`);
