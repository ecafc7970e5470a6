import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { newMetricSet } from '../../core/batch.js';
import type { DockerStats } from './stats.js';
import { putDockerStats, statsTimeMs, workingSetOf } from './stats.js';

const v1 = JSON.parse(
  readFileSync(new URL('./testdata/stats-cgroup-v1.json', import.meta.url), 'utf8'),
) as DockerStats;

test('a real cgroup v1 answer (dockerd 20.10, 100 MiB in a tmpfs) maps to Heapster metrics', () => {
  const set = newMetricSet('sys_container', {}, { scrapeTimeMs: 0 });
  putDockerStats(set, v1);
  const m = v1.memory_stats!;
  assert.equal(set.values.get('cpu/usage'), v1.cpu_stats!.cpu_usage!.total_usage);
  assert.equal(set.values.get('memory/usage'), m.usage);
  assert.equal(set.values.get('memory/cache'), m.stats!.total_cache);
  assert.equal(set.values.get('memory/rss'), m.stats!.total_rss);
  assert.equal(set.values.get('memory/working_set'), m.usage! - m.stats!.total_inactive_file);
  assert.equal(set.values.get('memory/page_faults'), m.stats!.total_pgfault);
  assert.ok(set.values.get('memory/usage')! >= 100 * 2 ** 20);
  // --network none: no networks field, so no network metrics (not zeros)
  assert.equal(set.values.has('network/rx'), false);
  assert.equal(statsTimeMs(v1), Date.parse(v1.read!));
});

test('cgroup v2 answers: anon is rss, file is cache, inactive_file leaves the working set', () => {
  const s: DockerStats = {
    read: '2024-01-02T03:04:05.5Z',
    cpu_stats: { cpu_usage: { total_usage: 5_000_000 } },
    memory_stats: {
      usage: 10_000,
      stats: { anon: 6000, file: 4000, inactive_file: 2500, pgfault: 7, pgmajfault: 1 },
    },
  };
  const set = newMetricSet('sys_container', {}, { scrapeTimeMs: 0 });
  putDockerStats(set, s);
  assert.deepEqual(Object.fromEntries(set.values), {
    'cpu/usage': 5_000_000,
    'memory/usage': 10_000,
    'memory/working_set': 7500,
    'memory/rss': 6000,
    'memory/cache': 4000,
    'memory/page_faults': 7,
    'memory/major_page_faults': 1,
  });
});

test('networks are summed; disk I/O per major:minor; a sandbox keeps only its network', () => {
  const s: DockerStats = {
    read: '2024-01-02T03:04:05Z',
    cpu_stats: { cpu_usage: { total_usage: 1 } },
    networks: {
      eth0: { rx_bytes: 100, rx_errors: 1, tx_bytes: 200, tx_errors: 2 },
      eth1: { rx_bytes: 10, rx_errors: 0, tx_bytes: 20, tx_errors: 0 },
    },
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 8, minor: 0, op: 'Read', value: 4096 },
        { major: 8, minor: 0, op: 'Write', value: 8192 },
        { major: 8, minor: 0, op: 'Total', value: 12288 },
        { major: 8, minor: 16, op: 'read', value: 1 },
      ],
    },
  };
  const set = newMetricSet('sys_container', {}, { scrapeTimeMs: 0 });
  putDockerStats(set, s);
  assert.equal(set.values.get('network/rx'), 110);
  assert.equal(set.values.get('network/tx'), 220);
  assert.equal(set.values.get('network/rx_errors'), 1);
  assert.equal(set.values.get('network/tx_errors'), 2);
  assert.deepEqual(
    set.labeled.map((l) => [l.name, l.labels.resource_id, l.value]),
    [
      ['disk/io_read_bytes', '8:0', 4096],
      ['disk/io_write_bytes', '8:0', 8192],
      ['disk/io_read_bytes', '8:16', 1],
    ],
  );
  const sandbox = newMetricSet('pod', {}, { scrapeTimeMs: 0 });
  putDockerStats(sandbox, s, true);
  assert.deepEqual([...sandbox.values.keys()].sort(), [
    'network/rx',
    'network/rx_errors',
    'network/tx',
    'network/tx_errors',
  ]);
  assert.equal(sandbox.labeled.length, 0);
});

test('working set: usage minus inactive file, floored at 0; a stopped container has no time', () => {
  assert.equal(workingSetOf(100, { total_inactive_file: 30, inactive_file: 1 }), 70);
  assert.equal(workingSetOf(100, { inactive_file: 150 }), 0);
  assert.equal(workingSetOf(100, {}), 100);
  assert.equal(statsTimeMs({ read: '0001-01-01T00:00:00Z' }), undefined);
});
