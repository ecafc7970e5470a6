// The prometheus (remote write) sink against real Prometheus and VictoriaMetrics: every
// series we send is queryable with PromQL, with our name, labels and value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { parseUri } from '../src/config/uri.js';
import type { Batch } from '../src/core/batch.js';
import { countPoints } from '../src/core/batch.js';
import { SelfMetrics } from '../src/core/self-metrics.js';
import { QueuedSink } from '../src/pipeline/sink-queue.js';
import { toTimeSeries } from '../src/sinks/prometheus-remote-write.js';
import { createSink } from '../src/sinks/registry.js';
import { clusterBatch } from '../src/sinks/testdata/cluster-batch.js';
import { prometheusAvailable, startPrometheus } from './support/prometheus.js';
import { need, waitFor } from './support/services.js';
import { haveVictoriaMetrics, startVictoriaMetrics } from './support/victoria-metrics.js';

const silent = pino({ level: 'silent' });
const ctx = { nodeName: 'n', resolutionMs: 1000, logger: silent };

function keyOf(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

/** What the server should hold: label set → value, from the same mapping the sink uses. */
function expectedSeries(batch: Batch, clusterName: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of toTimeSeries(batch, { prefix: 'heapster_', clusterName })) {
    const labels: Record<string, string> = {};
    for (const l of s.labels) labels[l.name] = l.value;
    out.set(keyOf(labels), s.samples[0].value);
  }
  return out;
}

async function sendThroughRuntime(uri: string, batch: Batch): Promise<SelfMetrics> {
  const metrics = new SelfMetrics();
  const q = new QueuedSink(createSink(parseUri('--sink', uri, {}), ctx), {
    capacity: 3,
    writeTimeoutMs: 5000,
    metrics,
    logger: silent,
  });
  await q.write(batch);
  await q.close();
  return metrics;
}

type Query = (
  promql: string,
  timeS?: number,
) => Promise<{ metric: Record<string, string>; value: [number, string] }[]>;

async function assertSameSeries(query: Query, batch: Batch, clusterName: string): Promise<void> {
  const want = expectedSeries(batch, clusterName);
  const timeS = batch.timestampMs / 1000;
  const got = await waitFor('remote-written series', async () => {
    const r = await query('{__name__=~"heapster_.+"}', timeS);
    return r.length >= want.size ? r : undefined;
  });
  assert.equal(got.length, want.size);
  for (const s of got) {
    const k = keyOf(s.metric);
    assert.ok(want.has(k), `unexpected series ${k}`);
    assert.equal(Number(s.value[1]), want.get(k), k);
    assert.equal(s.value[0], timeS);
  }
  // A dashboard-style PromQL query over our names.
  const cpu = await query('sum(heapster_cpu_usage_rate{type="node"})', timeS);
  assert.equal(Number(cpu[0].value[1]), 10 + 30); // node-1 k=1, node-2 k=3 (see cluster-batch)
}

test('remote write to a real Prometheus: every series queryable with PromQL and equal to ours', async (t) => {
  if (!need(t, prometheusAvailable(), 'install Debian package prometheus')) return;
  const prom = await startPrometheus();
  try {
    const batch = clusterBatch(Math.floor(Date.now() / 1000) * 1000 - 5000);
    const metrics = await sendThroughRuntime(
      `prometheus:${prom.url}/api/v1/write?cluster_name=c1`,
      batch,
    );
    const written = (await metrics.registry.getMetricsAsJSON())
      .find((m) => m.name === 'heapster_sink_points_written_total')
      ?.values.reduce((a, v) => a + v.value, 0);
    assert.equal(written, countPoints(batch));
    await assertSameSeries(prom.query, batch, 'c1');
  } finally {
    await prom.stop();
  }
});

test('remote write to a real VictoriaMetrics: every series queryable with PromQL and equal to ours', async (t) => {
  if (!need(t, haveVictoriaMetrics(), 'install Debian package victoria-metrics')) return;
  const vm = await startVictoriaMetrics();
  try {
    const batch = clusterBatch(Math.floor(Date.now() / 1000) * 1000 - 5000);
    await sendThroughRuntime(`prometheus:${vm.url}/api/v1/write`, batch);
    await assertSameSeries(vm.query, batch, '');
  } finally {
    await vm.stop();
  }
});
