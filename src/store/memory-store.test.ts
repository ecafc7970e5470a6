import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Batch, MetricSet } from '../core/batch.js';
import { emptyBatch, newMetricSet } from '../core/batch.js';
import { nodeKey, podContainerKey, sysContainerKey } from '../core/keys.js';
import { MemoryStore } from './memory-store.js';

const T0 = Date.UTC(2018, 5, 1, 10, 0, 0);

function set(values: Record<string, number>, labeled: MetricSet['labeled'] = []): MetricSet {
  const ms = newMetricSet('node', { hostname: 'n1' }, { scrapeTimeMs: T0 });
  for (const [k, v] of Object.entries(values)) ms.values.set(k, v);
  ms.labeled.push(...labeled);
  return ms;
}

function batch(timestampMs: number, sets: Record<string, MetricSet>): Batch {
  const b = emptyBatch(timestampMs);
  for (const [k, v] of Object.entries(sets)) b.sets.set(k, v);
  return b;
}

const N1 = nodeKey('n1');

test('query returns points in [start, end] inclusive, in time order', () => {
  const store = new MemoryStore();
  for (let i = 0; i < 5; i++)
    store.append(batch(T0 + i * 60_000, { [N1]: set({ 'memory/usage': i * 10 }) }));
  const all = store.query({ key: N1, metric: 'memory/usage', startMs: 0, endMs: Infinity });
  assert.deepEqual(
    all.map((p) => p.value),
    [0, 10, 20, 30, 40],
  );
  const mid = store.query({
    key: N1,
    metric: 'memory/usage',
    startMs: T0 + 60_000,
    endMs: T0 + 180_000,
  });
  assert.deepEqual(mid, [
    { timestampMs: T0 + 60_000, value: 10 },
    { timestampMs: T0 + 120_000, value: 20 },
    { timestampMs: T0 + 180_000, value: 30 },
  ]);
  assert.deepEqual(
    store.query({ key: N1, metric: 'memory/usage', startMs: T0 + 1, endMs: T0 + 59_999 }),
    [],
  );
  assert.deepEqual(
    store.query({ key: 'node:nope', metric: 'memory/usage', startMs: 0, endMs: Infinity }),
    [],
  );
  assert.deepEqual(store.query({ key: N1, metric: 'cpu/usage', startMs: 0, endMs: Infinity }), []);
});

test('out-of-order and duplicate timestamps keep time order; same timestamp merges', () => {
  const store = new MemoryStore();
  store.append(batch(T0 + 120_000, { [N1]: set({ m: 3 }) }));
  store.append(batch(T0, { [N1]: set({ m: 1 }) }));
  store.append(batch(T0 + 60_000, { [N1]: set({ m: 2 }) }));
  store.append(batch(T0 + 60_000, { [N1]: set({ other: 7 }) }));
  const pts = store.query({ key: N1, metric: 'm', startMs: 0, endMs: Infinity });
  assert.deepEqual(
    pts.map((p) => [p.timestampMs - T0, p.value]),
    [
      [0, 1],
      [60_000, 2],
      [120_000, 3],
    ],
  );
  assert.deepEqual(store.query({ key: N1, metric: 'other', startMs: 0, endMs: Infinity }), [
    { timestampMs: T0 + 60_000, value: 7 },
  ]);
  assert.equal(store.batchCount(), 3);
  assert.equal(store.latest()?.timestampMs, T0 + 120_000);
});

test('irregular spacing and resolution changes keep exact timestamps', () => {
  const store = new MemoryStore({ retentionMs: 10 * 60_000 });
  const times = [0, 60_000, 120_000, 121_000, 122_000, 127_500, 130_000, 190_000];
  for (const t of times) store.append(batch(T0 + t, { [N1]: set({ m: t }) }));
  const pts = store.query({ key: N1, metric: 'm', startMs: 0, endMs: Infinity });
  assert.deepEqual(
    pts.map((p) => p.timestampMs - T0),
    times,
  );
  assert.deepEqual(
    pts.map((p) => p.value),
    times,
  );
});

test('retention evicts by time relative to the newest batch', () => {
  const store = new MemoryStore({ retentionMs: 5 * 60_000 });
  for (let i = 0; i <= 10; i++) store.append(batch(T0 + i * 60_000, { [N1]: set({ m: i }) }));
  const pts = store.query({ key: N1, metric: 'm', startMs: 0, endMs: Infinity });
  // newest = T0+10m; kept: t >= T0+5m
  assert.deepEqual(
    pts.map((p) => p.value),
    [5, 6, 7, 8, 9, 10],
  );
  assert.equal(store.batchCount(), 6);
  assert.deepEqual(store.timestamps()[0], T0 + 5 * 60_000);
  // A batch older than retention is ignored.
  store.append(batch(T0, { [N1]: set({ m: 99 }) }));
  assert.equal(store.batchCount(), 6);
  assert.equal(store.latest()?.timestampMs, T0 + 10 * 60_000);
});

test('labeled values: exact label-set match; no labels selects only plain values', () => {
  const store = new MemoryStore();
  const fs = (rid: string, v: number) => ({
    name: 'filesystem/usage',
    labels: { resource_id: rid },
    value: v,
  });
  store.append(
    batch(T0, {
      [N1]: set({ 'memory/usage': 5 }, [
        fs('/', 100),
        fs('/dev/sdb', 200),
        { name: 'filesystem/usage', labels: { resource_id: '/', extra: 'x' }, value: 300 },
      ]),
    }),
  );
  const q = (labels?: Record<string, string>) =>
    store
      .query({ key: N1, metric: 'filesystem/usage', labels, startMs: 0, endMs: Infinity })
      .map((p) => p.value);
  assert.deepEqual(q({ resource_id: '/' }), [100]);
  assert.deepEqual(q({ resource_id: '/dev/sdb' }), [200]);
  assert.deepEqual(q({ extra: 'x', resource_id: '/' }), [300]);
  assert.deepEqual(q({ resource_id: '/dev/sdc' }), []);
  assert.deepEqual(q({}), []);
  assert.deepEqual(q(), []);
  assert.deepEqual(
    store.query({
      key: N1,
      metric: 'memory/usage',
      labels: { resource_id: '/' },
      startMs: 0,
      endMs: Infinity,
    }),
    [],
  );
  assert.deepEqual(store.metricNames(N1), ['filesystem/usage', 'memory/usage']);
  assert.deepEqual(store.metricNames('node:other'), []);
});

test('non-finite values are not stored; metricNames lists only names with points', () => {
  const store = new MemoryStore();
  store.append(batch(T0, { [N1]: set({ a: NaN, b: Infinity, c: 1 }) }));
  assert.deepEqual(store.metricNames(N1), ['c']);
  assert.equal(store.seriesCount(), 1);
});

test('churn does not leak: vanished entities and their series are dropped', () => {
  const store = new MemoryStore({ retentionMs: 60_000 });
  const stable = sysContainerKey('n1', 'system.slice/ssh.service');
  let maxSeries = 0;
  for (let tick = 0; tick < 200; tick++) {
    const sets: Record<string, MetricSet> = { [stable]: set({ 'cpu/usage_rate': tick }) };
    // 10 short-lived pods per tick, each lives 3 ticks.
    for (let p = 0; p < 10; p++) {
      const gen = Math.floor((tick + p) / 3);
      sets[podContainerKey('default', `pod-${p}-${gen}`, 'app')] = set(
        { 'cpu/usage_rate': p, 'memory/usage': p },
        [{ name: 'filesystem/usage', labels: { resource_id: '/' }, value: p }],
      );
    }
    store.append(batch(T0 + tick * 10_000, sets));
    maxSeries = Math.max(maxSeries, store.seriesCount());
  }
  // retention 60 s at 10 s = 7 batches; a pod lives 3 ticks -> at most ~4 generations per slot.
  assert.ok(maxSeries < 10 * 3 * 5 + 1, `series count bounded, got ${maxSeries}`);
  const before = store.seriesCount();
  // Everything but the stable container disappears.
  for (let tick = 200; tick < 220; tick++) {
    store.append(batch(T0 + tick * 10_000, { [stable]: set({ 'cpu/usage_rate': tick }) }));
  }
  assert.ok(before > 1);
  assert.equal(store.seriesCount(), 1);
  assert.deepEqual(store.keys(), [stable]);
  const pts = store.query({ key: stable, metric: 'cpu/usage_rate', startMs: 0, endMs: Infinity });
  assert.deepEqual(
    pts.map((p) => p.value),
    [213, 214, 215, 216, 217, 218, 219],
  );
});

test('a reused series id never shows the previous owner’s points', () => {
  const store = new MemoryStore({ retentionMs: 20_000 });
  store.append(batch(T0, { 'node:a': set({ m: 1 }) }));
  for (let i = 1; i <= 3; i++) store.append(batch(T0 + i * 10_000, { 'node:b': set({ x: i }) }));
  // node:a fell out of retention; its id is free and gets reused by node:c.
  store.append(batch(T0 + 40_000, { 'node:c': set({ m: 9 }), 'node:b': set({ x: 4 }) }));
  assert.deepEqual(store.query({ key: 'node:c', metric: 'm', startMs: 0, endMs: Infinity }), [
    { timestampMs: T0 + 40_000, value: 9 },
  ]);
  assert.deepEqual(store.query({ key: 'node:a', metric: 'm', startMs: 0, endMs: Infinity }), []);
});

test('memory: 900 batches × 100 sets × 30 metrics stays bounded', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const names = Array.from({ length: 30 }, (_, i) => `custom/metric_${i}`);
  const keys = Array.from({ length: 100 }, (_, i) => podContainerKey('ns', `pod-${i}`, 'c'));
  const store = new MemoryStore();
  gc();
  const mem = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = mem();
  for (let tick = 0; tick < 900; tick++) {
    const b = emptyBatch(T0 + tick * 1000);
    for (let k = 0; k < keys.length; k++) {
      const ms = newMetricSet('pod_container', { pod_name: `pod-${k}` }, { scrapeTimeMs: T0 });
      for (let m = 0; m < names.length; m++) ms.values.set(names[m], tick * 1000 + k * 30 + m);
      b.sets.set(keys[k], ms);
    }
    store.append(b);
  }
  gc();
  const growthMb = (mem() - before) / 1e6;
  console.log(
    `memory-store: 900 × 100 × 30 = 2.7M points -> +${growthMb.toFixed(1)} MB (heapUsed + arrayBuffers; raw values 21.6 MB)`,
  );
  assert.equal(store.batchCount(), 900);
  assert.equal(store.seriesCount(), 3000);
  const pts = store.query({ key: keys[7], metric: names[3], startMs: 0, endMs: Infinity });
  assert.equal(pts.length, 900);
  assert.equal(pts[899].value, 899 * 1000 + 7 * 30 + 3);
  assert.ok(growthMb < 60, `growth ${growthMb.toFixed(1)} MB`);
});

test('retention 0 keeps only the newest batch; negative retention is rejected', () => {
  const store = new MemoryStore({ retentionMs: 0 });
  for (let i = 0; i < 3; i++) store.append(batch(T0 + i * 1000, { [N1]: set({ m: i }) }));
  assert.deepEqual(
    store.query({ key: N1, metric: 'm', startMs: 0, endMs: Infinity }).map((p) => p.value),
    [2],
  );
  assert.throws(() => new MemoryStore({ retentionMs: -1 }), /retentionMs/);
});
