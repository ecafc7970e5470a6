import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, MetricSet } from '../core/batch.js';
import { newMetricSet } from '../core/batch.js';
import { CLUSTER_KEY, namespaceKey, nodeKey, podContainerKey, podKey } from '../core/keys.js';
import { defaultProcessors } from './index.js';

const T0 = 1_700_000_000_000;

function tick(t: number, cpuNanos: number): Batch {
  const sets = new Map<string, MetricSet>();
  const c = newMetricSet(
    'pod_container',
    { namespace_name: 'default', pod_name: 'web', container_name: 'app', nodename: 'n1' },
    { scrapeTimeMs: t, collectionStartMs: T0 - 1000 },
  );
  c.values.set('cpu/usage', cpuNanos);
  c.values.set('cpu/request', 250);
  c.values.set('memory/usage', 100);
  sets.set(podContainerKey('default', 'web', 'app'), c);
  const n = newMetricSet('node', { nodename: 'n1' }, { scrapeTimeMs: t, collectionStartMs: 0 });
  n.values.set('cpu/usage', cpuNanos * 2);
  n.values.set('cpu/node_allocatable', 4000);
  sets.set(nodeKey('n1'), n);
  return { timestampMs: t, sets };
}

test('the default chain: node-local steps first, then the namespace and cluster roll-ups', () => {
  const chain = defaultProcessors();
  assert.deepEqual(
    chain.map((p) => p.name),
    [
      'rate calculator',
      'pod_aggregator',
      'node_aggregator',
      'node_autoscaling',
      'namespace_aggregator',
      'cluster_aggregator',
    ],
  );
  const run = (b: Batch): Batch => chain.reduce((acc, p) => p.process(acc), b);
  run(tick(T0, 0));
  const b = run(tick(T0 + 60_000, 30e9));
  assert.equal(b.sets.get(podKey('default', 'web'))!.values.get('cpu/usage_rate'), 500);
  assert.equal(b.sets.get(namespaceKey('default'))!.values.get('cpu/usage_rate'), 500);
  assert.equal(b.sets.get(CLUSTER_KEY)!.values.get('cpu/usage_rate'), 500);
  const node = b.sets.get(nodeKey('n1'))!.values;
  assert.equal(node.get('cpu/request'), 250);
  assert.equal(node.get('cpu/node_utilization'), 0.25);
  assert.equal(node.get('cpu/node_reservation'), 0.0625);
});
