import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, Labels, MetricSet } from '../core/batch.js';
import { newMetricSet } from '../core/batch.js';
import type { EntityType } from '../core/keys.js';
import { nodeKey, podContainerKey, podKey } from '../core/keys.js';
import type {
  ClusterView,
  ContainerSpecInfo,
  PodInfo,
} from '../sources/kubernetes/cluster-view.js';
import { createPodEnricher, setRequestsAndLimits } from './pod-enricher.js';

const T = 1_700_000_000_000;
const NODE: Labels = { nodename: 'n1', hostname: 'h1', host_id: 'i-1' };

const APP: ContainerSpecInfo = Object.freeze({
  name: 'app',
  image: 'nginx:1',
  requests: Object.freeze({ cpu: 0.25, memory: 64e6, 'nvidia.com/gpu': 1 }),
  limits: Object.freeze({ cpu: 0.5, memory: 128e6, 'ephemeral-storage': 1e9 }),
});
const SIDE: ContainerSpecInfo = Object.freeze({
  name: 'side',
  image: 'envoy:2',
  requests: Object.freeze({}),
  limits: Object.freeze({}),
});

function pod(over: Partial<PodInfo> = {}): PodInfo {
  return {
    name: 'web',
    namespace: 'default',
    uid: 'uid-1',
    nodeName: 'n1',
    labels: Object.freeze({ tier: 'front', app: 'web' }),
    phase: 'Running',
    creationMs: T - 60_000,
    startMs: T - 50_000,
    containers: Object.freeze([APP, SIDE]),
    restartCounts: new Map([
      ['app', 2],
      ['side', 0],
    ]),
    ...over,
  };
}

/** A view over a mutable pod table (replacing an entry is how discovery updates a pod). */
function view(pods: PodInfo[]): ClusterView & { put(p: PodInfo): void; lookups: number } {
  const byKey = new Map(pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  return {
    lookups: 0,
    put(p) {
      byKey.set(`${p.namespace}/${p.name}`, p);
    },
    pod(ns, name) {
      this.lookups++;
      return byKey.get(`${ns}/${name}`);
    },
    pods: () => byKey.values(),
    node: () => undefined,
    nodes: () => [],
    namespace: () => undefined,
    synced: () => true,
  };
}

function set(type: EntityType, labels: Labels, values: Record<string, number> = {}): MetricSet {
  const s = newMetricSet(type, { ...NODE, ...labels }, { scrapeTimeMs: T, collectionStartMs: 1 });
  for (const [k, v] of Object.entries(values)) s.values.set(k, v);
  return s;
}

function podSets(ns: string, name: string, containers: string[], withPod = true): Batch {
  const sets = new Map<string, MetricSet>();
  const labels = { namespace_name: ns, pod_name: name };
  if (withPod) sets.set(podKey(ns, name), set('pod', labels, { 'cpu/usage': 1 }));
  for (const c of containers) {
    sets.set(
      podContainerKey(ns, name, c),
      set('pod_container', { ...labels, container_name: c }, { 'cpu/usage': 2 }),
    );
  }
  return { timestampMs: T, sets };
}

/** A set as plain data, keeping the order of labels and values. */
function plain(s: MetricSet | undefined): unknown {
  assert.ok(s !== undefined);
  return {
    labels: Object.entries(s.labels),
    values: [...s.values],
    scrapeTimeMs: s.scrapeTimeMs,
    collectionStartMs: s.collectionStartMs,
    createMs: s.createMs,
  };
}

const APP_VALUES: [string, number][] = [
  ['cpu/request', 250],
  ['cpu/limit', 500],
  ['memory/request', 64e6],
  ['memory/limit', 128e6],
  ['ephemeral_storage/request', 0],
  ['ephemeral_storage/limit', 1e9],
  ['nvidia.com/gpu/request', 1],
];
const SIDE_VALUES: [string, number][] = [
  ['cpu/request', 0],
  ['cpu/limit', 0],
  ['memory/request', 0],
  ['memory/limit', 0],
  ['ephemeral_storage/request', 0],
  ['ephemeral_storage/limit', 0],
];

test('setRequestsAndLimits sets the six request/limit values and other requests, in order', () => {
  const s = set('pod_container', {});
  setRequestsAndLimits(s, APP);
  assert.deepEqual([...s.values], APP_VALUES);
  setRequestsAndLimits(s, SIDE);
  assert.deepEqual([...s.values], [...SIDE_VALUES, ['nvidia.com/gpu/request', 1]]);
});

test('pod and container sets get ids, labels, stored labels, requests, image and restarts', () => {
  const enricher = createPodEnricher({ cluster: view([pod()]), store: ['application=app'] });
  const b = enricher.process(podSets('default', 'web', ['app', 'side']));
  const common = [
    ['pod_id', 'uid-1'],
    ['labels', 'app:web,tier:front'],
    ['application', 'web'],
  ];
  assert.deepEqual(plain(b.sets.get(podKey('default', 'web'))), {
    labels: [
      ...Object.entries(NODE),
      ['namespace_name', 'default'],
      ['pod_name', 'web'],
      ['type', 'pod'],
      ...common,
    ],
    values: [['cpu/usage', 1]],
    scrapeTimeMs: T,
    collectionStartMs: 1,
    createMs: T - 50_000,
  });
  assert.deepEqual(plain(b.sets.get(podContainerKey('default', 'web', 'app'))), {
    labels: [
      ...Object.entries(NODE),
      ['namespace_name', 'default'],
      ['pod_name', 'web'],
      ['container_name', 'app'],
      ['type', 'pod_container'],
      ...common,
      ['container_base_image', 'nginx:1'],
    ],
    values: [['cpu/usage', 2], ...APP_VALUES, ['restart_count', 2]],
    scrapeTimeMs: T,
    collectionStartMs: 1,
    createMs: 1,
  });
  assert.equal(b.sets.size, 3, 'no stubs when every set is there');
});

test('stubs for missing containers and a missing pod set carry labels and requests only', () => {
  const enricher = createPodEnricher({ cluster: view([pod()]) });
  const b = enricher.process(podSets('default', 'web', ['side'], false));
  assert.deepEqual(
    [...b.sets.keys()],
    [
      podContainerKey('default', 'web', 'side'),
      podKey('default', 'web'),
      podContainerKey('default', 'web', 'app'),
    ],
  );
  const common = [
    ['pod_id', 'uid-1'],
    ['labels', 'app:web,tier:front'],
  ];
  assert.deepEqual(plain(b.sets.get(podKey('default', 'web'))), {
    labels: [
      ['type', 'pod'],
      ['pod_name', 'web'],
      ['namespace_name', 'default'],
      ...Object.entries(NODE),
      ...common,
    ],
    values: [],
    scrapeTimeMs: T,
    collectionStartMs: T - 50_000,
    createMs: T - 50_000,
  });
  assert.deepEqual(plain(b.sets.get(podContainerKey('default', 'web', 'app'))), {
    labels: [
      ['type', 'pod_container'],
      ['pod_name', 'web'],
      ['namespace_name', 'default'],
      ...Object.entries(NODE),
      ...common,
      ['container_name', 'app'],
      ['container_base_image', 'nginx:1'],
    ],
    values: [...APP_VALUES, ['restart_count', 2]],
    scrapeTimeMs: T,
    collectionStartMs: T - 50_000,
    createMs: T - 50_000,
  });
});

test('unknown pods, other types and sets without names are left alone', () => {
  const cluster = view([pod()]);
  const enricher = createPodEnricher({ cluster });
  const b = podSets('default', 'other', ['app']);
  b.sets.set(nodeKey('n1'), set('node', {}));
  b.sets.set('x', set('pod_container', { namespace_name: 'default' }));
  const before = [...b.sets].map(([k, s]) => [k, plain(s)]);
  enricher.process(b);
  assert.deepEqual(
    [...b.sets].map(([k, s]) => [k, plain(s)]),
    before,
  );
  assert.equal(cluster.lookups, 1, 'one lookup for the adjacent sets of one pod');
});

test('a replaced PodInfo is seen on the next tick; an unchanged one gives the same sets', () => {
  const cluster = view([pod()]);
  const enricher = createPodEnricher({ cluster });
  const first = enricher.process(podSets('default', 'web', ['app', 'side']));
  const again = enricher.process(podSets('default', 'web', ['app', 'side']));
  assert.deepEqual(
    [...again.sets].map(([k, s]) => [k, plain(s)]),
    [...first.sets].map(([k, s]) => [k, plain(s)]),
  );
  cluster.put(
    pod({
      uid: 'uid-2',
      labels: { app: 'web2' },
      startMs: T - 1000,
      containers: [{ ...APP, image: 'nginx:2', requests: { cpu: 1 } }],
      restartCounts: new Map([['app', 3]]),
    }),
  );
  const b = enricher.process(podSets('default', 'web', ['app', 'side']));
  const app = b.sets.get(podContainerKey('default', 'web', 'app'))!;
  assert.equal(app.labels.pod_id, 'uid-2');
  assert.equal(app.labels.labels, 'app:web2');
  assert.equal(app.labels.container_base_image, 'nginx:2');
  assert.equal(app.values.get('cpu/request'), 1000);
  assert.equal(app.values.get('restart_count'), 3);
  assert.equal(b.sets.get(podKey('default', 'web'))!.createMs, T - 1000);
  const side = b.sets.get(podContainerKey('default', 'web', 'side'))!;
  assert.equal(side.values.has('cpu/request'), false, 'no longer in the spec');
  assert.equal(side.values.has('restart_count'), false);
  assert.equal(side.labels.pod_id, 'uid-2');
});

test('one small batch per node: each call makes the stubs of its own pods', () => {
  const cluster = view([pod(), pod({ name: 'api', uid: 'uid-3' })]);
  const enricher = createPodEnricher({ cluster });
  const a = enricher.process(podSets('default', 'web', ['app']));
  const b = enricher.process(podSets('default', 'api', ['side'], false));
  assert.deepEqual(
    [...a.sets.keys()],
    [
      podKey('default', 'web'),
      podContainerKey('default', 'web', 'app'),
      podContainerKey('default', 'web', 'side'),
    ],
  );
  assert.deepEqual(
    [...b.sets.keys()],
    [
      podContainerKey('default', 'api', 'side'),
      podKey('default', 'api'),
      podContainerKey('default', 'api', 'app'),
    ],
  );
  // The same pod in the next call gets its stubs again.
  const c = enricher.process(podSets('default', 'web', [], true));
  assert.equal(c.sets.size, 3);
});

test('a container set the spec lacks keeps its values but gets the restart count', () => {
  const p = pod({ restartCounts: new Map([['gone', 5]]) });
  const b = createPodEnricher({ cluster: view([p]) }).process(
    podSets('default', 'web', ['gone', 'app', 'side']),
  );
  const gone = b.sets.get(podContainerKey('default', 'web', 'gone'))!;
  assert.deepEqual(
    [...gone.values],
    [
      ['cpu/usage', 2],
      ['restart_count', 5],
    ],
  );
  assert.equal(gone.labels.container_base_image, undefined);
});

test('a view answering with a pod of another name: stubs are keyed by the names asked', () => {
  const p = pod({ name: 'real' });
  const cluster: ClusterView = { ...view([]), pod: () => p };
  const b = createPodEnricher({ cluster }).process(podSets('default', 'alias', ['app']));
  assert.deepEqual(
    [...b.sets.keys()],
    [
      podKey('default', 'alias'),
      podContainerKey('default', 'alias', 'app'),
      podContainerKey('default', 'alias', 'side'),
    ],
  );
  assert.equal(b.sets.get(podContainerKey('default', 'alias', 'side'))!.labels.pod_name, 'real');
});
