import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, Labels, MetricSet } from '../core/batch.js';
import { newMetricSet } from '../core/batch.js';
import type { EntityType } from '../core/keys.js';
import { CLUSTER_KEY, namespaceKey, nodeKey } from '../core/keys.js';
import { createClusterAggregator } from './cluster-aggregator.js';

const T = 1_700_000_000_000;

function mk(
  type: EntityType,
  labels: Labels,
  values: Record<string, number>,
  scrapeTimeMs = T,
): MetricSet {
  const s = newMetricSet(type, labels, { scrapeTimeMs, collectionStartMs: scrapeTimeMs - 100 });
  for (const [k, v] of Object.entries(values)) s.values.set(k, v);
  return s;
}

function run(sets: Record<string, MetricSet>): Batch {
  return createClusterAggregator().process({ timestampMs: T, sets: new Map(Object.entries(sets)) });
}

test('cluster = sum of namespace sets (namespace metric list only)', () => {
  const b = run({
    [namespaceKey('a')]: mk(
      'ns',
      { namespace_name: 'a' },
      {
        'cpu/usage_rate': 100,
        'memory/usage': 10,
        'cpu/request': 1,
        'cpu/limit': 2,
        'memory/request': 3,
        'memory/limit': 4,
      },
      T - 7,
    ),
    [namespaceKey('b')]: mk(
      'ns',
      { namespace_name: 'b' },
      {
        'cpu/usage_rate': 50,
        'memory/usage': 5,
        'memory/working_set': 99,
      },
      T - 3,
    ),
    [nodeKey('n1')]: mk(
      'node',
      { nodename: 'n1' },
      { 'cpu/usage_rate': 10_000, 'memory/usage': 1 },
    ),
  });
  const cluster = b.sets.get(CLUSTER_KEY);
  assert.ok(cluster);
  assert.deepEqual(cluster.labels, { type: 'cluster' });
  assert.deepEqual(Object.fromEntries(cluster.values), {
    'cpu/usage_rate': 150,
    'memory/usage': 15,
    'cpu/request': 1,
    'cpu/limit': 2,
    'memory/request': 3,
    'memory/limit': 4,
  });
  assert.equal(cluster.scrapeTimeMs, T - 3);
  assert.equal(cluster.collectionStartMs, T - 107);
  assert.equal(createClusterAggregator().name, 'cluster_aggregator');
});

test('without namespaces (plain machine, Docker hosts) the cluster sums the nodes', () => {
  const b = run({
    [nodeKey('h1')]: mk(
      'node',
      { nodename: 'h1' },
      {
        'cpu/usage_rate': 1500,
        'memory/usage': 100,
        'memory/working_set': 80,
        'cpu/node_capacity': 4000,
        'memory/node_capacity': 8e9,
        'network/rx_rate': 5,
      },
    ),
    [nodeKey('h2')]: mk('node', { nodename: 'h2' }, { 'cpu/usage_rate': 500, 'memory/usage': 50 }),
    'node:h1/container:docker': mk('sys_container', {}, { 'cpu/usage_rate': 100 }),
  });
  assert.deepEqual(Object.fromEntries(b.sets.get(CLUSTER_KEY)!.values), {
    'cpu/usage_rate': 2000,
    'memory/usage': 150,
    'memory/working_set': 80,
    'cpu/node_capacity': 4000,
    'memory/node_capacity': 8e9,
  });
});

test('always creates a fresh cluster set, even for an empty batch', () => {
  const stale = mk('cluster', {}, { 'memory/usage': 123 });
  const b = run({ [CLUSTER_KEY]: stale });
  const cluster = b.sets.get(CLUSTER_KEY);
  assert.ok(cluster);
  assert.notEqual(cluster, stale);
  assert.equal(cluster.values.size, 0);
  assert.equal(cluster.scrapeTimeMs, T);
  assert.deepEqual(cluster.labels, { type: 'cluster' });
});
