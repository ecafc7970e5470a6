import type { Batch, MetricSet } from '../../src/core/batch.js';
import { emptyBatch, newMetricSet } from '../../src/core/batch.js';
import type { EntityType } from '../../src/core/keys.js';
import {
  CLUSTER_KEY,
  namespaceKey,
  nodeKey,
  podContainerKey,
  podKey,
  sysContainerKey,
} from '../../src/core/keys.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** One entity of the small known cluster, with its value formulas (tick index i). */
interface KnownEntity {
  key: string;
  type: EntityType;
  labels: Record<string, string>;
  /** metric → value at tick i. */
  values: Record<string, (i: number) => number>;
  fs?: { usage: (i: number) => number; limit: number };
}

const lin = (a: number, b: number) => (i: number) => a + b * i;
const k = (v: number) => () => v;

/**
 * A small cluster with known values: nodes node-a (4 cores, 8 GiB) and node-b (2 cores,
 * 4 GiB), system containers on node-a, namespaces default and kube-system, pods web-1 (node-a,
 * containers app + sidecar), web-2 (node-b, app) and kube-system/dns (node-a, dns).
 */
export const KNOWN: readonly KnownEntity[] = [
  {
    key: nodeKey('node-a'),
    type: 'node',
    labels: { nodename: 'node-a', hostname: 'node-a' },
    values: {
      'cpu/usage_rate': lin(1000, 20),
      'cpu/node_capacity': k(4000),
      'cpu/node_allocatable': k(3800),
      'cpu/request': k(700),
      'cpu/limit': k(1500),
      'memory/usage': lin(3 * GiB, 10 * MiB),
      'memory/working_set': lin(2 * GiB, 10 * MiB),
      'memory/node_capacity': k(8 * GiB),
      'memory/request': k(1 * GiB),
      'memory/limit': k(2 * GiB),
      'network/rx_rate': lin(200_000, 1000),
      'network/tx_rate': lin(100_000, 500),
    },
    fs: { usage: lin(20 * GiB, 100 * MiB), limit: 100 * GiB },
  },
  {
    key: nodeKey('node-b'),
    type: 'node',
    labels: { nodename: 'node-b', hostname: 'node-b' },
    values: {
      'cpu/usage_rate': lin(300, 5),
      'cpu/node_capacity': k(2000),
      'memory/usage': lin(1 * GiB, 1 * MiB),
      'memory/working_set': lin(900 * MiB, 1 * MiB),
      'memory/node_capacity': k(4 * GiB),
      'network/rx_rate': k(50_000),
      'network/tx_rate': k(25_000),
    },
  },
  {
    key: sysContainerKey('node-a', 'kubelet'),
    type: 'sys_container',
    labels: { nodename: 'node-a', hostname: 'node-a', container_name: 'kubelet' },
    values: { 'cpu/usage_rate': lin(80, 1), 'memory/usage': k(150 * MiB) },
  },
  {
    key: sysContainerKey('node-a', 'system.slice/docker.service'),
    type: 'sys_container',
    labels: {
      nodename: 'node-a',
      hostname: 'node-a',
      container_name: 'system.slice/docker.service',
    },
    values: { 'cpu/usage_rate': lin(40, 2), 'memory/usage': k(300 * MiB) },
  },
  ...pod('default', 'web-1', 'node-a', {
    app: [300, 512 * MiB, 500, 1024 * MiB],
    sidecar: [50, 64 * MiB, 0, 0],
  }),
  ...pod('default', 'web-2', 'node-b', { app: [200, 256 * MiB, 500, 1024 * MiB] }),
  ...pod('kube-system', 'dns', 'node-a', { dns: [20, 32 * MiB, 100, 128 * MiB] }),
];

/** Pod + its containers: [cpu base, memory base, cpu limit, memory limit] per container. */
function pod(
  ns: string,
  name: string,
  node: string,
  containers: Record<string, [number, number, number, number]>,
): KnownEntity[] {
  const base = { nodename: node, hostname: node, namespace_name: ns, pod_name: name };
  const out: KnownEntity[] = [];
  let cpu = 0;
  let mem = 0;
  let cpuLim = 0;
  let memLim = 0;
  for (const [c, [cb, mb, cl, ml]] of Object.entries(containers)) {
    out.push({
      key: podContainerKey(ns, name, c),
      type: 'pod_container',
      labels: { ...base, container_name: c },
      values: {
        'cpu/usage_rate': (i) => cb + (i % 10),
        'memory/usage': (i) => mb + (i % 10) * MiB,
        'cpu/limit': k(cl),
        'memory/limit': k(ml),
        'cpu/request': k(cl / 2),
        'memory/request': k(ml / 2),
      },
    });
    cpu += cb;
    mem += mb;
    cpuLim += cl;
    memLim += ml;
  }
  const n = Object.keys(containers).length;
  out.push({
    key: podKey(ns, name),
    type: 'pod',
    labels: base,
    values: {
      'cpu/usage_rate': (i) => cpu + n * (i % 10),
      'memory/usage': (i) => mem + n * (i % 10) * MiB,
      'cpu/limit': k(cpuLim),
      'memory/limit': k(memLim),
      'network/rx_rate': k(10_000),
      'network/tx_rate': k(5_000),
    },
  });
  return out;
}

function namespaceEntities(): KnownEntity[] {
  const byNs = new Map<string, KnownEntity[]>();
  for (const e of KNOWN)
    if (e.type === 'pod') {
      const ns = e.labels.namespace_name;
      byNs.set(ns, [...(byNs.get(ns) ?? []), e]);
    }
  const sum = (pods: KnownEntity[], m: string) => (i: number) =>
    pods.reduce((s, p) => s + (p.values[m]?.(i) ?? 0), 0);
  return [...byNs].map(([ns, pods]) => ({
    key: namespaceKey(ns),
    type: 'ns' as const,
    labels: { namespace_name: ns },
    values: {
      'cpu/usage_rate': sum(pods, 'cpu/usage_rate'),
      'memory/usage': sum(pods, 'memory/usage'),
      'cpu/limit': sum(pods, 'cpu/limit'),
      'memory/limit': sum(pods, 'memory/limit'),
    },
  }));
}

/** Every known entity including the namespaces (sums of their pods). */
export function knownEntities(): KnownEntity[] {
  return [...KNOWN, ...namespaceEntities()];
}

/** Value of `metric` of `key` at tick i (undefined when not reported). */
export function knownValue(key: string, metric: string, i: number): number | undefined {
  return knownEntities()
    .find((e) => e.key === key)
    ?.values[metric]?.(i);
}

/** `ticks` batches of the known cluster at startMs, startMs + stepMs, ... */
export function knownBatches(startMs: number, stepMs: number, ticks: number): Batch[] {
  const all = knownEntities();
  const out: Batch[] = [];
  for (let i = 0; i < ticks; i++) {
    const b = emptyBatch(startMs + i * stepMs);
    for (const e of all) {
      const set = newMetricSet(e.type, e.labels, { scrapeTimeMs: b.timestampMs });
      for (const [m, f] of Object.entries(e.values)) set.values.set(m, f(i));
      if (e.fs) {
        set.labeled.push({
          name: 'filesystem/usage',
          labels: { resource_id: '/' },
          value: e.fs.usage(i),
        });
        set.labeled.push({
          name: 'filesystem/limit',
          labels: { resource_id: '/' },
          value: e.fs.limit,
        });
      }
      b.sets.set(e.key, set);
    }
    const cluster = newMetricSet('cluster', {}, { scrapeTimeMs: b.timestampMs });
    cluster.values.set('cpu/usage_rate', 1);
    b.sets.set(CLUSTER_KEY, cluster);
    out.push(b);
  }
  return out;
}

/**
 * Appends `ticks` batches of a synthetic cluster (nodes × podsPerNode pods with one container
 * each, spread over 20 namespaces) to `append`. Metric sets are reused across ticks (the store
 * copies values), so memory stays at one batch's worth of objects.
 */
export function appendSyntheticCluster(
  append: (b: Batch) => void,
  opts: { nodes: number; podsPerNode: number; ticks: number; startMs: number; stepMs: number },
): void {
  const sets = new Map<string, MetricSet>();
  const fill: { set: MetricSet; seed: number; kind: 'node' | 'pod' }[] = [];
  for (let n = 0; n < opts.nodes; n++) {
    const node = `node-${String(n).padStart(5, '0')}`;
    const ns0 = newMetricSet('node', { nodename: node, hostname: node }, { scrapeTimeMs: 0 });
    ns0.values.set('cpu/node_capacity', 16_000);
    ns0.values.set('memory/node_capacity', 64 * GiB);
    sets.set(nodeKey(node), ns0);
    fill.push({ set: ns0, seed: n, kind: 'node' });
    for (let p = 0; p < opts.podsPerNode; p++) {
      const ns = `ns-${(n * opts.podsPerNode + p) % 20}`;
      const podName = `pod-${n}-${p}`;
      const labels = { nodename: node, hostname: node, namespace_name: ns, pod_name: podName };
      const ps = newMetricSet('pod', labels, { scrapeTimeMs: 0 });
      sets.set(podKey(ns, podName), ps);
      fill.push({ set: ps, seed: n * 31 + p, kind: 'pod' });
      const cs = newMetricSet(
        'pod_container',
        { ...labels, container_name: 'app' },
        { scrapeTimeMs: 0 },
      );
      sets.set(podContainerKey(ns, podName, 'app'), cs);
      fill.push({ set: cs, seed: n * 31 + p, kind: 'pod' });
    }
  }
  for (let i = 0; i < opts.ticks; i++) {
    const t = opts.startMs + i * opts.stepMs;
    for (const { set, seed, kind } of fill) {
      set.scrapeTimeMs = t;
      const wobble = ((seed * 7919 + i * 104729) % 1000) / 1000;
      if (kind === 'node') {
        set.values.set('cpu/usage_rate', Math.round(2000 + 8000 * wobble));
        set.values.set('memory/usage', Math.round((8 + 40 * wobble) * GiB));
        set.values.set('network/rx_rate', 1e6 * wobble);
        set.values.set('network/tx_rate', 5e5 * wobble);
      } else {
        set.values.set('cpu/usage_rate', Math.round(10 + 300 * wobble));
        set.values.set('memory/usage', Math.round((50 + 500 * wobble) * MiB));
        set.values.set('cpu/limit', 500);
        set.values.set('memory/limit', 1024 * MiB);
      }
    }
    append({ timestampMs: t, sets: i === opts.ticks - 1 ? sets : new Map(sets) });
  }
}
