/* eslint-disable @typescript-eslint/no-explicit-any -- test reads loosely typed JSON bodies */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, MetricSet } from '../core/batch.js';
import { newMetricSet } from '../core/batch.js';
import { rootLogger } from '../core/log.js';
import { SelfMetrics } from '../core/self-metrics.js';
import { MemoryStore } from '../store/memory-store.js';
import type { ClusterView, NodeInfo, PodInfo } from '../sources/kubernetes/cluster-view.js';
import { cpuQuantity, goDuration, memoryQuantity } from './metrics-api.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { createApiServer } from './server.js';

const T = Date.parse('2024-06-01T10:02:00Z');

function batch(): Batch {
  const sets = new Map<string, MetricSet>();
  const node = (name: string, cpu: number, memBytes: number) => {
    const s = newMetricSet('node', { nodename: name }, { scrapeTimeMs: T });
    s.values.set('cpu/usage_rate', cpu);
    s.values.set('memory/working_set', memBytes);
    s.values.set('cpu/node_capacity', 4000);
    s.values.set('memory/node_capacity', 8 * 2 ** 30);
    sets.set(`node:${name}`, s);
  };
  node('node-a', 1235, 4 * 2 ** 30);
  node('node-b', 250, 2 ** 30);
  const container = (
    ns: string,
    pod: string,
    c: string,
    cpu?: number,
    mem?: number,
    labels = 'app:x',
  ) => {
    const s = newMetricSet(
      'pod_container',
      { namespace_name: ns, pod_name: pod, container_name: c, nodename: 'node-a', labels },
      { scrapeTimeMs: T },
    );
    if (cpu !== undefined) s.values.set('cpu/usage_rate', cpu);
    if (mem !== undefined) s.values.set('memory/working_set', mem);
    sets.set(`namespace:${ns}/pod:${pod}/container:${c}`, s);
  };
  container('default', 'web-1', 'nginx', 5, 20 * 2 ** 20);
  container('default', 'web-1', 'sidecar', 1, 10 * 2 ** 20);
  // A pod with one container still without metrics shows with the other one.
  container('default', 'db-0', 'postgres', 150, 256 * 2 ** 20, 'app:y');
  container('default', 'db-0', 'exporter', undefined, undefined, 'app:y');
  container('kube-system', 'dns-1', 'coredns', 3, 15 * 2 ** 20, 'k8s-app:dns');
  return { timestampMs: T, sets };
}

function server(cluster?: ClusterView) {
  const store = new MemoryStore();
  store.append(batch());
  return createApiServer({
    store,
    selfMetrics: new SelfMetrics(),
    resolutionMs: 60_000,
    healthMaxDelayMs: 1e12,
    logger: rootLogger.child({ level: 'silent' }) as never,
    now: () => T,
    cluster,
  });
}

async function get(
  app: ReturnType<typeof server>,
  url: string,
): Promise<{ status: number; body: any }> {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
}

test('quantities and windows are written as Kubernetes does', () => {
  assert.equal(cpuQuantity(12), '12m');
  assert.equal(memoryQuantity(31004 * 1024), '31004Ki');
  assert.equal(memoryQuantity(2 ** 30), '1Gi');
  assert.equal(memoryQuantity(1000), '1000');
  assert.equal(goDuration(60_000), '1m0s');
  assert.equal(goDuration(15_000), '15s');
});

test('label selectors: =, ==, !=, in, notin, exists, !exists; field selectors; bad ones fail', () => {
  const l = { app: 'x', tier: 'web' };
  assert.equal(parseLabelSelector('')(l), true);
  assert.equal(parseLabelSelector('app=x')(l), true);
  assert.equal(parseLabelSelector('app==y')(l), false);
  assert.equal(parseLabelSelector('app!=y,tier')(l), true);
  assert.equal(parseLabelSelector('app in (x,y),app!=y')(l), true);
  assert.equal(parseLabelSelector('app notin (x)')(l), false);
  assert.equal(parseLabelSelector('!tier')(l), false);
  assert.equal(parseLabelSelector('!zone')(l), true);
  assert.throws(() => parseLabelSelector('app in x'), SelectorError);
  const f = parseFieldSelector('metadata.name!=a,metadata.namespace=default', [
    'metadata.name',
    'metadata.namespace',
  ]);
  assert.equal(f({ 'metadata.name': 'b', 'metadata.namespace': 'default' }), true);
  assert.equal(f({ 'metadata.name': 'a', 'metadata.namespace': 'default' }), false);
  assert.throws(
    () => parseFieldSelector('spec.x=1', ['metadata.name']),
    /field label not supported: spec.x/,
  );
});

test('NodeMetrics and PodMetrics from the latest batch under v1beta1, v1alpha1 and the old prefix', async () => {
  const app = server();
  for (const [prefix, apiVersion] of [
    ['/apis/metrics.k8s.io/v1beta1', 'metrics.k8s.io/v1beta1'],
    ['/apis/metrics.k8s.io/v1alpha1', 'metrics.k8s.io/v1alpha1'],
    ['/apis/metrics/v1alpha1', 'metrics/v1alpha1'],
  ]) {
    const nodes = await get(app, `${prefix}/nodes`);
    assert.equal(nodes.status, 200);
    assert.equal(nodes.body.kind, 'NodeMetricsList');
    assert.equal(nodes.body.apiVersion, apiVersion);
    assert.deepEqual(nodes.body.items[0], {
      metadata: {
        name: 'node-a',
        creationTimestamp: '2024-06-01T10:02:00Z',
        labels: { 'kubernetes.io/hostname': 'node-a' },
      },
      timestamp: '2024-06-01T10:02:00Z',
      window: '1m0s',
      usage: { cpu: '1235m', memory: '4Gi' },
    });
  }
  const pods = await get(app, '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
  assert.deepEqual(
    pods.body.items.map((p: any) => [p.metadata.name, p.containers.map((c: any) => c.name)]),
    [
      ['db-0', ['postgres']],
      ['web-1', ['nginx', 'sidecar']],
    ],
  );
  const all = await get(app, '/apis/metrics.k8s.io/v1beta1/pods');
  assert.equal(all.body.items.length, 3);
  const sel = await get(app, '/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%3Dx');
  assert.deepEqual(
    sel.body.items.map((p: any) => p.metadata.name),
    ['web-1'],
  );
  const field = await get(
    app,
    '/apis/metrics.k8s.io/v1beta1/pods?fieldSelector=metadata.namespace%3Dkube-system',
  );
  assert.deepEqual(
    field.body.items.map((p: any) => p.metadata.name),
    ['dns-1'],
  );
  const one = await get(app, '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-1');
  assert.equal(one.body.kind, 'PodMetrics');
  assert.deepEqual(one.body.containers[0], { name: 'nginx', usage: { cpu: '5m', memory: '20Mi' } });
});

test('errors are Kubernetes Status bodies', async () => {
  const app = server();
  const missing = await get(app, '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'podmetrics.metrics.k8s.io "default/nope" not found',
    reason: 'NotFound',
    code: 404,
  });
  const node = await get(app, '/apis/metrics.k8s.io/v1beta1/nodes/nope');
  assert.equal(node.status, 404);
  assert.equal(node.body.reason, 'NotFound');
  const bad = await get(app, '/apis/metrics.k8s.io/v1beta1/pods?labelSelector=a%20in%20x');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.reason, 'BadRequest');
});

test('discovery documents and synthesized /api/v1 nodes and pods without an API server', async () => {
  const app = server();
  const apis = await get(app, '/apis');
  assert.equal(apis.body.groups[0].name, 'metrics.k8s.io');
  assert.equal(apis.body.groups[0].preferredVersion.version, 'v1beta1');
  assert.equal((await get(app, '/api')).body.kind, 'APIVersions');
  assert.equal((await get(app, '/apis/metrics.k8s.io/v1beta1')).body.resources.length, 2);
  const nodes = await get(app, '/api/v1/nodes');
  assert.equal(nodes.body.kind, 'NodeList');
  assert.deepEqual(
    nodes.body.items.map((n: any) => n.metadata.name),
    ['node-a', 'node-b'],
  );
  assert.deepEqual(nodes.body.items[0].status.allocatable, { cpu: '4000m', memory: '8Gi' });
  const pods = await get(app, '/api/v1/namespaces/default/pods?labelSelector=app%3Dy');
  assert.deepEqual(
    pods.body.items.map((p: any) => p.metadata.name),
    ['db-0'],
  );
});

test('with a cluster view: node labels and pod labels come from it and select', async () => {
  const nodeA: NodeInfo = {
    name: 'node-a',
    uid: 'u',
    labels: { role: 'db', 'kubernetes.io/hostname': 'node-a' },
    annotations: {},
    creationMs: T,
    ready: true,
    unschedulable: false,
    externalId: '',
    addresses: [],
    capacity: { cpu: '4', memory: '8Gi' },
    allocatable: { cpu: '3800m', memory: '7Gi' },
  };
  const web: PodInfo = {
    name: 'web-1',
    namespace: 'default',
    uid: 'p1',
    nodeName: 'node-a',
    labels: { app: 'frontend' },
    phase: 'Running',
    creationMs: T,
    startMs: T,
    containers: [{ name: 'nginx', image: 'nginx', requests: {}, limits: {} }],
    restartCounts: new Map(),
  };
  const view: ClusterView = {
    pod: (ns, name) => (ns === 'default' && name === 'web-1' ? web : undefined),
    pods: () => [web],
    node: (name) => (name === 'node-a' ? nodeA : undefined),
    nodes: () => [nodeA],
    namespace: () => undefined,
    synced: () => true,
  };
  const app = server(view);
  const nodes = await get(app, '/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=role%3Ddb');
  assert.deepEqual(
    nodes.body.items.map((n: any) => n.metadata.name),
    ['node-a'],
  );
  const pods = await get(
    app,
    '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dfrontend',
  );
  assert.deepEqual(
    pods.body.items.map((p: any) => p.metadata.name),
    ['web-1'],
  );
  const core = await get(app, '/api/v1/nodes');
  assert.deepEqual(core.body.items[0].status.allocatable, { cpu: '3800m', memory: '7Gi' });
  const podList = await get(app, '/api/v1/namespaces/default/pods');
  assert.equal(podList.body.items[0].spec.containers[0].image, 'nginx');
});
