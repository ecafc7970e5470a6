import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricSet } from '../core/batch.js';
import { newMetricSet } from '../core/batch.js';
import { createNodeUtilization } from './node-utilization.js';

const T = 1_700_000_000_000;

function node(values: Record<string, number>): MetricSet {
  const s = newMetricSet('node', { nodename: 'n1' }, { scrapeTimeMs: T });
  for (const [k, v] of Object.entries(values)) s.values.set(k, v);
  return s;
}

function run(set: MetricSet): Record<string, number> {
  createNodeUtilization().process({ timestampMs: T, sets: new Map([['node:n1', set]]) });
  return Object.fromEntries(set.values);
}

test('utilization and reservation against allocatable', () => {
  const v = run(
    node({
      'cpu/usage_rate': 1000,
      'cpu/request': 3000,
      'cpu/node_allocatable': 4000,
      'cpu/node_capacity': 8000,
      'memory/usage': 2e9,
      'memory/working_set': 1e9,
      'memory/request': 1e9,
      'memory/node_allocatable': 8e9,
      'ephemeral_storage/usage': 25,
      'ephemeral_storage/request': 50,
      'ephemeral_storage/node_allocatable': 100,
    }),
  );
  assert.equal(v['cpu/node_utilization'], 0.25);
  assert.equal(v['cpu/node_reservation'], 0.75);
  assert.equal(v['memory/node_utilization'], 0.25, 'memory usage, not working set');
  assert.equal(v['memory/node_reservation'], 0.125);
  assert.equal(v['ephemeral_storage/node_utilization'], 0.25);
  assert.equal(v['ephemeral_storage/node_reservation'], 0.5);
  assert.equal(createNodeUtilization().name, 'node_autoscaling');
});

test('falls back to capacity without inventing allocatable', () => {
  const v = run(node({ 'cpu/usage_rate': 500, 'cpu/node_capacity': 2000 }));
  assert.equal(v['cpu/node_utilization'], 0.25);
  assert.equal('cpu/node_allocatable' in v, false);
  assert.equal('cpu/node_reservation' in v, false, 'no request, no reservation');
});

test('zero allocatable falls back to capacity; no denominator means no ratios', () => {
  const v = run(
    node({ 'cpu/usage_rate': 500, 'cpu/node_allocatable': 0, 'cpu/node_capacity': 1000 }),
  );
  assert.equal(v['cpu/node_utilization'], 0.5);
  const none = run(
    node({
      'cpu/usage_rate': 500,
      'cpu/request': 10,
      'cpu/node_allocatable': 0,
      'memory/usage': 10,
      'memory/node_capacity': 0,
      'ephemeral_storage/usage': 1,
    }),
  );
  for (const k of Object.keys(none))
    assert.ok(!k.endsWith('_utilization') && !k.endsWith('_reservation'), k);
});

test('only node sets are touched', () => {
  const pod = newMetricSet('pod', {}, { scrapeTimeMs: T });
  pod.values.set('cpu/usage_rate', 10);
  pod.values.set('cpu/node_allocatable', 100);
  createNodeUtilization().process({ timestampMs: T, sets: new Map([['namespace:a/pod:b', pod]]) });
  assert.equal(pod.values.has('cpu/node_utilization'), false);
});
