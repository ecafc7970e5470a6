// A hand-built cluster batch for sink tests: 2 nodes with a system container each,
// 2 namespaces, 3 pods with 5 containers, and the cluster; 173 points.
import type { Batch, MetricSet } from '../../core/batch.js';
import { emptyBatch, newMetricSet } from '../../core/batch.js';
import type { EntityType } from '../../core/keys.js';
import {
  CLUSTER_KEY,
  namespaceKey,
  nodeKey,
  podContainerKey,
  podKey,
  sysContainerKey,
} from '../../core/keys.js';


/** A metric set of `type` with `labels`, scraped at `t`. */
export function set(type: EntityType, labels: Record<string, string>, t: number): MetricSet {
  return newMetricSet(type, labels, { scrapeTimeMs: t });
}

/** The test cluster at time `t`; `scale` multiplies cpu/usage_rate and memory/usage. */
export function clusterBatch(t: number, scale = 1): Batch {
  const b = emptyBatch(t);
  const nodes = ['node-1', 'node-2'];
  const pods = [
    { ns: 'kube-system', pod: 'dns-1', node: 'node-1', containers: ['dns', 'sidecar'] },
    { ns: 'kube-system', pod: 'proxy-2', node: 'node-2', containers: ['proxy'] },
    { ns: 'default', pod: 'web-1', node: 'node-2', containers: ['web', 'log'] },
  ];
  let k = 1;
  const fill1 = (s: MetricSet, withNet: boolean) => {
    s.values.set('uptime', 1000 * k);
    s.values.set('cpu/usage_rate', 10 * k * scale);
    s.values.set('cpu/usage', 1e9 * k);
    s.values.set('cpu/limit', 100 * k);
    s.values.set('cpu/request', 50 * k);
    s.values.set('memory/usage', 1_000_000 * k * scale);
    s.values.set('memory/working_set', 900_000 * k);
    s.values.set('memory/limit', 4_000_000 * k);
    s.values.set('memory/request', 2_000_000 * k);
    if (withNet) {
      s.values.set('network/tx_rate', 1.5 * k);
      s.values.set('network/rx_rate', 2.25 * k);
    }
    s.labeled.push({ name: 'filesystem/usage', labels: { resource_id: '/' }, value: 5000 * k });
    s.labeled.push({ name: 'filesystem/limit', labels: { resource_id: '/' }, value: 9000 * k });
    s.labeled.push({ name: 'filesystem/usage', labels: { resource_id: 'logs' }, value: 7 * k });
    k++;
  };
  for (const n of nodes) {
    const s = set('node', { nodename: n, hostname: n, host_id: n + '-id', labels: 'zone:a' }, t);
    fill1(s, true);
    s.values.set('cpu/node_allocatable', 4000);
    s.values.set('cpu/node_utilization', 0.25);
    s.values.set('memory/node_utilization', 0.5);
    b.sets.set(nodeKey(n), s);
    const sys = set('sys_container', { nodename: n, hostname: n, container_name: 'kubelet' }, t);
    fill1(sys, false);
    b.sets.set(sysContainerKey(n, 'kubelet'), sys);
  }
  for (const ns of ['kube-system', 'default']) {
    const s = set('ns', { namespace_name: ns, namespace_id: ns + '-uid' }, t);
    // What the namespace aggregator sums.
    s.values.set('cpu/usage_rate', 5 * k);
    s.values.set('memory/usage', 3_000_000 * k);
    s.values.set('cpu/request', 60 * k);
    s.values.set('cpu/limit', 120 * k);
    s.values.set('memory/request', 5_000_000 * k);
    s.values.set('memory/limit', 8_000_000 * k);
    k++;
    b.sets.set(namespaceKey(ns), s);
  }
  for (const p of pods) {
    const common = {
      namespace_name: p.ns,
      namespace_id: p.ns + '-uid',
      pod_name: p.pod,
      pod_id: p.pod + '-uid',
      nodename: p.node,
      hostname: p.node,
      labels: 'app:' + p.pod,
    };
    const ps = set('pod', common, t);
    fill1(ps, true);
    b.sets.set(podKey(p.ns, p.pod), ps);
    for (const c of p.containers) {
      const cs = set(
        'pod_container',
        { ...common, container_name: c, container_base_image: 'img/' + c + ':1' },
        t,
      );
      fill1(cs, false);
      b.sets.set(podContainerKey(p.ns, p.pod, c), cs);
    }
  }
  const cl = set('cluster', {}, t);
  cl.values.set('cpu/usage_rate', 999);
  b.sets.set(CLUSTER_KEY, cl);
  return b;
}

