import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { NodeReader, nodeMemory } from './node-reader.js';

const dir = (p: string): string => fileURLToPath(new URL(`./testdata/${p}`, import.meta.url));
const testdata = (p: string): string => readFileSync(dir(p), 'utf8');
const KIB = 1024;

describe('nodeMemory', () => {
  const base = {
    memTotalBytes: 1000,
    memFreeBytes: 400,
    buffersBytes: 10,
    cachedBytes: 200,
    anonPagesBytes: 300,
    inactiveFileBytes: 150,
  };
  it('usage = total − free, cache = cached + buffers, rss = anon, ws = usage − inactive(file)', () => {
    assert.deepEqual(nodeMemory(base), {
      usageBytes: 600,
      cacheBytes: 210,
      rssBytes: 300,
      workingSetBytes: 450,
    });
  });
  it('working set floored at 0', () => {
    assert.equal(nodeMemory({ ...base, inactiveFileBytes: 700 }).workingSetBytes, 0);
  });
});

describe('NodeReader on fixture files', () => {
  const reader = new NodeReader({
    procRoot: dir('proc'),
    sysRoot: dir('sys'),
    mountinfo: testdata('proc/self/mountinfo'),
    machineIdPath: dir('machine-id'),
  });
  const s = reader.read();

  it('reads CPU, boot time, uptime and cores from /proc', () => {
    assert.equal(s.cpuUsageNanos, 15117 * 10_000_000);
    assert.equal(s.bootTimeMs, 1795611952000);
    assert.equal(s.uptimeMs, 736830);
    assert.equal(s.cores, 2);
  });

  it('reads memory from /proc/meminfo and faults from /proc/vmstat', () => {
    assert.equal(s.memTotalBytes, 24684084 * KIB);
    assert.deepEqual(s.memory, {
      usageBytes: (24684084 - 24083804) * KIB,
      cacheBytes: (170712 + 1656) * KIB,
      rssBytes: 326892 * KIB,
      workingSetBytes: (24684084 - 24083804 - 48524) * KIB,
    });
    assert.equal(s.pageFaults, 4389956);
    assert.equal(s.majorPageFaults, 495);
  });

  it('sums network over physical interfaces only (eth0; not lo, ifb0, ifb1)', () => {
    assert.deepEqual(s.network, { rxBytes: 101662480, rxErrors: 0, txBytes: 331896, txErrors: 0 });
  });

  it('statfs of the real filesystems (/ on /dev/vda)', () => {
    assert.deepEqual(
      s.filesystems.map((f) => f.device),
      ['/dev/vda'],
    );
    assert.ok(s.filesystems[0].limitBytes > 0);
  });

  it('host id from the machine-id file', () => {
    assert.equal(reader.hostId(), '3d1219c7c4c5404aaa1f6d2a48adfda4');
    assert.equal(new NodeReader({ machineIdPath: '/nonexistent' }).hostId(), undefined);
    assert.equal(reader.procFailures, 0);
  });
});

describe('NodeReader when /proc files fail', () => {
  it('drops only the figures a missing file feeds', () => {
    // This proc root has net/dev only: stat, uptime, meminfo, vmstat are missing.
    const reader = new NodeReader({
      procRoot: dir('proc-docker-host'),
      sysRoot: dir('sys'),
      mountinfo: testdata('mountinfo-v2'), // /boot etc. do not exist here: statfs fails, skipped
    });
    const s = reader.read();
    assert.deepEqual(s.network, {
      rxBytes: 1_000_000_000,
      rxErrors: 5,
      txBytes: 150_000_000,
      txErrors: 6,
    });
    assert.equal(s.cpuUsageNanos, undefined);
    assert.equal(s.memory, undefined);
    assert.equal(s.uptimeMs, undefined);
    assert.equal(s.pageFaults, undefined);
    // Mount points that do not exist on this machine fail statfs and are skipped.
    const mounts: [string, string][] = [
      ['/dev/sda1', '/'],
      ['/dev/sda2', '/boot'],
      ['/dev/sda3', '/boot/efi'],
      ['/dev/sdb1', '/var/lib/docker'],
      ['/dev/sdc1', '/media/usb stick'],
    ];
    const present = mounts.filter(([, mp]) => existsSync(mp)).map(([dev]) => dev);
    assert.deepEqual(
      s.filesystems.map((f) => f.device),
      present,
    );
    assert.equal(reader.procFailures, 4 + mounts.length - present.length);
  });
});
