import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Batch } from '../core/batch.js';
import { emptyBatch, newMetricSet } from '../core/batch.js';
import { nodeKey } from '../core/keys.js';
import { SelfMetrics } from '../core/self-metrics.js';
import { MemoryStore } from '../store/memory-store.js';
import { checkHealth } from './health.js';
import { createApiServer } from './server.js';

const T0 = Date.UTC(2018, 5, 1, 10, 0, 0);
const LIMIT_MS = 180_000;

function batchWithNode(timestampMs: number): Batch {
  const b = emptyBatch(timestampMs);
  const set = newMetricSet('node', { hostname: 'n1' }, { scrapeTimeMs: timestampMs });
  set.values.set('memory/usage', 1);
  b.sets.set(nodeKey('n1'), set);
  return b;
}

function app(store: MemoryStore, nowMs: number, selfMetrics = new SelfMetrics()) {
  return createApiServer({
    store,
    selfMetrics,
    resolutionMs: 60_000,
    healthMaxDelayMs: LIMIT_MS,
    logger: pino({ level: 'silent' }),
    now: () => nowMs,
  });
}

test('checkHealth table', () => {
  const cases: [Batch | undefined, number, ReturnType<typeof checkHealth>][] = [
    [undefined, T0, { ok: false, reason: 'no batch yet' }],
    [batchWithNode(T0), T0 + 65_000, { ok: true }],
    [batchWithNode(T0), T0 + LIMIT_MS, { ok: true }],
    [batchWithNode(T0), T0 - 5_000, { ok: true }],
    [
      batchWithNode(T0),
      T0 + 312_000,
      { ok: false, reason: 'latest batch is 312s old (limit 180s)' },
    ],
    [
      batchWithNode(T0),
      T0 + 180_400,
      { ok: false, reason: 'latest batch is 180.4s old (limit 180s)' },
    ],
    [emptyBatch(T0), T0 + 1000, { ok: false, reason: 'latest batch has no metric sets' }],
  ];
  for (const [batch, now, want] of cases) assert.deepEqual(checkHealth(batch, now, LIMIT_MS), want);
});

test('/healthz: 500 before the first batch, 200 ok when fresh, 500 when stale', async () => {
  const store = new MemoryStore();
  const before = app(store, T0);
  let res = await before.inject({ url: '/healthz' });
  assert.equal(res.statusCode, 500);
  assert.equal(res.body, 'no batch yet');
  assert.match(String(res.headers['content-type']), /^text\/plain/);

  store.append(batchWithNode(T0));
  res = await app(store, T0 + 65_000).inject({ url: '/healthz' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.body, 'ok');
  res = await app(store, T0 + 65_000).inject({ url: '/healthz/' });
  assert.equal(res.statusCode, 200);

  res = await app(store, T0 + 312_000).inject({ url: '/healthz' });
  assert.equal(res.statusCode, 500);
  assert.equal(res.body, 'latest batch is 312s old (limit 180s)');

  const empty = new MemoryStore();
  empty.append(emptyBatch(T0));
  res = await app(empty, T0).inject({ url: '/healthz' });
  assert.equal(res.statusCode, 500);
  assert.equal(res.body, 'latest batch has no metric sets');
});

test('/metrics serves the self-metrics registry in the Prometheus text format', async () => {
  const selfMetrics = new SelfMetrics();
  selfMetrics.ticks.inc({ result: 'ok' }, 3);
  const res = await app(new MemoryStore(), T0, selfMetrics).inject({ url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], selfMetrics.registry.contentType);
  assert.match(res.body, /^heapster_ticks_total\{result="ok"\} 3$/m);
  assert.match(res.body, /# TYPE heapster_tick_duration_milliseconds histogram/);
});
