import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import type { EntitiesJson, EntityJson, StatusJson } from '../src/api/dashboard-types.js';
import { loadDashboardBundle } from '../src/api/dashboard-bundle.js';
import { MAX_CHART_POINTS, parseTimeRange } from '../src/api/dashboard-data.js';
import { createApiServer } from '../src/api/server.js';
import type { AggregateQuery, HistoryStore } from '../src/core/contracts.js';
import { SelfMetrics } from '../src/core/self-metrics.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { knownBatches, knownValue } from './support/dashboard-fixture.js';

const STEP_MS = 10_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const TICKS = 12;
const NOW = T0 + (TICKS - 1) * STEP_MS + 3000;

function server(store = filled()) {
  return createApiServer({
    store,
    selfMetrics: new SelfMetrics(),
    resolutionMs: STEP_MS,
    healthMaxDelayMs: 180_000,
    logger: pino({ level: 'silent' }),
    now: () => NOW,
  });
}

function filled(): MemoryStore {
  const s = new MemoryStore({ retentionMs: 3_600_000 });
  for (const b of knownBatches(T0, STEP_MS, TICKS)) s.append(b);
  return s;
}

async function get<T>(app: ReturnType<typeof server>, url: string, status = 200): Promise<T> {
  const res = await app.inject({ url });
  assert.equal(res.statusCode, status, `${url}: ${res.body}`);
  return res.json() as T;
}

test('status: before the first tick and after', async () => {
  const empty = await get<StatusJson>(server(new MemoryStore()), '/api/v1/dashboard/status');
  assert.equal(empty.latestMs, null);
  assert.equal(empty.nextTickMs, T0 + TICKS * STEP_MS);
  assert.equal(empty.resolutionMs, STEP_MS);
  assert.equal(empty.counts.node, 0);
  const s = await get<StatusJson>(server(), '/api/v1/dashboard/status');
  assert.equal(s.latestMs, T0 + (TICKS - 1) * STEP_MS);
  assert.equal(s.nowMs, NOW);
  assert.deepEqual(s.counts, {
    cluster: 1,
    node: 2,
    sys_container: 2,
    ns: 2,
    pod: 3,
    pod_container: 4,
  });
});

test('entities: current values, default sort, paging, parent, filter', async () => {
  const app = server();
  const last = TICKS - 1;
  const nodes = await get<EntitiesJson>(app, '/api/v1/dashboard/entities?type=node&sort=cpu');
  assert.equal(nodes.total, 2);
  assert.deepEqual(
    nodes.rows.map((r) => r.name),
    ['node-a', 'node-b'],
  );
  const a = nodes.rows[0];
  assert.equal(a.cpu.usage, knownValue('node:node-a', 'cpu/usage_rate', last));
  assert.equal(a.cpu.capacity, 4000);
  assert.equal(a.memory.capacity, 8 * 2 ** 30);
  assert.equal(a.fs.limit, 100 * 2 ** 30);
  assert.equal(a.capacityOf, 'own');
  assert.equal(a.spark, undefined);

  const pods = await get<EntitiesJson>(
    app,
    '/api/v1/dashboard/entities?type=pod&sort=cpu&order=asc&limit=2',
  );
  assert.equal(pods.total, 3);
  assert.deepEqual(
    pods.rows.map((r) => r.name),
    ['dns', 'web-2'],
  );
  const page2 = await get<EntitiesJson>(
    app,
    '/api/v1/dashboard/entities?type=pod&sort=cpu&order=asc&limit=2&offset=2',
  );
  assert.deepEqual(
    page2.rows.map((r) => r.name),
    ['web-1'],
  );
  // Pods inherit their node's capacity for the utilisation bars.
  assert.equal(page2.rows[0].cpu.capacity, 4000);
  assert.equal(page2.rows[0].capacityOf, 'node');
  assert.equal(page2.rows[0].node, 'node-a');

  const onA = await get<EntitiesJson>(
    app,
    '/api/v1/dashboard/entities?type=pod&parent=node%3Anode-a&sort=name',
  );
  assert.deepEqual(
    onA.rows.map((r) => r.name),
    ['dns', 'web-1'],
  );
  const inPod = await get<EntitiesJson>(
    app,
    `/api/v1/dashboard/entities?type=pod_container&parent=${encodeURIComponent('namespace:default/pod:web-1')}`,
  );
  assert.deepEqual(
    inPod.rows.map((r) => r.name),
    ['app', 'sidecar'],
  );
  const sys = await get<EntitiesJson>(
    app,
    '/api/v1/dashboard/entities?type=sys_container&parent=node%3Anode-a&sort=name',
  );
  assert.deepEqual(
    sys.rows.map((r) => r.name),
    ['kubelet', 'system.slice/docker.service'],
  );
  const filtered = await get<EntitiesJson>(app, '/api/v1/dashboard/entities?type=pod&q=KUBE');
  assert.deepEqual(
    filtered.rows.map((r) => r.key),
    ['namespace:kube-system/pod:dns'],
  );

  // Sparklines: one value per tick in range (12 ticks, ≤ 60).
  const spark = await get<EntitiesJson>(
    app,
    '/api/v1/dashboard/entities?type=node&spark=1&range=3600000&sort=name',
  );
  assert.deepEqual(
    spark.rows[0].spark?.cpu,
    Array.from({ length: TICKS }, (_, i) => knownValue('node:node-a', 'cpu/usage_rate', i)),
  );
});

test('entity: cluster series are sums over nodes; breadcrumbs; children; custom range', async () => {
  const app = server();
  const c = await get<EntityJson>(app, '/api/v1/dashboard/entity?key=cluster&range=3600000');
  assert.equal(c.summedOverNodes, true);
  assert.equal(c.series.timestampsMs.length, TICKS);
  assert.equal(c.series.bucketPoints, 1);
  c.series.timestampsMs.forEach((t, i) => {
    assert.equal(t, T0 + i * STEP_MS);
    assert.equal(
      c.series.series['cpu/usage_rate'][i],
      knownValue('node:node-a', 'cpu/usage_rate', i)! +
        knownValue('node:node-b', 'cpu/usage_rate', i)!,
    );
    assert.equal(c.series.series['cpu/node_capacity'][i], 6000);
  });
  assert.deepEqual(
    c.children.map((x) => [x.type, x.count]),
    [
      ['node', 2],
      ['ns', 2],
      ['pod', 3],
      ['pod_container', 4],
      ['sys_container', 2],
    ],
  );
  const key = 'namespace:default/pod:web-1/container:app';
  const e = await get<EntityJson>(
    app,
    `/api/v1/dashboard/entity?key=${encodeURIComponent(key)}&start=${T0 + 2 * STEP_MS}&end=${T0 + 4 * STEP_MS}`,
  );
  assert.deepEqual(
    e.breadcrumbs.map((b) => b.name),
    ['cluster', 'default', 'web-1', 'app'],
  );
  assert.equal(e.labels.container_name, 'app');
  assert.deepEqual(e.series.timestampsMs, [T0 + 2 * STEP_MS, T0 + 3 * STEP_MS, T0 + 4 * STEP_MS]);
  assert.deepEqual(
    e.series.series['memory/usage'],
    [2, 3, 4].map((i) => knownValue(key, 'memory/usage', i)),
  );
  assert.equal(e.series.series['network/rx_rate'], undefined);
  // Filesystem: labeled values summed over resource ids.
  const n = await get<EntityJson>(app, '/api/v1/dashboard/entity?key=node%3Anode-a&range=60000');
  assert.ok(n.series.series['filesystem/usage'].length > 0);
  assert.deepEqual(
    n.children.map((x) => x.type),
    ['pod', 'sys_container'],
  );
});

test('long ranges are averaged into at most MAX_CHART_POINTS buckets', async () => {
  const s = new MemoryStore({ retentionMs: 24 * 3_600_000 });
  const n = 2 * MAX_CHART_POINTS + 10;
  for (const b of knownBatches(T0, 1000, n)) s.append(b);
  const app = createApiServer({
    store: s,
    selfMetrics: new SelfMetrics(),
    resolutionMs: 1000,
    healthMaxDelayMs: 180_000,
    logger: pino({ level: 'silent' }),
    now: () => T0 + n * 1000,
  });
  const e = await get<EntityJson>(app, '/api/v1/dashboard/entity?key=node%3Anode-b&range=86400000');
  assert.equal(e.series.bucketPoints, 3);
  assert.equal(e.series.timestampsMs.length, Math.ceil(n / 3));
  const v = (i: number) => knownValue('node:node-b', 'cpu/usage_rate', i)!;
  assert.equal(e.series.series['cpu/usage_rate'][0], (v(0) + v(1) + v(2)) / 3);
  assert.equal(e.series.timestampsMs[1], T0 + 3000);
});

test('a store with aggregated queries answers long ranges in buckets of the resolution', async () => {
  const mem = new MemoryStore({ retentionMs: 24 * 3_600_000 });
  const n = 3000;
  for (const b of knownBatches(T0, 1000, n)) mem.append(b);
  const asked: AggregateQuery[] = [];
  // The HistoryStore contract over the memory store: exact averages of epoch-aligned buckets.
  const store: HistoryStore = {
    append: (b, o) => mem.append(b, o),
    setLatest: (b) => mem.setLatest(b),
    query: (q) => mem.query(q),
    latest: () => mem.latest(),
    metricNames: (k) => mem.metricNames(k),
    retentionMs: mem.retentionMs,
    keys: () => mem.keys(),
    close: async () => {},
    queryAggregated(q) {
      asked.push(q);
      const buckets = new Map<number, number[]>();
      for (const p of mem.query(q)) {
        const start = Math.floor(p.timestampMs / q.stepMs) * q.stepMs;
        buckets.set(start, [...(buckets.get(start) ?? []), p.value]);
      }
      return [...buckets].map(([startMs, vs]) => {
        const average = vs.reduce((a, b) => a + b, 0) / vs.length;
        return {
          startMs,
          count: vs.length,
          average,
          max: Math.max(...vs),
          min: Math.min(...vs),
          median: average,
          p50: average,
          p95: average,
          p99: average,
          exact: true,
        };
      });
    },
  };
  const app = createApiServer({
    store,
    selfMetrics: new SelfMetrics(),
    resolutionMs: 1000,
    healthMaxDelayMs: 180_000,
    logger: pino({ level: 'silent' }),
    now: () => T0 + n * 1000,
  });
  // 3,000 s of 1-s ticks > 1,000 points: buckets of 4 s (a multiple of the resolution).
  const e = await get<EntityJson>(
    app,
    `/api/v1/dashboard/entity?key=node%3Anode-b&start=${T0}&end=${T0 + (n - 1) * 1000}`,
  );
  assert.equal(e.series.bucketMs, 4000);
  assert.ok(asked.length > 0 && asked.every((q) => q.stepMs === 4000));
  const v = (i: number) => knownValue('node:node-b', 'cpu/usage_rate', i)!;
  assert.equal(e.series.timestampsMs[0], T0);
  assert.equal(e.series.series['cpu/usage_rate'][0], (v(0) + v(1) + v(2) + v(3)) / 4);
  assert.equal(e.series.timestampsMs.length, n / 4);
  // Short ranges still read raw points.
  asked.length = 0;
  const short = await get<EntityJson>(
    app,
    '/api/v1/dashboard/entity?key=node%3Anode-b&range=60000',
  );
  assert.equal(short.series.bucketMs, undefined);
  assert.equal(asked.length, 0);
});

test('bad parameters answer 400 naming the parameter; unknown entities 404', async () => {
  const app = server();
  const cases: [string, RegExp][] = [
    ['/api/v1/dashboard/entities?type=pods', /^type: must be one of/],
    ['/api/v1/dashboard/entities?type=pod&sort=size', /^sort: /],
    ['/api/v1/dashboard/entities?type=pod&order=up', /^order: /],
    ['/api/v1/dashboard/entities?type=pod&limit=0', /^limit: 0 is outside/],
    ['/api/v1/dashboard/entities?type=pod&offset=x', /^offset: not an integer/],
    ['/api/v1/dashboard/entities?type=pod&parent=bogus', /^parent: not an entity key/],
    ['/api/v1/dashboard/entity', /^key: missing/],
    ['/api/v1/dashboard/entity?key=cluster&range=5', /^range: 5 is outside/],
    ['/api/v1/dashboard/entity?key=cluster&range=60000&start=1', /^range: give either/],
    ['/api/v1/dashboard/entity?key=cluster&end=5', /^start: missing/],
    ['/api/v1/dashboard/entity?key=cluster&start=10&end=5', /^end: 5 is before start 10/],
  ];
  for (const [url, re] of cases) {
    const body = await get<{ error: string }>(app, url, 400);
    assert.match(body.error, re, url);
  }
  const missing = await get<{ error: string }>(
    app,
    '/api/v1/dashboard/entity?key=node%3Anope',
    404,
  );
  assert.match(missing.error, /no entity node:nope/);
  assert.throws(() => parseTimeRange({ start: '1.5' }, NOW), /start: not an integer/);
});

test('/ serves the dashboard page and its bundle; /plain keeps the plain index', async () => {
  const app = server();
  const page = await app.inject({ url: '/' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.body, /<script src="ui\/app.js"><\/script>/);
  const js = await app.inject({ url: '/ui/app.js', headers: { 'accept-encoding': 'gzip' } });
  assert.equal(js.statusCode, 200);
  assert.match(String(js.headers['content-type']), /javascript/);
  assert.equal(js.headers['content-encoding'], 'gzip');
  assert.ok(gunzipSync(js.rawPayload).toString().includes('api/v1/dashboard/'));
  const css = await app.inject({ url: '/ui/app.css' });
  assert.match(css.body, /\.u-legend/);
  assert.equal((await app.inject({ url: '/ui/nope.js' })).statusCode, 404);
  const plain = await app.inject({ url: '/plain' });
  assert.match(plain.body, /href="\/api\/v1\/model\/nodes\/node-a\/metrics\/"/);
});

test('bundle: a failed build falls back to a prebuilt folder, else says what is missing', async () => {
  const failing = () => Promise.reject(new Error('esbuild exploded'));
  const dir = mkdtempSync(join(tmpdir(), 'heapster-ui-'));
  try {
    const none = await loadDashboardBundle(failing, `${dir}/`);
    assert.equal(none.ok, false);
    if (!none.ok) {
      assert.match(none.error, /building ui\/src failed \(esbuild exploded\)/);
      assert.match(none.error, /no prebuilt bundle was found in .*heapster-ui-.*index\.html/s);
    }
    for (const f of ['index.html', 'app.js', 'app.css']) writeFileSync(join(dir, f), `/* ${f} */`);
    const dist = await loadDashboardBundle(failing, `${dir}/`);
    assert.equal(dist.ok && dist.source, 'dist');
    assert.equal(dist.ok && dist.files.get('app.js')?.body.toString(), '/* app.js */');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
