import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Batch } from '../core/batch.js';
import { emptyBatch, newMetricSet } from '../core/batch.js';
import {
  CLUSTER_KEY,
  namespaceKey,
  nodeKey,
  podContainerKey,
  podKey,
  sysContainerKey,
} from '../core/keys.js';
import { SelfMetrics } from '../core/self-metrics.js';
import { MemoryStore } from '../store/memory-store.js';
import type { ExportTimeseriesJson, TimeseriesSchemaJson } from './export.js';
import { metricExportSchema, originalUnits, toMetricExport } from './export.js';
import { createApiServer } from './server.js';

const T0 = Date.UTC(2018, 5, 1, 10, 2, 0);
const CREATED = Date.UTC(2018, 5, 1, 9, 0, 0);

function fixture(): Batch {
  const b = emptyBatch(T0);
  const node = newMetricSet(
    'node',
    {
      nodename: 'node-1',
      hostname: 'node-1',
      host_id: 'i-1',
      labels: 'zone:a',
      schedulable: 'true',
    },
    { scrapeTimeMs: T0, collectionStartMs: CREATED },
  );
  node.values.set('cpu/usage', 123456789);
  node.values.set('cpu/usage_rate', 153);
  node.values.set('memory/usage', 4096);
  node.values.set('cpu/limit', 2000);
  node.labeled.push({
    name: 'filesystem/usage',
    labels: { resource_id: '/dev/sda1' },
    value: 1024,
  });
  node.labeled.push({
    name: 'disk/io_read_bytes_rate',
    labels: { resource_id: '/dev/sda1' },
    value: 3.5,
  });
  b.sets.set(nodeKey('node-1'), node);
  const pod = newMetricSet(
    'pod',
    { pod_name: 'p', pod_id: 'uid-1', namespace_name: 'default', namespace_id: 'ns-uid' },
    { scrapeTimeMs: T0, collectionStartMs: CREATED },
  );
  pod.values.set('memory/usage', 300);
  pod.values.set('network/rx', 77);
  b.sets.set(podKey('default', 'p'), pod);
  const c = newMetricSet(
    'pod_container',
    { pod_name: 'p', container_name: 'app', container_base_image: 'busybox', nodename: 'node-1' },
    { scrapeTimeMs: T0 },
  );
  c.values.set('uptime', 1000);
  c.values.set('memory/limit', 1 << 20);
  b.sets.set(podContainerKey('default', 'p', 'app'), c);
  const sys = newMetricSet(
    'sys_container',
    { container_name: 'kubelet', hostname: 'node-1' },
    { scrapeTimeMs: T0 },
  );
  sys.values.set('memory/usage', 5);
  b.sets.set(sysContainerKey('node-1', 'kubelet'), sys);
  const ns = newMetricSet('ns', { namespace_name: 'default' }, { scrapeTimeMs: T0 });
  ns.values.set('memory/usage', 300);
  b.sets.set(namespaceKey('default'), ns);
  const cl = newMetricSet('cluster', {}, { scrapeTimeMs: T0 });
  cl.values.set('memory/usage', 300);
  b.sets.set(CLUSTER_KEY, cl);
  return b;
}

test('toMetricExport: node, pod, pod container and system container sets only', () => {
  const ts = toMetricExport(fixture());
  assert.equal(ts.length, 4);
  const [pod, container, node, sys] = ts as ExportTimeseriesJson[]; // sorted by key
  assert.deepEqual(node, {
    metrics: {
      'cpu/limit': [{ start: '2018-06-01T10:02:00Z', end: '2018-06-01T10:02:00Z', value: 2000 }],
      'cpu/usage': [
        { start: '2018-06-01T09:00:00Z', end: '2018-06-01T10:02:00Z', value: 123456789 },
      ],
      'memory/usage': [{ start: '2018-06-01T10:02:00Z', end: '2018-06-01T10:02:00Z', value: 4096 }],
      'filesystem/usage': [
        {
          start: '2018-06-01T10:02:00Z',
          end: '2018-06-01T10:02:00Z',
          labels: { resource_id: '/dev/sda1' },
          value: 1024,
        },
      ],
    },
    labels: {
      container_name: 'machine',
      host_id: 'i-1',
      hostname: 'node-1',
      labels: 'zone:a',
      nodename: 'node-1',
    },
  });
  assert.deepEqual(pod.labels, {
    container_name: '/pod',
    namespace_id: 'ns-uid',
    pod_id: 'uid-1',
    pod_name: 'p',
  });
  assert.deepEqual(Object.keys(pod.metrics), ['memory/usage', 'network/rx']);
  assert.equal(pod.metrics['network/rx'][0].start, '2018-06-01T09:00:00Z');
  // Unknown create time (0) prints as Go's zero time for cumulative metrics.
  assert.equal(container.metrics['uptime'][0].start, '0001-01-01T00:00:00Z');
  assert.equal(container.metrics['memory/limit'][0].value, 1 << 20);
  assert.equal(container.labels?.container_base_image, 'busybox');
  assert.deepEqual(sys.labels, { container_name: 'kubelet', hostname: 'node-1' });
});

test('toMetricExport without a batch is empty', () => {
  assert.deepEqual(toMetricExport(undefined), []);
});

test('metricExportSchema: original strings, omitempty', () => {
  const schema = metricExportSchema();
  const byName = new Map(schema.metrics?.map((m) => [m.name, m]));
  assert.deepEqual(byName.get('cpu/usage'), {
    name: 'cpu/usage',
    description: 'Cumulative CPU usage on all cores',
    type: 'cumulative',
    value_type: 'int64',
    units: 'ns',
  });
  const pf = byName.get('memory/page_faults');
  assert.equal(pf?.type, 'cumulative');
  assert.equal('units' in (pf ?? {}), false); // count: '' omitted like Go's omitempty
  assert.equal(byName.get('memory/usage')?.type, 'gauge');
  assert.equal(byName.get('memory/usage')?.units, 'bytes');
  assert.equal(byName.get('uptime')?.units, 'ms');
  assert.equal(byName.get('cpu/limit')?.units, 'millicores');
  assert.ok(byName.has('memory/limit'));
  assert.ok(!byName.has('cpu/request'));
  assert.ok(!byName.has('cpu/usage_rate'));
  assert.deepEqual(byName.get('filesystem/usage')?.labels, [
    { key: 'resource_id', description: 'Identifier(s) specific to a metric' },
  ]);
  assert.deepEqual(
    schema.common_labels?.map((l) => l.key),
    ['nodename', 'hostname', 'host_id', 'container_name', 'container_base_image'],
  );
  assert.deepEqual(
    schema.pod_labels?.map((l) => l.key),
    ['pod_name', 'pod_id', 'namespace_id', 'labels'],
  );
  assert.deepEqual(
    [originalUnits('bytes/s'), originalUnits('1/s'), originalUnits('ratio'), originalUnits('ns')],
    ['', '', '', 'ns'],
  );
});

function server(store: MemoryStore, disableExport?: boolean) {
  return createApiServer({
    store,
    selfMetrics: new SelfMetrics(),
    resolutionMs: 60_000,
    healthMaxDelayMs: 180_000,
    logger: pino({ level: 'silent' }),
    disableExport,
    now: () => T0,
  });
}

test('HTTP: /api/v1/metric-export and -schema; disableExport answers []', async () => {
  const store = new MemoryStore();
  assert.deepEqual((await server(store).inject({ url: '/api/v1/metric-export' })).json(), []);
  store.append(fixture());
  const res = await server(store).inject({ url: '/api/v1/metric-export/' });
  assert.equal(res.statusCode, 200);
  assert.equal((res.json() as unknown[]).length, 4);
  assert.deepEqual((await server(store, true).inject({ url: '/api/v1/metric-export' })).json(), []);
  const schema = (
    await server(store).inject({ url: '/api/v1/metric-export-schema' })
  ).json() as TimeseriesSchemaJson;
  assert.deepEqual(schema, metricExportSchema());
});
