import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, Labels, MetricSet } from '../core/batch.js';
import { newMetricSet } from '../core/batch.js';
import type { EntityType } from '../core/keys.js';
import { podContainerKey, podKey } from '../core/keys.js';
import { createPodAggregator } from './pod-aggregator.js';

const T = 1_700_000_000_000;

function mk(
  type: EntityType,
  labels: Labels,
  values: Record<string, number>,
  times: { scrapeTimeMs?: number; collectionStartMs?: number } = {},
): MetricSet {
  const s = newMetricSet(type, labels, {
    scrapeTimeMs: times.scrapeTimeMs ?? T,
    collectionStartMs: times.collectionStartMs ?? T - 1000,
  });
  for (const [k, v] of Object.entries(values)) s.values.set(k, v);
  return s;
}

const CONTAINER_LABELS: Labels = {
  namespace_name: 'default',
  namespace_id: 'ns-uid',
  pod_name: 'web',
  pod_id: 'pod-uid',
  container_name: 'app',
  container_base_image: 'nginx',
  hostname: 'host-1',
  host_id: 'i-123',
  nodename: 'node-1',
  labels: 'app:web',
};

function container(name: string, values: Record<string, number>, times = {}): MetricSet {
  return mk('pod_container', { ...CONTAINER_LABELS, container_name: name }, values, times);
}

const POD = podKey('default', 'web');

function run(sets: Record<string, MetricSet>): Batch {
  return createPodAggregator().process({ timestampMs: T, sets: new Map(Object.entries(sets)) });
}

test('sums container gauges into a new pod set that keeps nodename', () => {
  const b = run({
    [podContainerKey('default', 'web', 'app')]: container(
      'app',
      { 'cpu/usage_rate': 100, 'memory/usage': 1000, 'cpu/request': 50, 'custom/qps': 1.5 },
      { scrapeTimeMs: T - 10, collectionStartMs: T - 5000 },
    ),
    [podContainerKey('default', 'web', 'sidecar')]: container(
      'sidecar',
      { 'cpu/usage_rate': 20, 'memory/usage': 24, 'custom/qps': 2.25 },
      { scrapeTimeMs: T - 2, collectionStartMs: T - 3000 },
    ),
  });
  const pod = b.sets.get(POD);
  assert.ok(pod);
  assert.deepEqual(Object.fromEntries(pod.values), {
    'cpu/usage_rate': 120,
    'memory/usage': 1024,
    'cpu/request': 50,
    'custom/qps': 3.75,
  });
  assert.deepEqual(pod.labels, {
    type: 'pod',
    pod_id: 'pod-uid',
    pod_name: 'web',
    namespace_name: 'default',
    namespace_id: 'ns-uid',
    hostname: 'host-1',
    host_id: 'i-123',
    nodename: 'node-1',
  });
  assert.equal(pod.scrapeTimeMs, T - 2);
  assert.equal(pod.collectionStartMs, T - 5000);
  assert.deepEqual(pod.labeled, []);
  assert.equal(createPodAggregator().name, 'pod_aggregator');
});

test('cumulative metrics are not summed', () => {
  const b = run({
    c1: container('app', {
      uptime: 5000,
      'cpu/usage': 1e9,
      'memory/page_faults': 3,
      'memory/major_page_faults': 1,
      'network/rx': 10,
      'network/tx_errors': 1,
      restart_count: 2,
      'memory/working_set': 7,
    }),
  });
  assert.deepEqual(Object.fromEntries(b.sets.get(POD)!.values), { 'memory/working_set': 7 });
});

test('pod-level values win, decided per metric by what the pod had before', () => {
  const pod = mk(
    'pod',
    { pod_name: 'web', namespace_name: 'default' },
    {
      'memory/usage': 5000,
      'network/rx': 99,
    },
  );
  const b = run({
    [POD]: pod,
    c1: container('app', { 'memory/usage': 1, 'cpu/usage_rate': 10, 'cpu/limit': 100 }),
    c2: container('side', { 'memory/usage': 2, 'cpu/usage_rate': 5 }),
  });
  assert.equal(b.sets.get(POD), pod, 'the existing pod set is kept');
  assert.deepEqual(Object.fromEntries(pod.values), {
    'memory/usage': 5000,
    'network/rx': 99,
    'cpu/usage_rate': 15,
    'cpu/limit': 100,
  });
  assert.equal(pod.scrapeTimeMs, T);
  assert.deepEqual(pod.labels, { type: 'pod', pod_name: 'web', namespace_name: 'default' });
});

test('labeled values are not aggregated; containers in different pods go apart', () => {
  const c1 = container('app', { 'memory/usage': 1 });
  c1.labeled.push({ name: 'filesystem/usage', labels: { resource_id: '/' }, value: 5 });
  const other = mk(
    'pod_container',
    { ...CONTAINER_LABELS, namespace_name: 'kube-system', pod_name: 'dns' },
    { 'memory/usage': 9 },
  );
  const b = run({ c1, c2: other });
  assert.deepEqual(b.sets.get(POD)!.labeled, []);
  assert.equal(b.sets.get(POD)!.values.get('memory/usage'), 1);
  assert.equal(b.sets.get(podKey('kube-system', 'dns'))!.values.get('memory/usage'), 9);
});

test('pod identity falls back to the container key; other set types are ignored', () => {
  const noLabels = mk('pod_container', {}, { 'memory/usage': 3 });
  const b = run({
    [podContainerKey('prod', 'api', 'main')]: noLabels,
    'node:n1': mk('node', { nodename: 'n1' }, { 'memory/usage': 100 }),
    'bad-key': mk('pod_container', {}, { 'memory/usage': 1 }),
  });
  const pod = b.sets.get(podKey('prod', 'api'));
  assert.ok(pod);
  assert.deepEqual(pod.labels, { type: 'pod', namespace_name: 'prod', pod_name: 'api' });
  assert.equal(pod.values.get('memory/usage'), 3);
  assert.equal(b.sets.size, 4);
});

test('non-finite container values are skipped', () => {
  const b = run({
    c1: container('a', { 'memory/usage': 4 }),
    c2: container('b', { 'memory/usage': Number.NaN }),
  });
  assert.equal(b.sets.get(POD)!.values.get('memory/usage'), 4);
});
