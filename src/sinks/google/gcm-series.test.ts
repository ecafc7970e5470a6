import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Batch } from '../../core/batch.js';
import { countPoints } from '../../core/batch.js';
import { clusterBatch } from '../testdata/cluster-batch.js';
import type { GcmMetricInfo } from './gcm-series.js';
import { GCM_LABELS, gcmDescriptor, gcmMetricInfo, gcmSeries } from './gcm-series.js';
import { MAX_SERIES_PER_REQUEST, seriesChunks } from './series-chunks.js';

const T = Date.UTC(2024, 0, 1, 0, 1, 0);

/** The test cluster with containers started 10 min before the batch. */
function batch(): Batch {
  const b = clusterBatch(T);
  for (const s of b.sets.values()) s.collectionStartMs = T - 600_000;
  return b;
}

const infos = new Map<string, GcmMetricInfo>();
const infoOf = (m: string, v: number) => {
  if (!infos.has(m)) infos.set(m, gcmMetricInfo(m, v));
  return infos.get(m)!;
};

test('gcm series: one point per value, GCM labels only, intervals by kind, value types by catalogue', () => {
  const b = batch();
  const items = [...gcmSeries(b, { filter: 'all', project: 'p', infoOf })];
  assert.equal(items.length, countPoints(b));
  for (const { series } of items) {
    for (const k of Object.keys(series.metric?.labels ?? {})) {
      assert.ok(GCM_LABELS.includes(k) || k === 'resource_type', k);
    }
    assert.deepEqual(series.resource, { type: 'global', labels: { project_id: 'p' } });
  }
  const find = (type: string, metric: string) =>
    items.find(
      (i) =>
        i.series.metric?.labels?.type === type &&
        i.series.metric?.type === `custom.googleapis.com/kubernetes.io/${metric}`,
    )!.series;
  const cpu = find('node', 'cpu/usage');
  assert.equal(cpu.metricKind, 'CUMULATIVE');
  assert.deepEqual(cpu.points?.[0].interval, {
    startTime: { seconds: (T - 600_000) / 1000, nanos: 0 },
    endTime: { seconds: T / 1000, nanos: 0 },
  });
  assert.deepEqual(cpu.points?.[0].value, { int64Value: 1e9 });
  const rx = find('node', 'network/rx_rate');
  assert.equal(rx.valueType, 'DOUBLE');
  assert.deepEqual(rx.points?.[0].interval, { endTime: { seconds: T / 1000, nanos: 0 } });
  assert.deepEqual(rx.points?.[0].value, { doubleValue: 2.25 });
  const pod = find('pod_container', 'memory/usage');
  assert.equal(pod.metric?.labels?.namespace_name, 'kube-system');
  assert.equal(pod.metric?.labels?.nodename, undefined, 'nodename is not a GCM label');
  const fs = items.filter((i) => i.series.metric?.type?.endsWith('filesystem/usage'));
  assert.ok(fs.some((i) => i.series.metric?.labels?.resource_id === 'logs'));
});

test('gcm series: cumulative values without a start before the batch are left out', () => {
  const b = clusterBatch(T); // collection start 0
  const skipped: string[] = [];
  const items = [
    ...gcmSeries(b, { filter: 'all', project: 'p', infoOf, onSkip: (m) => skipped.push(m) }),
  ];
  assert.ok(skipped.includes('cpu/usage') && skipped.includes('uptime'));
  assert.equal(items.length + skipped.length, countPoints(b));
});

test('gcm autoscaling: node metrics with hostname, resource_id = host_id, resource_type = instance', () => {
  const items = [...gcmSeries(batch(), { filter: 'autoscaling', project: 'p', infoOf })];
  assert.equal(items.length, 2 * 3);
  for (const { series } of items) {
    assert.match(series.metric?.type ?? '', /\/(cpu|memory)\/node_(allocatable|utilization)$/);
    assert.deepEqual(Object.keys(series.metric?.labels ?? {}).sort(), [
      'hostname',
      'resource_id',
      'resource_type',
    ]);
    assert.equal(series.metric?.labels?.resource_id, `${series.metric?.labels?.hostname}-id`);
  }
  const d = gcmDescriptor(gcmMetricInfo('cpu/node_utilization', 0.5));
  assert.deepEqual(
    d.labels?.map((l) => l.key),
    ['resource_id', 'resource_type', 'hostname'],
  );
  assert.equal(d.valueType, 'DOUBLE');
  assert.equal(gcmDescriptor(gcmMetricInfo('custom/qps', 3)).valueType, 'INT64');
  assert.equal(gcmDescriptor(gcmMetricInfo('memory/usage', 1)).labels?.length, 9);
});

test('seriesChunks: ≤ 200 series, duplicates left out, points add up to at most the values', () => {
  const big: Batch = { timestampMs: T, sets: new Map() };
  for (let i = 0; i < 5; i++) for (const [k, s] of batch().sets) big.sets.set(`${k}#${i}`, s);
  const dups: string[] = [];
  const chunks = [
    ...seriesChunks(
      gcmSeries(big, { filter: 'all', project: 'p', infoOf }),
      T,
      MAX_SERIES_PER_REQUEST,
      (k) => dups.push(k),
    ),
  ];
  assert.ok(chunks.length >= 1);
  for (const c of chunks) assert.ok(c.payload.length <= 200 && c.payload.length > 0);
  const once = countPoints(batch());
  assert.equal(
    chunks.reduce((a, c) => a + c.payload.length, 0),
    once,
    'copies of a series are sent once',
  );
  assert.equal(dups.length, 4 * once);
  assert.ok(chunks.reduce((a, c) => a + c.points, 0) <= countPoints(big));
  // Chunks of derived-only series still count at least one point.
  const derived = [...seriesChunks([{ series: { metric: { type: 'x' } }, counted: false }], T)];
  assert.equal(derived[0].points, 1);
});
