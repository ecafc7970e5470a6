import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, MetricSet } from '../core/batch.js';
import { newMetricSet } from '../core/batch.js';
import { nodeKey, sysContainerKey } from '../core/keys.js';
import type { ClusterView, NodeInfo } from '../sources/kubernetes/cluster-view.js';
import { createNodeAutoscalingEnricher } from './node-autoscaling-enricher.js';

const T = 1_700_000_000_000;

function node(name: string, over: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name,
    uid: `uid-${name}`,
    labels: { zone: 'z1', 'kubernetes.io/hostname': name },
    annotations: {},
    creationMs: 0,
    ready: true,
    unschedulable: false,
    externalId: '',
    addresses: [],
    capacity: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi', pods: '110' },
    allocatable: { cpu: '3900m', memory: '7Gi' },
    ...over,
  };
}

function view(nodes: NodeInfo[]): ClusterView & { put(n: NodeInfo): void } {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return {
    put: (n) => void byName.set(n.name, n),
    pod: () => undefined,
    pods: () => [],
    node: (name) => byName.get(name),
    nodes: () => [...byName.values()],
    namespace: () => undefined,
    synced: () => true,
  };
}

function batch(names: string[]): Batch {
  const sets = new Map<string, MetricSet>();
  for (const n of names) {
    const s = newMetricSet('node', { nodename: n }, { scrapeTimeMs: T });
    s.values.set('cpu/usage', 1);
    sets.set(nodeKey(n), s);
    sets.set(
      sysContainerKey(n, 'kubelet'),
      newMetricSet(
        'sys_container',
        { nodename: n, container_name: 'kubelet' },
        { scrapeTimeMs: T },
      ),
    );
  }
  return { timestampMs: T, sets };
}

function plain(b: Batch): unknown {
  return [...b.sets].map(([k, s]) => [k, Object.entries(s.labels), [...s.values]]);
}

const GI = 2 ** 30;
const N1 = [
  nodeKey('n1'),
  [
    ['nodename', 'n1'],
    ['type', 'node'],
    ['labels', 'kubernetes.io/hostname:n1,zone:z1'],
    ['zone_label', 'z1'],
  ],
  [
    ['cpu/usage', 1],
    ['cpu/node_capacity', 4000],
    ['cpu/node_allocatable', 3900],
    ['memory/node_capacity', 8 * GI],
    ['memory/node_allocatable', 7 * GI],
    ['ephemeral_storage/node_capacity', 100 * GI],
  ],
];

test('node sets get node labels, capacity and allocatable; other sets and unknown nodes none', () => {
  const e = createNodeAutoscalingEnricher({
    cluster: view([node('n1'), node('n3')]),
    store: ['zone_label=zone'],
  });
  assert.equal(e.name, 'node_autoscaling_enricher');
  const out = plain(e.process(batch(['n1', 'n2'])));
  assert.deepEqual(out, [
    N1,
    [
      sysContainerKey('n1', 'kubelet'),
      [
        ['nodename', 'n1'],
        ['container_name', 'kubelet'],
        ['type', 'sys_container'],
      ],
      [],
    ],
    [
      nodeKey('n2'),
      [
        ['nodename', 'n2'],
        ['type', 'node'],
      ],
      [['cpu/usage', 1]],
    ],
    [
      sysContainerKey('n2', 'kubelet'),
      [
        ['nodename', 'n2'],
        ['container_name', 'kubelet'],
        ['type', 'sys_container'],
      ],
      [],
    ],
  ]);
});

test('one call per node gives the same sets as one call for the cluster', () => {
  const names = Array.from({ length: 20 }, (_, i) => `n${i}`);
  const cluster = view(names.map((n) => node(n)));
  const whole = plain(createNodeAutoscalingEnricher({ cluster }).process(batch(names)));
  const e = createNodeAutoscalingEnricher({ cluster });
  const perNode = names.flatMap((n) => plain(e.process(batch([n]))) as unknown[]);
  assert.deepEqual(perNode, whole);
  // And a whole-cluster batch after small ones.
  assert.deepEqual(plain(e.process(batch(names))), whole);
});

test('a replaced NodeInfo is seen on the next call', () => {
  const cluster = view([node('n1')]);
  const e = createNodeAutoscalingEnricher({ cluster });
  e.process(batch(['n1']));
  cluster.put(node('n1', { labels: { zone: 'z2' }, capacity: { cpu: '8' }, allocatable: {} }));
  const s = e.process(batch(['n1'])).sets.get(nodeKey('n1'))!;
  assert.equal(s.labels.labels, 'zone:z2');
  assert.deepEqual(
    [...s.values],
    [
      ['cpu/usage', 1],
      ['cpu/node_capacity', 8000],
    ],
  );
});
