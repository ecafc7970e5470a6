import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { pino } from 'pino';
import { createApiServer } from '../src/api/server.js';
import type { EntityJson, SeriesJson } from '../src/api/dashboard-types.js';
import { SelfMetrics } from '../src/core/self-metrics.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { startChromium } from './support/chromium.js';
import type { Chromium } from './support/chromium.js';
import { appendSyntheticCluster, knownBatches, knownValue } from './support/dashboard-fixture.js';
import { startHeapster } from './support/heapster-process.js';

declare global {
  interface Window {
    /** Set by the dashboard (ui/src/chart.ts): what each chart draws. */
    __heapsterCharts?: Record<
      string,
      { metrics: string[]; plot?: { data: ArrayLike<number | null>[] } }
    >;
  }
}

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const STEP_MS = 60_000;
const TICKS = 120;
/** Last tick a few seconds ago, aligned to the minute: 120 ticks cover the last two hours. */
const LAST_MS = Math.floor(Date.now() / STEP_MS) * STEP_MS;
const FIRST_MS = LAST_MS - (TICKS - 1) * STEP_MS;

async function serve(store: MemoryStore, resolutionMs: number) {
  const app = createApiServer({
    store,
    selfMetrics: new SelfMetrics(),
    resolutionMs,
    healthMaxDelayMs: 180_000,
    logger: pino({ level: 'silent' }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { app, base: `http://127.0.0.1:${port}` };
}

let browser: Chromium | undefined;
let server: Awaited<ReturnType<typeof serve>> | undefined;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const store = new MemoryStore({ retentionMs: 24 * 3_600_000 });
  for (const b of knownBatches(FIRST_MS, STEP_MS, TICKS)) store.append(b);
  server = await serve(store, STEP_MS);
});

after(async () => {
  await browser?.close();
  await server?.app.close();
});

async function chromium(t: TestContext): Promise<Chromium | undefined> {
  browser ??= await startChromium(t);
  return browser;
}

async function waitReady(page: Page, key?: string): Promise<void> {
  await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
  if (key !== undefined)
    await page.waitForSelector(`.entity-view[data-key="${key}"]`, { timeout: 15_000 });
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}dashboard-${name}.png`, fullPage: true });
}

interface Drawn {
  metrics: string[];
  data: (number | null)[][];
}

async function chartData(page: Page, id: string): Promise<Drawn | undefined> {
  return page.evaluate((chartId) => {
    const c = window.__heapsterCharts?.[chartId];
    if (c === undefined || c.plot === undefined) return undefined;
    return {
      metrics: c.metrics,
      data: c.plot.data.map((a) => Array.from(a as ArrayLike<number | null>)),
    };
  }, id);
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(server!.base + path);
  assert.equal(res.status, 200, path);
  return (await res.json()) as T;
}

/** The chart draws exactly the API's series: same times (s) and values, one point per tick. */
function assertChartMatches(drawn: Drawn | undefined, series: SeriesJson, points: number): void {
  assert.ok(drawn, 'chart drawn');
  assert.equal(drawn.data[0].length, points);
  assert.deepEqual(
    drawn.data[0],
    series.timestampsMs.map((t) => t / 1000),
  );
  drawn.metrics.forEach((m, i) => assert.deepEqual(drawn.data[i + 1], series.series[m], m));
}

test('overview: loads without console errors; charts equal the API and the known values', async (t) => {
  const b = await chromium(t);
  if (!b) return;
  const { page, errors } = await b.newPage();
  await page.goto(`${server!.base}/`);
  await waitReady(page, 'cluster');
  const json = await api<EntityJson>('/api/v1/dashboard/entity?key=cluster&range=900000');
  // 15 minutes back from now: the ticks of the last 15 minutes (15 or 16 depending on the second).
  const expected = json.series.timestampsMs.length;
  assert.ok(expected >= 14 && expected <= 16, `points in 15 min: ${expected}`);
  const cpu = await chartData(page, 'cpu');
  assertChartMatches(cpu, json.series, expected);
  assert.deepEqual(cpu!.metrics, [
    'cpu/usage_rate',
    'cpu/request',
    'cpu/limit',
    'cpu/node_allocatable',
    'cpu/node_capacity',
  ]);
  // Known truth: cluster usage = node-a + node-b at every tick.
  const usage = cpu!.data[1];
  json.series.timestampsMs.forEach((ts, j) => {
    const i = (ts - FIRST_MS) / STEP_MS;
    const want =
      knownValue('node:node-a', 'cpu/usage_rate', i)! +
      knownValue('node:node-b', 'cpu/usage_rate', i)!;
    assert.equal(usage[j], want, `tick ${i}`);
  });
  for (const id of ['memory', 'network', 'filesystem'])
    assertChartMatches(await chartData(page, id), json.series, expected);
  // Current values in human units, top-N tables, nodes and namespaces tables.
  const text = await page.locator('main').innerText();
  assert.match(text, /Cluster overview/);
  assert.match(text, /Top 10 pods by CPU/);
  assert.match(text, /Top 10 pods by memory/);
  const lastI = TICKS - 1;
  const cpuNow = (1000 + 20 * lastI + 300 + 5 * lastI) / 1000;
  assert.ok(
    text.includes(`${cpuNow.toFixed(2).replace(/0$/, '')} cores`),
    `cluster CPU ${cpuNow} cores in: ${text.slice(0, 400)}`,
  );
  const topCpu = await page
    .locator('section.topn')
    .first()
    .locator('tbody tr td.name')
    .allInnerTexts();
  assert.deepEqual(topCpu, ['web-1', 'web-2', 'dns']);
  await shot(page, 'overview');
  assert.deepEqual(errors, []);
  await page.close();
});

test('navigation cluster → namespace → pod → container and back', async (t) => {
  const b = await chromium(t);
  if (!b) return;
  const { page, errors } = await b.newPage();
  await page.goto(`${server!.base}/`);
  await waitReady(page, 'cluster');
  await page.locator('table[data-type="ns"] a', { hasText: 'default' }).first().click();
  await waitReady(page, 'namespace:default');
  assert.match(await page.locator('h1').innerText(), /namespace\s+default/i);
  await shot(page, 'namespace');
  await page.locator('table[data-type="pod"] td.name a', { hasText: 'web-1' }).click();
  await waitReady(page, 'namespace:default/pod:web-1');
  await shot(page, 'pod');
  await page.locator('table[data-type="pod_container"] td.name a', { hasText: 'app' }).click();
  const key = 'namespace:default/pod:web-1/container:app';
  await waitReady(page, key);
  const crumbs = await page.locator('nav.crumbs li').allInnerTexts();
  assert.deepEqual(crumbs, ['Overview', 'default', 'web-1', 'app']);
  // The container's memory chart: API values, equal to the known ones.
  const json = await api<EntityJson>(
    `/api/v1/dashboard/entity?key=${encodeURIComponent(key)}&range=900000`,
  );
  const mem = await chartData(page, 'memory');
  assertChartMatches(mem, json.series, json.series.timestampsMs.length);
  assert.deepEqual(mem!.metrics, ['memory/usage', 'memory/request', 'memory/limit']);
  json.series.timestampsMs.forEach((ts, j) =>
    assert.equal(mem!.data[1][j], knownValue(key, 'memory/usage', (ts - FIRST_MS) / STEP_MS)),
  );
  await shot(page, 'container');
  // Up through the breadcrumbs, then the browser's back button.
  await page.locator('nav.crumbs a', { hasText: 'default' }).click();
  await waitReady(page, 'namespace:default');
  await page.goBack();
  await waitReady(page, key);
  await page.locator('nav.crumbs a', { hasText: 'Overview' }).click();
  await waitReady(page, 'cluster');
  // Node page lists its system containers and pods.
  await page.locator('table[data-type="node"] td.name a', { hasText: 'node-a' }).click();
  await waitReady(page, 'node:node-a');
  const sys = await page.locator('table[data-type="sys_container"] td.name').allInnerTexts();
  assert.deepEqual(sys.sort(), ['kubelet', 'system.slice/docker.service']);
  const pods = await page.locator('table[data-type="pod"] td.name').allInnerTexts();
  assert.deepEqual(pods.sort(), ['dns', 'web-1']);
  await shot(page, 'node');
  assert.deepEqual(errors, []);
  await page.close();
});

test('list pages: every type loads, sorts from the keyboard, filters', async (t) => {
  const b = await chromium(t);
  if (!b) return;
  const { page, errors } = await b.newPage();
  for (const [type, count] of [
    ['node', 2],
    ['ns', 2],
    ['pod', 3],
    ['pod_container', 4],
    ['sys_container', 2],
  ] as const) {
    await page.goto(`${server!.base}/#/list/${type}`);
    await page.waitForSelector(`.list-view[data-type="${type}"]`);
    await waitReady(page);
    assert.equal(await page.locator('table.entities tbody tr').count(), count, type);
    await shot(page, `list-${type}`);
  }
  // Pods sorted by CPU descending by default; clicking CPU flips to ascending.
  await page.goto(`${server!.base}/#/list/pod`);
  await waitReady(page);
  await page.waitForSelector('.list-view[data-type="pod"] tbody tr td.name');
  assert.deepEqual(await page.locator('tbody td.name').allInnerTexts(), ['web-1', 'web-2', 'dns']);
  assert.equal(await page.locator('th[aria-sort]').getAttribute('aria-sort'), 'descending');
  // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  assert.match(page.url(), /#\/list\/pod$/);
  // Keyboard: the sort header is a button reached with Tab and pressed with Enter.
  await page.getByRole('button', { name: 'CPU', exact: false }).first().focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('th[aria-sort="ascending"]');
  await page.waitForFunction(() => document.querySelector('tbody td.name')?.textContent === 'dns');
  assert.deepEqual(await page.locator('tbody td.name').allInnerTexts(), ['dns', 'web-2', 'web-1']);
  await page.getByLabel('Filter pods').fill('web-2');
  await page.waitForFunction(() => document.querySelectorAll('tbody td.name').length === 1);
  assert.deepEqual(await page.locator('tbody td.name').allInnerTexts(), ['web-2']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('large tables are paged: 6,000 pods, 50 rows in the page at a time', async (t) => {
  const b = await chromium(t);
  if (!b) return;
  const store = new MemoryStore({ retentionMs: 3_600_000 });
  appendSyntheticCluster((x) => store.append(x), {
    nodes: 200,
    podsPerNode: 30,
    ticks: 3,
    startMs: LAST_MS - 2 * STEP_MS,
    stepMs: STEP_MS,
  });
  const srv = await serve(store, STEP_MS);
  try {
    const { page, errors } = await b.newPage();
    await page.goto(`${srv.base}/#/list/pod`);
    await page.waitForSelector('.list-view[data-type="pod"] tbody tr td.name');
    await waitReady(page);
    assert.equal(await page.locator('tbody tr').count(), 50);
    assert.match(await page.locator('.pager .count').innerText(), /^Pods 1–50 of 6,000$/);
    const first = await page.locator('tbody td.name').first().innerText();
    await page.getByRole('button', { name: 'Next 50 pods' }).click();
    await page.waitForFunction(() =>
      document.querySelector('.pager .count')?.textContent?.startsWith('Pods 51–100'),
    );
    assert.equal(await page.locator('tbody tr').count(), 50);
    assert.notEqual(await page.locator('tbody td.name').first().innerText(), first);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await srv.app.close();
  }
});

test('the time range changes the data (15 min → 6 h → custom)', async (t) => {
  const b = await chromium(t);
  if (!b) return;
  const { page, errors } = await b.newPage();
  await page.goto(`${server!.base}/#/e/${encodeURIComponent('node:node-a')}`);
  await waitReady(page, 'node:node-a');
  const short = await chartData(page, 'cpu');
  assert.ok(short!.data[0].length <= 16);
  await page.getByRole('button', { name: '6 h' }).click();
  await page.waitForFunction(
    () => (window.__heapsterCharts?.cpu?.plot?.data[0].length ?? 0) === 120,
  );
  const long = await chartData(page, 'cpu');
  const json = await api<EntityJson>('/api/v1/dashboard/entity?key=node%3Anode-a&range=21600000');
  assertChartMatches(long, json.series, TICKS);
  assert.equal(long!.data[1][0], knownValue('node:node-a', 'cpu/usage_rate', 0));
  assert.match(page.url(), /range=21600000/);
  await shot(page, 'node-6h');
  // Custom: ticks 10..19 inclusive.
  const from = FIRST_MS + 10 * STEP_MS;
  const to = FIRST_MS + 19 * STEP_MS;
  await page.goto(
    `${server!.base}/#/e/${encodeURIComponent('node:node-a')}?start=${from}&end=${to}`,
  );
  await page.waitForFunction(
    () => (window.__heapsterCharts?.cpu?.plot?.data[0].length ?? 0) === 10,
  );
  const custom = await chartData(page, 'cpu');
  assert.equal(custom!.data[0][0], from / 1000);
  assert.equal(custom!.data[1][0], knownValue('node:node-a', 'cpu/usage_rate', 10));
  assert.match(await page.locator('#live').innerText(), /Fixed range/);
  assert.equal(await page.locator('.custom').isVisible(), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('empty state before the first tick, then live refresh on each new tick', async (t) => {
  const b = await chromium(t);
  if (!b) return;
  const store = new MemoryStore({ retentionMs: 3_600_000 });
  const srv = await serve(store, 2000);
  try {
    const { page, errors } = await b.newPage();
    await page.goto(`${srv.base}/`);
    await page.waitForSelector('body[data-state="empty"]');
    const text = await page.locator('main').innerText();
    assert.match(text, /No data yet/);
    assert.match(text, /The first tick arrives in \d+ s|The first tick is arriving now/);
    await shot(page, 'empty');
    const now = Math.floor(Date.now() / 1000) * 1000;
    const batches = knownBatches(now - 2000, 1000, 3);
    store.append(batches[0]);
    await waitReady(page, 'cluster');
    await page.waitForFunction(() => window.__heapsterCharts?.cpu?.plot?.data[0].length === 1);
    store.append(batches[1]);
    await page.waitForFunction(() => window.__heapsterCharts?.cpu?.plot?.data[0].length === 2);
    store.append(batches[2]);
    await page.waitForFunction(() => window.__heapsterCharts?.cpu?.plot?.data[0].length === 3);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await srv.app.close();
  }
});

test('an unreachable API shows the error state', async (t) => {
  const b = await chromium(t);
  if (!b) return;
  const store = new MemoryStore({ retentionMs: 3_600_000 });
  for (const x of knownBatches(Date.now() - 3000, 1000, 3)) store.append(x);
  const srv = await serve(store, 2000);
  const { page } = await b.newPage();
  try {
    await page.goto(`${srv.base}/`);
    await waitReady(page, 'cluster');
  } finally {
    await srv.app.close();
  }
  await page.waitForSelector('body[data-state="error"]', { timeout: 15_000 });
  // A poll that races the close may first get the closing server's 503 ("API error (503)");
  // the next poll finds the port closed.
  await page.waitForFunction(
    () => document.querySelector('[role="alert"]')?.textContent?.includes('API unreachable'),
    undefined,
    { timeout: 15_000 },
  );
  const alert = await page.getByRole('alert').innerText();
  assert.match(alert, /API unreachable/);
  assert.match(alert, /Retrying every 5 s/);
  // The last data stays on screen.
  assert.ok((await chartData(page, 'cpu')) !== undefined);
  await shot(page, 'unreachable');
  await page.close();
});

test('the real heapster serves the dashboard for this machine', async (t) => {
  const b = await chromium(t);
  if (!b) return;
  const h = await startHeapster(['--metric-resolution=2s']);
  try {
    const { page, errors } = await b.newPage();
    await page.goto(`${h.base}/`);
    await waitReady(page, 'cluster');
    await page.waitForFunction(
      () => (window.__heapsterCharts?.cpu?.plot?.data[0].length ?? 0) >= 1,
    );
    const text = await page.locator('main').innerText();
    assert.match(text, /This machine|Cluster overview/);
    assert.match(text, /\d+(\.\d+)? (cores?|m)\b|\d+m/);
    await shot(page, 'real-machine');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await h.stop();
  }
});
