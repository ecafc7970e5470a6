import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_METRICS,
  LABELED_METRICS,
  RATED_METRICS,
  RATE_METRICS,
  familyOf,
  isIntMetric,
  metricDescriptor,
} from './metrics.js';
import { ALL_LABELS, SUPPORTED_LABELS } from './labels.js';

test('the seed table: ten metrics with the kinds and units users start from', () => {
  const seed: [string, string, string, string][] = [
    ['uptime', 'cumulative', 'int64', 'ms'],
    ['cpu/usage', 'cumulative', 'int64', 'ns'],
    ['memory/usage', 'gauge', 'int64', 'bytes'],
    ['memory/page_faults', 'cumulative', 'int64', ''],
    ['memory/working_set', 'gauge', 'int64', 'bytes'],
    ['network/rx', 'cumulative', 'int64', 'bytes'],
    ['network/rx_errors', 'cumulative', 'int64', ''],
    ['network/tx', 'cumulative', 'int64', 'bytes'],
    ['network/tx_errors', 'cumulative', 'int64', ''],
    ['filesystem/usage', 'gauge', 'int64', 'bytes'],
  ];
  for (const [name, kind, valueType, units] of seed) {
    const d = metricDescriptor(name);
    assert.ok(d, name);
    assert.deepEqual([d.kind, d.valueType, d.units], [kind, valueType, units], name);
    assert.ok(d.description.length > 10, `${name} has a description`);
  }
  assert.deepEqual(metricDescriptor('filesystem/usage')?.labels, ['resource_id']);
});

test('every metric of §5.1–5.3 is in the catalogue, once', () => {
  const expected = [
    'uptime',
    'cpu/usage',
    'cpu/load',
    'memory/usage',
    'memory/working_set',
    'memory/rss',
    'memory/cache',
    'memory/page_faults',
    'memory/major_page_faults',
    'network/rx',
    'network/rx_errors',
    'network/tx',
    'network/tx_errors',
    'ephemeral_storage/usage',
    'restart_count',
    'filesystem/usage',
    'filesystem/limit',
    'filesystem/available',
    'filesystem/inodes',
    'filesystem/inodes_free',
    'disk/io_read_bytes',
    'disk/io_write_bytes',
    'disk/io_read_bytes_rate',
    'disk/io_write_bytes_rate',
    'accelerator/memory_total',
    'accelerator/memory_used',
    'accelerator/duty_cycle',
    'cpu/usage_rate',
    'memory/page_faults_rate',
    'memory/major_page_faults_rate',
    'network/rx_rate',
    'network/rx_errors_rate',
    'network/tx_rate',
    'network/tx_errors_rate',
    'cpu/request',
    'cpu/limit',
    'memory/request',
    'memory/limit',
    'ephemeral_storage/request',
    'ephemeral_storage/limit',
    'cpu/node_capacity',
    'cpu/node_allocatable',
    'cpu/node_utilization',
    'cpu/node_reservation',
    'memory/node_capacity',
    'memory/node_allocatable',
    'memory/node_utilization',
    'memory/node_reservation',
    'ephemeral_storage/node_capacity',
    'ephemeral_storage/node_allocatable',
    'ephemeral_storage/node_utilization',
    'ephemeral_storage/node_reservation',
  ];
  const names = ALL_METRICS.map((m) => m.name);
  assert.equal(new Set(names).size, names.length, 'no duplicates');
  assert.deepEqual([...names].sort(), [...expected].sort());
});

test('rates: every rated counter maps to a gauge rate metric; cpu/usage_rate is int64 millicores', () => {
  assert.deepEqual(RATED_METRICS.map((m) => `${m.name}->${m.rate?.name}`).sort(), [
    'cpu/usage->cpu/usage_rate',
    'disk/io_read_bytes->disk/io_read_bytes_rate',
    'disk/io_write_bytes->disk/io_write_bytes_rate',
    'memory/major_page_faults->memory/major_page_faults_rate',
    'memory/page_faults->memory/page_faults_rate',
    'network/rx->network/rx_rate',
    'network/rx_errors->network/rx_errors_rate',
    'network/tx->network/tx_rate',
    'network/tx_errors->network/tx_errors_rate',
  ]);
  for (const m of RATED_METRICS) {
    assert.equal(m.kind, 'cumulative');
    const rate = metricDescriptor(m.rate!.name);
    assert.ok(rate && RATE_METRICS.includes(rate), m.rate!.name);
    assert.equal(rate.kind, 'gauge');
    assert.deepEqual(rate.labels, m.labels, 'labeled counters give labeled rates');
  }
  const cpu = metricDescriptor('cpu/usage_rate')!;
  assert.deepEqual([cpu.valueType, cpu.units], ['int64', 'millicores']);
  // 1 core for 1 s = 1e9 ns/s → 1000 millicores.
  assert.equal(metricDescriptor('cpu/usage')!.rate!.perSecondScale * 1e9, 1000);
  assert.equal(metricDescriptor('network/rx_rate')!.valueType, 'double');
});

test('families and value types', () => {
  assert.equal(familyOf('cpu/usage_rate'), 'cpu');
  assert.equal(familyOf('uptime'), 'general');
  assert.equal(familyOf('custom/foo'), 'general');
  assert.equal(familyOf('ephemeral_storage/usage'), 'ephemeral_storage');
  assert.ok(LABELED_METRICS.every((m) => m.labels && m.labels.length > 0));
  assert.equal(isIntMetric('memory/usage', 1.5), true);
  assert.equal(isIntMetric('network/rx_rate', 2), false);
  assert.equal(isIntMetric('custom/x', 2), true);
  assert.equal(isIntMetric('custom/x', 2.5), false);
});

test('label catalogue (§5.4)', () => {
  const keys = ALL_LABELS.map((l) => l.key);
  for (const k of [
    'type',
    'nodename',
    'hostname',
    'host_id',
    'schedulable',
    'pod_name',
    'pod_id',
    'namespace_name',
    'namespace_id',
    'container_name',
    'container_base_image',
    'labels',
    'resource_id',
    'make',
    'model',
    'accelerator_id',
    'custom_metric_name',
    'resource_type',
    'volume_name',
  ]) {
    assert.ok(keys.includes(k), k);
  }
  assert.equal(new Set(keys).size, keys.length);
  assert.deepEqual(
    SUPPORTED_LABELS.map((l) => l.key),
    [
      'nodename',
      'hostname',
      'host_id',
      'pod_name',
      'pod_id',
      'namespace_id',
      'labels',
      'resource_id',
      'custom_metric_name',
    ],
  );
});
