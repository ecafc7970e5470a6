// A synthesized 1,000-node-style tick for the sink benchmarks: per node 30 pods × 2 containers,
// the labels the pipeline sets, filesystems as labeled values.
import type { Batch, MetricSet } from '../../src/core/batch.js';
import { emptyBatch, newMetricSet } from '../../src/core/batch.js';
import { nodeKey, podContainerKey, podKey } from '../../src/core/keys.js';

const CONTAINER_METRICS = [
  'uptime',
  'cpu/usage',
  'cpu/usage_rate',
  'cpu/load',
  'memory/usage',
  'memory/working_set',
  'memory/rss',
  'memory/cache',
  'memory/page_faults',
  'memory/major_page_faults',
  'memory/page_faults_rate',
  'memory/major_page_faults_rate',
  'cpu/request',
  'cpu/limit',
  'memory/request',
  'memory/limit',
  'restart_count',
];
const NET = ['network/rx', 'network/tx', 'network/rx_errors', 'network/tx_errors'];
const NET_RATES = NET.map((m) => m + '_rate');
const POD_METRICS = [
  ...CONTAINER_METRICS.filter((m) => m !== 'restart_count'),
  ...NET,
  ...NET_RATES,
];
const NODE_METRICS = [
  ...POD_METRICS,
  'cpu/node_capacity',
  'cpu/node_allocatable',
  'cpu/node_utilization',
  'memory/node_capacity',
  'memory/node_allocatable',
  'memory/node_utilization',
];

function fillSet(s: MetricSet, metrics: string[], seed: number, fs: string[]): void {
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i];
    const rate = m.endsWith('_rate') && m !== 'cpu/usage_rate';
    s.values.set(m, rate ? (seed % 997) + i / 7 : seed * 31 + i);
  }
  for (const id of fs) {
    for (const name of ['filesystem/usage', 'filesystem/limit', 'filesystem/available']) {
      s.labeled.push({ name, labels: { resource_id: id }, value: seed * 1000 + name.length });
    }
  }
}

/** A 1,000-node-style tick: per node 30 pods × 2 containers, the labels the pipeline sets. */
export function synthTick(nodes: number, t: number): Batch {
  const b = emptyBatch(t);
  let seed = 1;
  for (let n = 0; n < nodes; n++) {
    const node = `node-${n}`;
    const ns = newMetricSet(
      'node',
      { nodename: node, hostname: node, host_id: `id-${n}`, labels: 'zone:z1,pool:default' },
      { scrapeTimeMs: t },
    );
    fillSet(ns, NODE_METRICS, seed++, ['/dev/sda1']);
    b.sets.set(nodeKey(node), ns);
    for (let p = 0; p < 30; p++) {
      const namespace = `ns-${p % 10}`;
      const pod = `app-${n}-${p}-7d9f8c6b5-x2x9z`;
      const common = {
        nodename: node,
        hostname: node,
        namespace_name: namespace,
        namespace_id: `uid-${namespace}`,
        pod_name: pod,
        pod_id: `uid-${n}-${p}`,
        labels: `app:app-${p},pod-template-hash:7d9f8c6b5`,
      };
      const ps = newMetricSet('pod', common, { scrapeTimeMs: t });
      fillSet(ps, POD_METRICS, seed++, ['Volume:data', 'Volume:token']);
      b.sets.set(podKey(namespace, pod), ps);
      for (const c of ['main', 'sidecar']) {
        const cs = newMetricSet(
          'pod_container',
          { ...common, container_name: c, container_base_image: `registry.local/${c}:1.2.3` },
          { scrapeTimeMs: t },
        );
        fillSet(cs, CONTAINER_METRICS, seed++, ['/', 'logs']);
        b.sets.set(podContainerKey(namespace, pod, c), cs);
      }
    }
  }
  return b;
}
