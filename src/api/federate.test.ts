import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { emptyBatch, newMetricSet } from '../core/batch.js';
import type { Batch } from '../core/batch.js';
import { CLUSTER_KEY, nodeKey, podContainerKey, podKey } from '../core/keys.js';
import { SelfMetrics } from '../core/self-metrics.js';
import { MemoryStore } from '../store/memory-store.js';
import {
  escapeHelp,
  escapeLabelValue,
  formatSampleValue,
  prometheusFamily,
  prometheusLabelName,
  toPrometheusText,
} from './federate.js';
import { createApiServer } from './server.js';

const T = Date.UTC(2024, 0, 2, 3, 4, 0);

test('prometheusFamily: names, types and HELP from the catalogue', () => {
  const cases: [string, string, string, RegExp][] = [
    [
      'cpu/usage_rate',
      'heapster_cpu_usage_rate',
      'gauge',
      /^CPU usage on all cores in millicores \(heapster cpu\/usage_rate, gauge, millicores\)\.$/,
    ],
    [
      'memory/usage',
      'heapster_memory_usage',
      'gauge',
      /^Total memory usage \(heapster memory\/usage, gauge, bytes\)\.$/,
    ],
    [
      'cpu/usage',
      'heapster_cpu_usage_total',
      'counter',
      /\(heapster cpu\/usage, cumulative, ns\)\.$/,
    ],
    ['network/rx', 'heapster_network_rx_total', 'counter', /cumulative, bytes/],
    ['uptime', 'heapster_uptime_total', 'counter', /cumulative, ms/],
    ['memory/page_faults', 'heapster_memory_page_faults_total', 'counter', /cumulative, count/],
    ['filesystem/usage', 'heapster_filesystem_usage', 'gauge', /gauge, bytes/],
    ['disk/io_read_bytes', 'heapster_disk_io_read_bytes_total', 'counter', /cumulative, bytes/],
    ['cpu/node_utilization', 'heapster_cpu_node_utilization', 'gauge', /gauge, ratio/],
    ['custom/qps', 'heapster_custom_qps', 'untyped', /^Heapster metric custom\/qps\.$/],
    [
      'nvidia.com/gpu/request',
      'heapster_nvidia_com_gpu_request',
      'untyped',
      /nvidia\.com\/gpu\/request/,
    ],
  ];
  for (const [metric, name, type, help] of cases) {
    const f = prometheusFamily(metric);
    assert.equal(f.name, name, metric);
    assert.equal(f.type, type, metric);
    assert.match(f.help, help, metric);
  }
});

test('label names, label values, HELP and sample values are spelled per the text format', () => {
  const names: [string, string][] = [
    ['namespace_name', 'namespace_name'],
    ['app.kubernetes.io/name', 'app_kubernetes_io_name'],
    ['9lives', '_9lives'],
  ];
  for (const [k, want] of names) assert.equal(prometheusLabelName(k), want);
  const values: [string, string][] = [
    ['plain', 'plain'],
    ['a"b', 'a\\"b'],
    ['back\\slash', 'back\\\\slash'],
    ['two\nlines', 'two\\nlines'],
    ['\\"\n', '\\\\\\"\\n'],
    ['app:web,tier:front', 'app:web,tier:front'],
    ['', ''],
  ];
  for (const [v, want] of values) assert.equal(escapeLabelValue(v), want, JSON.stringify(v));
  assert.equal(escapeHelp('a\\b\n"c"'), 'a\\\\b\\n"c"');
  const samples: [number, string][] = [
    [0, '0'],
    [153, '153'],
    [0.25, '0.25'],
    [-3, '-3'],
    [1.8e19, '18000000000000000000'],
    [1e-7, '1e-7'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ];
  for (const [v, want] of samples) assert.equal(formatSampleValue(v), want, String(v));
});

/** A small batch: cluster, a node with a labeled fs value, a pod with nasty label values, a container. */
function sampleBatch(): Batch {
  const b = emptyBatch(T);
  const cluster = newMetricSet('cluster', {}, { scrapeTimeMs: T });
  cluster.values.set('cpu/usage_rate', 2000);
  b.sets.set(CLUSTER_KEY, cluster);
  const node = newMetricSet(
    'node',
    { nodename: 'n1', hostname: 'n1', host_id: '' },
    { scrapeTimeMs: T },
  );
  node.values.set('memory/usage', 1073741824);
  node.values.set('cpu/usage', 123456789012);
  node.labeled.push({
    name: 'filesystem/usage',
    labels: { resource_id: '/dev/sda1' },
    value: 4096,
  });
  b.sets.set(nodeKey('n1'), node);
  const pod = newMetricSet(
    'pod',
    {
      namespace_name: 'default',
      pod_name: 'web-1',
      nodename: 'n1',
      labels: 'app:web,note:say "hi"\\now',
    },
    { scrapeTimeMs: T },
  );
  pod.values.set('cpu/usage_rate', 150);
  pod.values.set('network/rx_rate', 12.5);
  b.sets.set(podKey('default', 'web-1'), pod);
  const ctr = newMetricSet(
    'pod_container',
    { namespace_name: 'default', pod_name: 'web-1', container_name: 'nginx\nx' },
    { scrapeTimeMs: T },
  );
  ctr.values.set('cpu/usage_rate', 149);
  // A labeled value's own label wins over the set's label of the same key.
  ctr.labeled.push({
    name: 'filesystem/usage',
    labels: { resource_id: 'logs', container_name: 'override' },
    value: 10,
  });
  b.sets.set(podContainerKey('default', 'web-1', 'nginx\nx'), ctr);
  return b;
}

test('toPrometheusText: every value, grouped by family, labels escaped, batch timestamp', () => {
  const ts = String(T);
  const want = [
    '# HELP heapster_cpu_usage_rate CPU usage on all cores in millicores (heapster cpu/usage_rate, gauge, millicores).',
    '# TYPE heapster_cpu_usage_rate gauge',
    `heapster_cpu_usage_rate{type="cluster"} 2000 ${ts}`,
    `heapster_cpu_usage_rate{namespace_name="default",pod_name="web-1",nodename="n1",labels="app:web,note:say \\"hi\\"\\\\now",type="pod"} 150 ${ts}`,
    `heapster_cpu_usage_rate{namespace_name="default",pod_name="web-1",container_name="nginx\\nx",type="pod_container"} 149 ${ts}`,
    '# HELP heapster_cpu_usage_total Cumulative CPU usage on all cores (heapster cpu/usage, cumulative, ns).',
    '# TYPE heapster_cpu_usage_total counter',
    `heapster_cpu_usage_total{nodename="n1",hostname="n1",type="node"} 123456789012 ${ts}`,
    '# HELP heapster_filesystem_usage Total number of bytes consumed on a filesystem (heapster filesystem/usage, gauge, bytes).',
    '# TYPE heapster_filesystem_usage gauge',
    `heapster_filesystem_usage{nodename="n1",hostname="n1",type="node",resource_id="/dev/sda1"} 4096 ${ts}`,
    `heapster_filesystem_usage{namespace_name="default",pod_name="web-1",type="pod_container",resource_id="logs",container_name="override"} 10 ${ts}`,
    '# HELP heapster_memory_usage Total memory usage (heapster memory/usage, gauge, bytes).',
    '# TYPE heapster_memory_usage gauge',
    `heapster_memory_usage{nodename="n1",hostname="n1",type="node"} 1073741824 ${ts}`,
    '# HELP heapster_network_rx_rate Rate of bytes received over the network in bytes per second (heapster network/rx_rate, gauge, bytes/s).',
    '# TYPE heapster_network_rx_rate gauge',
    `heapster_network_rx_rate{namespace_name="default",pod_name="web-1",nodename="n1",labels="app:web,note:say \\"hi\\"\\\\now",type="pod"} 12.5 ${ts}`,
    '',
  ].join('\n');
  assert.equal(toPrometheusText(sampleBatch()), want);
  assert.equal(toPrometheusText(emptyBatch(T)), '');
});

test('toPrometheusText: families whose names collide after sanitising share one TYPE line', () => {
  const b = emptyBatch(T);
  const s = newMetricSet('node', { nodename: 'n1' }, { scrapeTimeMs: T });
  s.values.set('custom/a.b', 1);
  s.values.set('custom/a_b', 2);
  b.sets.set(nodeKey('n1'), s);
  const text = toPrometheusText(b);
  assert.equal(text.match(/# TYPE heapster_custom_a_b /g)?.length, 1, text);
  assert.equal(text.match(/^heapster_custom_a_b\{/gm)?.length, 2, text);
});

test('GET /federate serves the latest batch as text 0.0.4, a comment before the first batch', async () => {
  const store = new MemoryStore();
  const app = createApiServer({
    store,
    selfMetrics: new SelfMetrics(),
    resolutionMs: 60_000,
    healthMaxDelayMs: 180_000,
    logger: pino({ level: 'silent' }),
  });
  const before = await app.inject({ url: '/federate' });
  assert.equal(before.statusCode, 200);
  assert.equal(before.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(before.body, '# no batch collected yet\n');
  const old = emptyBatch(T - 60_000);
  const s = newMetricSet('cluster', {}, { scrapeTimeMs: T - 60_000 });
  s.values.set('cpu/usage_rate', 1);
  old.sets.set(CLUSTER_KEY, s);
  store.append(old);
  store.append(sampleBatch());
  const res = await app.inject({ url: '/federate' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(res.body, toPrometheusText(sampleBatch()));
  const zipped = await app.inject({ url: '/federate', headers: { 'accept-encoding': 'gzip' } });
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(zipped.rawPayload).toString(), res.body);
  await app.close();
});
