import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, Labels, MetricSet } from '../core/batch.js';
import { newMetricSet } from '../core/batch.js';
import type { EntityType } from '../core/keys.js';
import { nodeKey, podKey } from '../core/keys.js';
import { createNodeAggregator } from './node-aggregator.js';

const T = 1_700_000_000_000;

function mk(type: EntityType, labels: Labels, values: Record<string, number>): MetricSet {
  const s = newMetricSet(type, labels, { scrapeTimeMs: T });
  for (const [k, v] of Object.entries(values)) s.values.set(k, v);
  return s;
}

function run(sets: Record<string, MetricSet>): Batch {
  return createNodeAggregator().process({ timestampMs: T, sets: new Map(Object.entries(sets)) });
}

const REQ = {
  'cpu/request': 100,
  'cpu/limit': 200,
  'memory/request': 1 << 20,
  'memory/limit': 2 << 20,
  'ephemeral_storage/request': 1000,
  'ephemeral_storage/limit': 2000,
  'cpu/usage_rate': 55,
  'memory/usage': 77,
};

test('sums pod requests and limits into the existing node set', () => {
  const node = mk('node', { nodename: 'n1' }, { 'cpu/usage_rate': 900, 'memory/usage': 5000 });
  const b = run({
    [nodeKey('n1')]: node,
    [podKey('default', 'a')]: mk('pod', { nodename: 'n1' }, REQ),
    [podKey('default', 'b')]: mk(
      'pod',
      { nodename: 'n1' },
      { 'cpu/request': 50, 'memory/limit': 1 },
    ),
  });
  assert.deepEqual(Object.fromEntries(b.sets.get(nodeKey('n1'))!.values), {
    'cpu/usage_rate': 900,
    'memory/usage': 5000,
    'cpu/request': 150,
    'cpu/limit': 200,
    'memory/request': 1 << 20,
    'memory/limit': (2 << 20) + 1,
    'ephemeral_storage/request': 1000,
    'ephemeral_storage/limit': 2000,
  });
  assert.equal(createNodeAggregator().name, 'node_aggregator');
});

test('never creates nodes; pods without nodename are skipped', () => {
  const node = mk('node', { nodename: 'n1' }, {});
  const b = run({
    [nodeKey('n1')]: node,
    p1: mk('pod', { nodename: 'n2' }, REQ),
    p2: mk('pod', {}, REQ),
    c1: mk('pod_container', { nodename: 'n1' }, REQ),
  });
  assert.equal(b.sets.has(nodeKey('n2')), false);
  assert.equal(b.sets.size, 4);
  assert.equal(node.values.size, 0);
});
