import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { MetricSet } from '../core/batch.js';
import { metricDescriptor } from '../core/metrics.js';
import { createLocalSource } from './local-source.js';

const dir = (p: string): string =>
  fileURLToPath(new URL(`./cgroups/testdata/${p}`, import.meta.url));
const testdata = (p: string): string => readFileSync(dir(p), 'utf8');
const HOST_ID = '3d1219c7c4c5404aaa1f6d2a48adfda4';
const DOCKER = '3f4a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344556677aa';
const KIB = 1024;

function v2Source() {
  return createLocalSource({
    nodeName: 'n1',
    procRoot: dir('proc'),
    sysRoot: dir('sys'),
    cgroupRoot: dir('cgroup2'),
    mountinfo: testdata('mountinfo-v2'),
    machineIdPath: dir('machine-id'),
  });
}

function assertWellTyped(key: string, set: MetricSet): void {
  for (const [name, value] of set.values) {
    const desc = metricDescriptor(name);
    assert.ok(desc, `${key}: unknown metric ${name}`);
    assert.ok(Number.isFinite(value), `${key} ${name} = ${value}`);
    if (desc.valueType === 'int64') assert.ok(Number.isInteger(value), `${key} ${name} = ${value}`);
  }
  for (const l of set.labeled) assert.ok(metricDescriptor(l.name)?.labels, l.name);
}

describe('local source on a cgroup v2 fixture', async () => {
  const source = v2Source();
  const before = Date.now();
  const batch = await source.scrape({ startMs: 1000, endMs: 61_000 }, new AbortController().signal);
  const after = Date.now();

  it('is named local and stamps the batch with the window end', () => {
    assert.equal(source.name, 'local');
    assert.equal(batch.timestampMs, 61_000);
  });

  it('has the node and one system container per cgroup', () => {
    assert.deepEqual(
      [...batch.sets.keys()],
      [
        'node:n1',
        'node:n1/container:init.scope',
        'node:n1/container:kubepods.slice',
        'node:n1/container:kubepods.slice/kubepods-burstable.slice',
        'node:n1/container:kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b8c5d2e_7a41_4c1e_9d3f_2e6b8a9c1d05.slice',
        'node:n1/container:containerd/b7e2c9d41f0a',
        'node:n1/container:machine.slice',
        'node:n1/container:podman/c0ffee001122',
        'node:n1/container:nomem.slice',
        'node:n1/container:system.slice',
        'node:n1/container:docker/3f4a5b6c7d8e',
        'node:n1/container:system.slice/ssh.service',
      ],
    );
    for (const [key, set] of batch.sets) {
      assertWellTyped(key, set);
      assert.ok(set.scrapeTimeMs >= before && set.scrapeTimeMs <= after, key);
    }
    const counters = source.counters();
    assert.equal(counters.scrapes, 1);
    assert.equal(counters.skippedEntities, 1); // broken.service
    assert.equal(counters.duplicateNames, 0);
    // statfs of the fixture's /boot/efi, /var/lib/docker, ... fails where they do not exist
    assert.ok(counters.procFailures <= 3);
  });

  it('node set: labels, /proc figures, capacity and filesystems', () => {
    const node = batch.sets.get('node:n1');
    assert.ok(node);
    assert.deepEqual(node.labels, {
      nodename: 'n1',
      hostname: 'n1',
      host_id: HOST_ID,
      type: 'node',
    });
    assert.equal(node.collectionStartMs, 1795611952000);
    assert.equal(node.createMs, 1795611952000);
    assert.deepEqual(Object.fromEntries(node.values), {
      uptime: 736830,
      'cpu/usage': 15117 * 10_000_000,
      'memory/usage': (24684084 - 24083804) * KIB,
      'memory/cache': (170712 + 1656) * KIB,
      'memory/rss': 326892 * KIB,
      'memory/working_set': (24684084 - 24083804 - 48524) * KIB,
      'memory/page_faults': 4389956,
      'memory/major_page_faults': 495,
      'network/rx': 101662480,
      'network/rx_errors': 0,
      'network/tx': 331896,
      'network/tx_errors': 0,
      'cpu/node_capacity': 2000,
      'cpu/node_allocatable': 2000,
      'memory/node_capacity': 24684084 * KIB,
      'memory/node_allocatable': 24684084 * KIB,
    });
    const root = node.labeled.filter((l) => l.labels.resource_id === '/dev/sda1');
    assert.deepEqual(
      root.map((l) => l.name),
      [
        'filesystem/usage',
        'filesystem/limit',
        'filesystem/available',
        'filesystem/inodes',
        'filesystem/inodes_free',
      ],
    );
  });

  it('container set: labels, figures, uptime from the cgroup ctime', () => {
    const docker = batch.sets.get('node:n1/container:docker/3f4a5b6c7d8e');
    assert.ok(docker);
    assert.deepEqual(docker.labels, {
      nodename: 'n1',
      hostname: 'n1',
      host_id: HOST_ID,
      container_name: 'docker/3f4a5b6c7d8e',
      type: 'sys_container',
    });
    const ctimeMs = Math.floor(
      statSync(dir(`cgroup2/system.slice/docker-${DOCKER}.scope`)).ctimeMs,
    );
    assert.equal(docker.collectionStartMs, ctimeMs);
    assert.equal(docker.createMs, ctimeMs);
    assert.deepEqual(Object.fromEntries(docker.values), {
      uptime: docker.scrapeTimeMs - ctimeMs,
      'cpu/usage': 3_500_000_000,
      'memory/usage': 104_857_600,
      'memory/cache': 31_457_280,
      'memory/rss': 73_400_320,
      'memory/working_set': 104_857_600 - 8_388_608,
      'memory/page_faults': 250_000,
      'memory/major_page_faults': 17,
      'network/rx': 4386,
      'network/rx_errors': 1,
      'network/tx': 1112,
      'network/tx_errors': 2,
    });
    assert.equal(docker.labeled.length, 0);
    const nomem = batch.sets.get('node:n1/container:nomem.slice');
    assert.deepEqual([...(nomem?.values.keys() ?? [])], ['uptime', 'cpu/usage']);
  });

  it('rejects with the abort reason when the signal is aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('scrape timeout'));
    await assert.rejects(source.scrape({ startMs: 0, endMs: 1 }, ac.signal), /scrape timeout/);
  });
});

describe('local source on a cgroup v1 fixture', async () => {
  const source = createLocalSource({
    nodeName: 'n2',
    procRoot: dir('proc'),
    sysRoot: dir('sys'),
    cgroupRoot: dir('cgroup1'),
    mountinfo: testdata('proc/self/mountinfo'),
    machineIdPath: '/nonexistent/machine-id',
  });
  const batch = await source.scrape({ startMs: 0, endMs: 5 }, new AbortController().signal);

  it('names containers and reads v1 figures; no host_id without a machine id', () => {
    const d = batch.sets.get('node:n2/container:docker/3f4a5b6c7d8e');
    assert.ok(d);
    assert.equal(d.labels.host_id, undefined);
    assert.equal(d.values.get('cpu/usage'), 4_900_000_000);
    assert.equal(d.values.get('memory/working_set'), 101_000_000);
    assert.ok(batch.sets.has('node:n2/container:containerd/b7e2c9d41f0a'));
    assert.ok(batch.sets.has('node:n2/container:kubepods/burstable'));
    assert.ok(batch.sets.has('node:n2/container:cpuonly'));
    assert.ok(!batch.sets.has('node:n2/container:vanished'));
    assert.equal(source.counters().skippedEntities, 1);
  });
});
