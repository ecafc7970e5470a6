import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Batch } from '../../core/batch.js';
import { clusterBatch } from '../testdata/cluster-batch.js';
import { stackdriverSeries } from './stackdriver-series.js';
import type { StackdriverResourceOptions } from './stackdriver-series.js';

const T = Date.UTC(2024, 0, 1, 0, 1, 0);
const START = T - 600_000;
const OPTS: StackdriverResourceOptions = {
  project: 'p',
  clusterName: 'c',
  clusterLocation: 'eu-west1',
  zone: 'eu-west1-b',
  useOldResources: true,
  useNewResources: true,
};

function batch(): Batch {
  const b = clusterBatch(T);
  for (const s of b.sets.values()) {
    s.collectionStartMs = START;
    s.values.set('memory/page_faults', 100);
    s.values.set('memory/major_page_faults', 30);
  }
  return b;
}

test('stackdriver: container, pod, node and daemon series of the new model, values scaled', () => {
  const all = [...stackdriverSeries(batch(), { ...OPTS, useOldResources: false })].map(
    (i) => i.series,
  );
  const one = (
    res: string,
    type: string,
    pred: (l: Record<string, string>) => boolean = () => true,
  ) => {
    const f = all.filter(
      (s) =>
        s.resource?.type === res &&
        s.metric?.type === type &&
        pred({ ...s.resource?.labels, ...s.metric?.labels }),
    );
    assert.ok(f.length >= 1, `${res} ${type}`);
    return f[0];
  };
  const dns = (l: Record<string, string>) => l.pod_name === 'dns-1' && l.container_name === 'dns';
  const cpu = one('k8s_container', 'kubernetes.io/container/cpu/core_usage_time', dns);
  assert.deepEqual(cpu.resource?.labels, {
    project_id: 'p',
    location: 'eu-west1',
    cluster_name: 'c',
    namespace_name: 'kube-system',
    pod_name: 'dns-1',
    container_name: 'dns',
  });
  assert.equal(cpu.metricKind, 'CUMULATIVE');
  assert.equal(cpu.points?.[0].interval?.startTime?.seconds, START / 1000);
  const cpuValue = cpu.points?.[0].value?.doubleValue ?? NaN;
  assert.ok(cpuValue > 0 && Number.isInteger(cpuValue), 'ns → s');
  const limit = one('k8s_container', 'kubernetes.io/container/cpu/limit_cores', dns);
  assert.ok((limit.points?.[0].value?.doubleValue ?? 0) < 1, 'millicores → cores');
  const used = all.filter(
    (s) =>
      s.metric?.type === 'kubernetes.io/container/memory/used_bytes' &&
      dns(s.resource?.labels as Record<string, string>),
  );
  assert.deepEqual(used.map((s) => s.metric?.labels?.memory_type).sort(), [
    'evictable',
    'non-evictable',
  ]);
  const uptime = one('k8s_container', 'kubernetes.io/container/uptime', dns);
  assert.equal(uptime.points?.[0].interval?.startTime, undefined);
  const vol = one('k8s_pod', 'kubernetes.io/pod/volume/used_bytes');
  assert.ok(vol.metric?.labels?.volume_name !== undefined);
  const node = one(
    'k8s_node',
    'kubernetes.io/node/cpu/allocatable_cores',
    (l) => l.node_name === 'node-1',
  );
  assert.deepEqual(node.points?.[0].value, { doubleValue: 4 });
  const daemon = one(
    'k8s_node',
    'kubernetes.io/node_daemon/cpu/core_usage_time',
    (l) => l.component === 'kubelet',
  );
  assert.equal(daemon.resource?.labels?.node_name, 'node-1');
  assert.ok(!all.some((s) => s.resource?.type === 'gke_container'));
  assert.ok(
    !all.some((s) => s.metric?.type?.includes('page_fault')),
    'no page faults in the new model',
  );
});

test('stackdriver old model: gke_container, node = container "machine", derived page faults and memory', () => {
  const items = [...stackdriverSeries(batch(), { ...OPTS, useNewResources: false })];
  const all = items.map((i) => i.series);
  assert.ok(all.every((s) => s.resource?.type === 'gke_container'));
  const machine = all.filter((s) => s.resource?.labels?.container_name === 'machine');
  assert.ok(machine.length > 0);
  assert.ok(machine.some((s) => s.resource?.labels?.instance_id === 'node-1-id'));
  assert.ok(
    !machine.some(
      (s) =>
        s.metric?.type?.endsWith('memory/bytes_total') &&
        s.points?.[0].value?.int64Value === 4_000_000,
    ),
    'node memory/limit is not exported',
  );
  const faults = all.filter(
    (s) =>
      s.metric?.type === 'container.googleapis.com/container/memory/page_fault_count' &&
      s.resource?.labels?.container_name === 'dns',
  );
  assert.deepEqual(
    faults.map((s) => [s.metric?.labels?.fault_type, s.points?.[0].value?.int64Value]).sort(),
    [
      ['major', 30],
      ['minor', 70],
    ],
  );
  const disk = all.filter(
    (s) =>
      s.metric?.type === 'container.googleapis.com/container/disk/bytes_used' &&
      s.resource?.labels?.container_name === 'dns',
  );
  assert.deepEqual(disk.map((s) => s.metric?.labels?.device_name).sort(), ['/', 'logs']);
  // Derived series are not counted as points of the batch.
  assert.ok(
    items
      .filter((i) => !i.counted)
      .every((i) => /page_fault_count|bytes_used/.test(i.series.metric?.type ?? '')),
  );
});

test('stackdriver: sets without a collection start, namespaces and the cluster are left out; both models count each value once', () => {
  const b = batch();
  const none = clusterBatch(T);
  assert.equal([...stackdriverSeries(none, OPTS)].length, 0);
  const items = [...stackdriverSeries(b, OPTS)];
  const types = new Set(items.map((i) => i.series.resource?.type));
  assert.deepEqual([...types].sort(), ['gke_container', 'k8s_container', 'k8s_node', 'k8s_pod']);
  // Namespace sets have values but no resource: none of their series may appear.
  assert.ok(
    !items.some(
      (i) =>
        i.series.resource?.labels?.namespace_id === 'default-uid' &&
        i.series.resource.labels.pod_id === '',
    ),
  );
  let values = 0;
  for (const s of b.sets.values()) values += s.values.size + s.labeled.length;
  assert.ok(items.filter((i) => i.counted).length <= values);
});
