// Real Prometheus scrapes /federate (honor_timestamps) and answers PromQL with our values:
// first an in-process API server holding known batches, then a real `heapster` main job whose
// node memory must equal the Model API's for the same tick.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';
import { pino } from 'pino';
import { createApiServer } from '../src/api/server.js';
import { toPrometheusText } from '../src/api/federate.js';
import { emptyBatch, newMetricSet } from '../src/core/batch.js';
import type { Batch } from '../src/core/batch.js';
import { CLUSTER_KEY, nodeKey, podKey } from '../src/core/keys.js';
import { SelfMetrics } from '../src/core/self-metrics.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { startHeapster } from './support/heapster-process.js';
import { prometheusAvailable, startPrometheus } from './support/prometheus.js';
import { freePort, need, waitFor } from './support/services.js';

const NASTY = 'app:web,note:say "hi"\\now\nnext';

function batchAt(timestampMs: number, memoryBytes: number): Batch {
  const b = emptyBatch(timestampMs);
  const cluster = newMetricSet('cluster', {}, { scrapeTimeMs: timestampMs });
  cluster.values.set('cpu/usage_rate', 2000);
  b.sets.set(CLUSTER_KEY, cluster);
  const node = newMetricSet(
    'node',
    { nodename: 'node-a', hostname: 'node-a', host_id: '' },
    { scrapeTimeMs: timestampMs },
  );
  node.values.set('memory/usage', memoryBytes);
  node.values.set('cpu/usage', 98_765_432_100);
  node.values.set('cpu/node_utilization', 0.375);
  node.labeled.push({
    name: 'filesystem/usage',
    labels: { resource_id: '/dev/sda1' },
    value: 4096,
  });
  b.sets.set(nodeKey('node-a'), node);
  const pod = newMetricSet(
    'pod',
    { namespace_name: 'default', pod_name: 'web-1', nodename: 'node-a', labels: NASTY },
    { scrapeTimeMs: timestampMs },
  );
  pod.values.set('cpu/usage_rate', 150);
  b.sets.set(podKey('default', 'web-1'), pod);
  return b;
}

test('real Prometheus scrapes /federate of known batches and answers PromQL with our values', async (t) => {
  if (!need(t, prometheusAvailable(), 'install Debian package prometheus')) return;
  const store = new MemoryStore();
  const app = createApiServer({
    store,
    selfMetrics: new SelfMetrics(),
    resolutionMs: 1000,
    healthMaxDelayMs: 180_000,
    logger: pino({ level: 'silent' }),
  });
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  const t1 = Math.floor(Date.now() / 1000) * 1000 - 1000;
  store.append(batchAt(t1, 1_234_567_890));
  const prom = await startPrometheus({
    scrapeTargets: [{ job: 'heapster', target: `127.0.0.1:${port}`, path: '/federate' }],
    scrapeIntervalS: 1,
  });
  try {
    const node = await waitFor('heapster_memory_usage in Prometheus', async () => {
      const r = await prom.query('heapster_memory_usage{type="node"}');
      return r.length > 0 ? r : undefined;
    });
    assert.equal(node.length, 1);
    assert.equal(node[0].value[1], '1234567890');
    const stamp = await prom.query('timestamp(heapster_memory_usage{type="node"})');
    assert.equal(Number(stamp[0]?.value[1]), t1 / 1000, 'sample timestamp = batch timestamp');
    assert.deepEqual(
      { ...node[0].metric, instance: undefined },
      {
        __name__: 'heapster_memory_usage',
        type: 'node',
        nodename: 'node-a',
        hostname: 'node-a',
        job: 'heapster',
        instance: undefined,
      },
      'empty host_id is left out',
    );

    const expect1 = async (promql: string, want: string, labels: Record<string, string> = {}) => {
      const r = await prom.query(promql);
      assert.equal(r.length, 1, `${promql}: ${JSON.stringify(r)}`);
      assert.equal(r[0].value[1], want, promql);
      for (const [k, v] of Object.entries(labels))
        assert.equal(r[0].metric[k], v, `${promql} ${k}`);
    };
    await expect1('heapster_cpu_usage_total{nodename="node-a"}', '98765432100');
    await expect1('heapster_cpu_node_utilization', '0.375');
    await expect1('heapster_filesystem_usage{resource_id="/dev/sda1"}', '4096', { type: 'node' });
    await expect1('heapster_cpu_usage_rate{type="cluster"}', '2000');
    // The escaped `labels` label arrives byte for byte.
    await expect1('heapster_cpu_usage_rate{type="pod"}', '150', {
      labels: NASTY,
      pod_name: 'web-1',
      namespace_name: 'default',
    });
    // Every sample of the exposition was ingested, none rejected.
    const samples = toPrometheusText(batchAt(t1, 0))
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#')).length;
    await expect1('scrape_samples_scraped{job="heapster"}', String(samples));
    await expect1('up{job="heapster"}', '1');

    // The next tick replaces the value at its own timestamp.
    const t2 = t1 + 1000;
    store.append(batchAt(t2, 2_000_000_000));
    await waitFor('the second tick in Prometheus', async () => {
      const r = await prom.query('heapster_memory_usage{type="node"}');
      return r[0]?.value[1] === '2000000000' ? r : undefined;
    });
    const stamp2 = await prom.query('timestamp(heapster_memory_usage{type="node"})');
    assert.equal(Number(stamp2[0]?.value[1]), t2 / 1000);
    const before = await prom.query('heapster_memory_usage{type="node"}', t1 / 1000);
    assert.equal(before[0]?.value[1], '1234567890', 'the first tick stays at its time');
  } finally {
    await prom.stop();
    await app.close();
  }
});

test('promtool accepts the exposition without lint problems', (t) => {
  const promtool = '/usr/bin/promtool';
  if (!need(t, existsSync(promtool), 'install Debian package prometheus (promtool)')) return;
  const r = spawnSync(promtool, ['check', 'metrics'], {
    input: toPrometheusText(batchAt(Date.UTC(2024, 0, 1), 1)),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
});

test('real Prometheus scraping a real heapster job sees the Model API node memory of the tick', async (t) => {
  if (!need(t, prometheusAvailable(), 'install Debian package prometheus')) return;
  const h = await startHeapster(['--metric_resolution=1s']);
  const prom = await startPrometheus({
    scrapeTargets: [{ job: 'heapster', target: `127.0.0.1:${h.port}`, path: '/federate' }],
    scrapeIntervalS: 1,
  });
  try {
    const node = os.hostname();
    const got = await waitFor(
      'node memory in Prometheus',
      async () => {
        const r = await prom.query('heapster_memory_usage{type="node"}');
        return r.length > 0 ? r : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(got.length, 1);
    assert.equal(got[0].metric.nodename, node);
    // Every raw sample Prometheus holds equals the Model API's point of the same tick.
    const series = await prom.samples('heapster_memory_usage{type="node"}', 30);
    assert.equal(series.length, 1);
    assert.ok(series[0].values.length >= 1);
    const model = await h.get(`/api/v1/model/nodes/${node}/metrics/memory/usage`);
    const points = (model.body as { metrics: { timestamp: string; value: number }[] }).metrics;
    const byMs = new Map(points.map((p) => [Date.parse(p.timestamp), p.value]));
    for (const [timeS, value] of series[0].values) {
      assert.equal(Number(value), byMs.get(timeS * 1000), `tick ${timeS}`);
    }
    // The rate needs two ticks; it then shows up too, with the node's labels.
    const rate = await waitFor('node cpu rate in Prometheus', async () => {
      const r = await prom.query('heapster_cpu_usage_rate{type="node"}');
      return r.length > 0 ? r : undefined;
    });
    assert.equal(rate[0].metric.nodename, node);
  } finally {
    await prom.stop();
    assert.equal(await h.stop(), 0);
  }
});
