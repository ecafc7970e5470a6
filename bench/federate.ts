// Cost of the Prometheus exposition (/federate) of one tick of a 1,000-node × 30-pod cluster:
// the text chunks alone, then text plus streaming gzip as the route serves it.
// Usage: npm run bench -- federate [--nodes=1000] [--pods=30] [--runs=5]
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { prometheusTextChunks } from '../src/api/federate.js';
import { countPoints, emptyBatch, newMetricSet } from '../src/core/batch.js';
import type { Batch, MetricSet } from '../src/core/batch.js';
import {
  CLUSTER_KEY,
  namespaceKey,
  nodeKey,
  podContainerKey,
  podKey,
  sysContainerKey,
} from '../src/core/keys.js';
import { recordResult } from './results.js';

const arg = (name: string, def: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : def;
};
const NODES = arg('nodes', 1000);
const PODS = arg('pods', 30);
const RUNS = arg('runs', 5);
const NAMESPACES = 20;
const T = Date.UTC(2024, 0, 1);

const CONTAINER_METRICS = [
  'uptime',
  'cpu/usage',
  'cpu/usage_rate',
  'cpu/request',
  'cpu/limit',
  'memory/usage',
  'memory/working_set',
  'memory/rss',
  'memory/cache',
  'memory/page_faults',
  'memory/page_faults_rate',
  'memory/major_page_faults',
  'memory/major_page_faults_rate',
  'memory/request',
  'memory/limit',
  'ephemeral_storage/usage',
  'restart_count',
];
const POD_METRICS = [
  ...CONTAINER_METRICS.filter((m) => m !== 'restart_count'),
  'network/rx',
  'network/rx_rate',
  'network/rx_errors',
  'network/rx_errors_rate',
  'network/tx',
  'network/tx_rate',
  'network/tx_errors',
  'network/tx_errors_rate',
];
const NODE_METRICS = [
  ...POD_METRICS,
  'cpu/node_capacity',
  'cpu/node_allocatable',
  'cpu/node_utilization',
  'cpu/node_reservation',
  'memory/node_capacity',
  'memory/node_allocatable',
  'memory/node_utilization',
  'memory/node_reservation',
];

function fill(set: MetricSet, names: readonly string[], seed: number): void {
  for (let i = 0; i < names.length; i++) set.values.set(names[i], (seed * 7919 + i * 104729) % 1e9);
}

function clusterBatch(): Batch {
  const b = emptyBatch(T);
  const t = { scrapeTimeMs: T };
  const cl = newMetricSet('cluster', {}, t);
  fill(cl, POD_METRICS, 1);
  b.sets.set(CLUSTER_KEY, cl);
  for (let ns = 0; ns < NAMESPACES; ns++) {
    const s = newMetricSet('ns', { namespace_name: `ns-${ns}`, namespace_id: `uid-ns-${ns}` }, t);
    fill(s, POD_METRICS, ns);
    b.sets.set(namespaceKey(`ns-${ns}`), s);
  }
  let seed = 0;
  for (let n = 0; n < NODES; n++) {
    const node = `node-${n}.cluster.example.com`;
    const common = { nodename: node, hostname: node, host_id: `i-${n.toString(16)}` };
    const ns = newMetricSet(
      'node',
      { ...common, labels: `kubernetes.io/hostname:${node},role:worker`, schedulable: 'true' },
      t,
    );
    fill(ns, NODE_METRICS, seed++);
    ns.labeled.push({ name: 'filesystem/usage', labels: { resource_id: '/dev/sda1' }, value: n });
    ns.labeled.push({ name: 'filesystem/limit', labels: { resource_id: '/dev/sda1' }, value: n });
    b.sets.set(nodeKey(node), ns);
    for (const sys of ['kubelet', 'runtime', 'pods']) {
      const s = newMetricSet('sys_container', { ...common, container_name: sys }, t);
      fill(s, CONTAINER_METRICS, seed++);
      b.sets.set(sysContainerKey(node, sys), s);
    }
    for (let p = 0; p < PODS; p++) {
      const namespace = `ns-${(n + p) % NAMESPACES}`;
      const pod = `app-${p}-${n.toString(36)}-7d9f8c6b5-x2x${p}`;
      const podLabels = {
        ...common,
        namespace_name: namespace,
        namespace_id: `uid-${namespace}`,
        pod_name: pod,
        pod_id: `0b6e4a1c-${n}-${p}-9f3e-2a7c5d8e1f00`,
        labels: `app:app-${p},pod-template-hash:7d9f8c6b5,tier:backend`,
      };
      const ps = newMetricSet('pod', podLabels, t);
      fill(ps, POD_METRICS, seed++);
      b.sets.set(podKey(namespace, pod), ps);
      const cs = newMetricSet(
        'pod_container',
        { ...podLabels, container_name: 'main', container_base_image: `registry/app-${p}:1.2.3` },
        t,
      );
      fill(cs, CONTAINER_METRICS, seed++);
      cs.labeled.push({ name: 'filesystem/usage', labels: { resource_id: '/' }, value: p });
      cs.labeled.push({ name: 'filesystem/usage', labels: { resource_id: 'logs' }, value: p });
      b.sets.set(podContainerKey(namespace, pod, 'main'), cs);
    }
  }
  return b;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Streams the chunks through gzip as the /federate route does; resolves with the gzip size. */
async function gzipSize(batch: Batch): Promise<number> {
  let size = 0;
  await pipeline(
    Readable.from(prometheusTextChunks(batch)),
    createGzip(),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        cb();
      },
    }),
  );
  return size;
}

const batch = clusterBatch();
const samples = countPoints(batch);
const times: number[] = [];
let bytes = 0;
let chunks = 0;
let maxChunkBytes = 0;
for (let i = 0; i <= RUNS; i++) {
  const t0 = process.hrtime.bigint();
  bytes = 0;
  chunks = 0;
  for (const chunk of prometheusTextChunks(batch)) {
    const n = Buffer.byteLength(chunk);
    bytes += n;
    chunks++;
    if (n > maxChunkBytes) maxChunkBytes = n;
  }
  if (i > 0) times.push(Number(process.hrtime.bigint() - t0) / 1e6); // run 0 warms up
}
const gzTimes: number[] = [];
let gzBytes = 0;
for (let i = 0; i < Math.min(RUNS, 3); i++) {
  const t0 = process.hrtime.bigint();
  gzBytes = await gzipSize(batch);
  gzTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const medianMs = median(times);
recordResult(
  'federate',
  {
    nodes: NODES,
    podsPerNode: PODS,
    sets: batch.sets.size,
    samples,
    runs: RUNS,
    textMedianMs: Math.round(medianMs),
    nsPerSample: Math.round((medianMs * 1e6) / samples),
    textMiB: +(bytes / 2 ** 20).toFixed(1),
    chunks,
    maxChunkMiB: +(maxChunkBytes / 2 ** 20).toFixed(1),
    textAndGzipMedianMs: Math.round(median(gzTimes)),
    gzipMiB: +(gzBytes / 2 ** 20).toFixed(1),
    heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
  },
  `npm run bench -- federate --nodes=${NODES} --pods=${PODS} --runs=${RUNS}`,
);
