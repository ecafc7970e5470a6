import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, Labels, MetricSet } from '../core/batch.js';
import { newMetricSet } from '../core/batch.js';
import type { EntityType } from '../core/keys.js';
import { namespaceKey, podKey } from '../core/keys.js';
import { NAMESPACE_METRICS, createNamespaceAggregator } from './namespace-aggregator.js';

const T = 1_700_000_000_000;

function mk(
  type: EntityType,
  labels: Labels,
  values: Record<string, number>,
  scrapeTimeMs = T,
): MetricSet {
  const s = newMetricSet(type, labels, { scrapeTimeMs, collectionStartMs: scrapeTimeMs - 1000 });
  for (const [k, v] of Object.entries(values)) s.values.set(k, v);
  return s;
}

function run(sets: Record<string, MetricSet>): Batch {
  return createNamespaceAggregator().process({
    timestampMs: T,
    sets: new Map(Object.entries(sets)),
  });
}

const pod = (
  ns: string,
  name: string,
  values: Record<string, number>,
  scrapeTimeMs = T,
): MetricSet =>
  mk(
    'pod',
    { namespace_name: ns, namespace_id: `${ns}-uid`, pod_name: name, nodename: 'n1' },
    values,
    scrapeTimeMs,
  );

test('sums the namespace metrics of pods into namespace sets', () => {
  const b = run({
    [podKey('default', 'a')]: pod(
      'default',
      'a',
      {
        'cpu/usage_rate': 100,
        'memory/usage': 10,
        'cpu/request': 50,
        'cpu/limit': 200,
        'memory/request': 1,
        'memory/limit': 2,
        'memory/working_set': 5,
        'network/rx_rate': 7,
      },
      T - 5,
    ),
    [podKey('default', 'b')]: pod('default', 'b', { 'cpu/usage_rate': 20, 'memory/usage': 30 }),
    [podKey('kube-system', 'dns')]: pod('kube-system', 'dns', { 'memory/usage': 4 }),
    'namespace:default/pod:a/container:x': mk(
      'pod_container',
      { namespace_name: 'default' },
      {
        'memory/usage': 1000,
      },
    ),
  });
  const ns = b.sets.get(namespaceKey('default'));
  assert.ok(ns);
  assert.deepEqual(Object.fromEntries(ns.values), {
    'cpu/usage_rate': 120,
    'memory/usage': 40,
    'cpu/request': 50,
    'cpu/limit': 200,
    'memory/request': 1,
    'memory/limit': 2,
  });
  assert.deepEqual(ns.labels, {
    type: 'ns',
    namespace_name: 'default',
    namespace_id: 'default-uid',
  });
  assert.equal(ns.scrapeTimeMs, T);
  assert.equal(ns.collectionStartMs, T - 1005);
  assert.deepEqual(Object.fromEntries(b.sets.get(namespaceKey('kube-system'))!.values), {
    'memory/usage': 4,
  });
  assert.equal(createNamespaceAggregator().name, 'namespace_aggregator');
});

test('the metric list is data and matches the original', () => {
  assert.deepEqual(NAMESPACE_METRICS, [
    'cpu/usage_rate',
    'memory/usage',
    'cpu/request',
    'cpu/limit',
    'memory/request',
    'memory/limit',
  ]);
});

test('an existing namespace set gets the sums added and keeps its labels', () => {
  const existing = mk(
    'ns',
    { namespace_name: 'default', namespace_id: 'x' },
    { 'memory/usage': 1 },
  );
  const b = run({
    [namespaceKey('default')]: existing,
    p: pod('default', 'a', { 'memory/usage': 2 }),
  });
  assert.equal(b.sets.get(namespaceKey('default')), existing);
  assert.equal(existing.values.get('memory/usage'), 3);
  assert.equal(existing.labels.namespace_id, 'x');
});

test('namespace from the pod key when the label is missing', () => {
  const b = run({ [podKey('prod', 'api')]: mk('pod', {}, { 'memory/usage': 8 }) });
  const ns = b.sets.get(namespaceKey('prod'));
  assert.ok(ns);
  assert.deepEqual(ns.labels, { type: 'ns', namespace_name: 'prod' });
  assert.equal(ns.values.get('memory/usage'), 8);
});
