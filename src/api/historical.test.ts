import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { MetricSet } from '../core/batch.js';
import { SelfMetrics } from '../core/self-metrics.js';
import { TsdbStore } from '../store/tsdb-store.js';
import { createApiServer } from './server.js';

const T0 = Date.UTC(2018, 5, 1, 10, 0, 0);

function store(): TsdbStore {
  const s = new TsdbStore({ retentionRawMs: 24 * 3_600_000 });
  for (let i = 0; i < 10; i++) {
    const set = (labels: Record<string, string>, v: number): MetricSet => ({
      labels,
      values: new Map([
        ['cpu/usage_rate', v],
        ['memory/usage', v * 1024],
      ]),
      labeled: [],
      scrapeTimeMs: T0,
      collectionStartMs: 0,
      createMs: 0,
    });
    s.append({
      timestampMs: T0 + i * 60_000,
      sets: new Map([
        ['node:n1', set({ type: 'node' }, i + 1)],
        ['namespace:ns/pod:p1', set({ type: 'pod' }, 100 + i)],
      ]),
    });
  }
  return s;
}

function server(historicalSource?: string) {
  return createApiServer({
    store: store(),
    selfMetrics: new SelfMetrics(),
    resolutionMs: 60_000,
    healthMaxDelayMs: 180_000,
    logger: pino({ level: 'silent' }),
    now: () => T0 + 3_600_000,
    historicalSource,
  });
}

test('historical API: raw MetricResult, aggregated buckets, lists, errors', async () => {
  const app = server();
  const raw = await app.inject({
    url: '/api/v1/historical/nodes/n1/metrics/cpu/usage_rate?start=2018-06-01T10:08:00Z',
  });
  assert.equal(raw.statusCode, 200);
  assert.deepEqual(raw.json(), {
    metrics: [
      { timestamp: '2018-06-01T10:08:00Z', value: 9 },
      { timestamp: '2018-06-01T10:09:00Z', value: 10 },
    ],
    latestTimestamp: '2018-06-01T10:09:00Z',
  });
  const agg = await app.inject({
    url: '/api/v1/historical/nodes/n1/metrics-aggregated/average,max,min,count,95-perc/cpu/usage_rate?bucket=5m',
  });
  assert.equal(agg.statusCode, 200);
  assert.deepEqual(agg.json(), {
    buckets: [
      {
        timestamp: '2018-06-01T10:00:00Z',
        count: 5,
        average: { intValue: 3 },
        maximum: { intValue: 5 },
        minimum: { intValue: 1 },
        percentiles: { '95': { intValue: 5 } },
      },
      {
        timestamp: '2018-06-01T10:05:00Z',
        count: 5,
        average: { intValue: 8 },
        maximum: { intValue: 10 },
        minimum: { intValue: 6 },
        percentiles: { '95': { intValue: 10 } },
      },
    ],
    bucketSize: 300_000_000_000,
  });
  const list = await app.inject({
    url: '/api/v1/historical/namespaces/ns/pod-list/p1,p2/metrics-aggregated/median/memory/usage?bucket=1h',
  });
  assert.deepEqual(list.json(), {
    items: [
      {
        buckets: [{ timestamp: '2018-06-01T10:00:00Z', median: { intValue: 107_008 } }],
        bucketSize: 3.6e12,
      },
      { buckets: [], bucketSize: 3.6e12 },
    ],
  });
  assert.deepEqual((await app.inject({ url: '/api/v1/historical/nodes' })).json(), ['n1']);
  assert.deepEqual((await app.inject({ url: '/api/v1/historical/namespaces/ns/pods/' })).json(), [
    'p1',
  ]);
  const bad = await app.inject({
    url: '/api/v1/historical/nodes/n1/metrics-aggregated/mean/cpu/usage_rate',
  });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error, /aggregations: unknown "mean"/);
  const badBucket = await app.inject({
    url: '/api/v1/historical/nodes/n1/metrics-aggregated/max/cpu/usage_rate?bucket=soon',
  });
  assert.equal(badBucket.statusCode, 400);
  assert.match(badBucket.json().error, /^bucket:/);
});

test('historical API is left to --historical_source when one is set', async () => {
  const res = await server('influxdb:http://127.0.0.1:1').inject({
    url: '/api/v1/historical/nodes',
  });
  assert.equal(res.statusCode, 404);
});
