import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { cgroupMounts, chooseLayout, rerootCgroupPath } from './hierarchies.js';
import { parseMountinfo } from './proc.js';

const testdata = (p: string): string =>
  readFileSync(new URL(`./testdata/${p}`, import.meta.url), 'utf8');

describe('rerootCgroupPath', () => {
  const cases: [string, string, string][] = [
    ['/sys/fs/cgroup', '/sys/fs/cgroup', '/sys/fs/cgroup'],
    ['/sys/fs/cgroup/memory', '/host/sys/fs/cgroup', '/host/sys/fs/cgroup/memory'],
    ['/sys/fs/cgroup/cpu,cpuacct', '/t', '/t/cpu,cpuacct'],
    ['/sys/fs/cgroupx', '/t', '/sys/fs/cgroupx'],
    ['/cgroup/memory', '/t', '/cgroup/memory'],
  ];
  for (const [mp, root, want] of cases) {
    it(`${mp} under ${root}`, () => assert.equal(rerootCgroupPath(mp, root), want));
  }
});

describe('cgroupMounts + chooseLayout', () => {
  it('hybrid host (this machine): v1 cpuacct and memory win over cgroup2', () => {
    const mounts = cgroupMounts(parseMountinfo(testdata('proc/self/mountinfo')), '/t');
    assert.equal(mounts.v1.get('cpu'), '/t/cpu');
    assert.equal(mounts.v1.get('cpuacct'), '/t/cpuacct');
    assert.equal(mounts.v1.get('memory'), '/t/memory');
    assert.equal(mounts.v1.get('name=systemd'), '/t/systemd');
    assert.equal(mounts.v2, '/t/unified');
    assert.deepEqual(chooseLayout(mounts, 'hugetlb\n'), {
      cpu: { dir: '/t/cpuacct', version: 1 },
      memory: { dir: '/t/memory', version: 1 },
    });
  });

  it('pure cgroup2 host', () => {
    const mounts = cgroupMounts(parseMountinfo(testdata('mountinfo-v2')), '/t');
    assert.equal(mounts.v1.size, 0);
    assert.equal(mounts.v2, '/t');
    assert.deepEqual(chooseLayout(mounts, 'cpuset cpu io memory pids\n'), {
      cpu: { dir: '/t', version: 2 },
      memory: { dir: '/t', version: 2 },
    });
    // memory controller not available on v2 (and not on v1): CPU only
    assert.deepEqual(chooseLayout(mounts, 'cpu io\n'), { cpu: { dir: '/t', version: 2 } });
  });

  it('v1 with combined cpu,cpuacct and a v2 that has memory', () => {
    const mounts = cgroupMounts(
      parseMountinfo(
        '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct\n' +
          '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n' +
          '42 31 0:29 /kubepods /var/lib/kubelet/cg rw - cgroup cgroup rw,cpu,cpuacct\n',
      ),
      '/sys/fs/cgroup',
    );
    assert.equal(mounts.v1.get('cpuacct'), '/sys/fs/cgroup/cpu,cpuacct');
    assert.deepEqual(chooseLayout(mounts, 'memory pids'), {
      cpu: { dir: '/sys/fs/cgroup/cpu,cpuacct', version: 1 },
      memory: { dir: '/sys/fs/cgroup/unified', version: 2 },
    });
  });

  it('no cgroup mounts at all', () => {
    assert.deepEqual(chooseLayout(cgroupMounts([], '/t'), undefined), {});
  });
});
