import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { ContainerStats } from './cgroup-reader.js';
import { CgroupReader } from './cgroup-reader.js';

const dir = (p: string): string => fileURLToPath(new URL(`./testdata/${p}`, import.meta.url));
const testdata = (p: string): string => readFileSync(dir(p), 'utf8');

const DOCKER = '3f4a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344556677aa';
const CTRD = 'b7e2c9d41f0a3e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d';
const PODMAN = 'c0ffee00112233445566778899aabbccddeeff00112233445566778899aabbcc';
const POD = '0b8c5d2e-7a41-4c1e-9d3f-2e6b8a9c1d05';
const POD_SLICE = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD.replaceAll('-', '_')}.slice`;

function byPath(list: ContainerStats[]): Map<string, ContainerStats> {
  return new Map(list.map((c) => [c.path, c]));
}

describe('CgroupReader on a cgroup v2 tree', () => {
  const reader = new CgroupReader({
    procRoot: dir('proc'),
    cgroupRoot: dir('cgroup2'),
    mountinfo: testdata('mountinfo-v2'),
  });
  const list = reader.readAll();
  const got = byPath(list);

  it('lists every cgroup below the root, in path order, skipping the broken one', () => {
    assert.deepEqual(
      list.map((c) => c.path),
      [
        '/init.scope',
        '/kubepods.slice',
        '/kubepods.slice/kubepods-burstable.slice',
        POD_SLICE,
        `${POD_SLICE}/cri-containerd-${CTRD}.scope`,
        '/machine.slice',
        `/machine.slice/libpod-${PODMAN}.scope`,
        '/nomem.slice',
        '/system.slice',
        `/system.slice/docker-${DOCKER}.scope`,
        '/system.slice/ssh.service',
      ],
    );
    assert.equal(reader.skippedEntities, 1); // system.slice/broken.service has no memory.stat
    assert.deepEqual(reader.layout(), {
      cpu: { dir: dir('cgroup2'), version: 2 },
      memory: { dir: dir('cgroup2'), version: 2 },
    });
  });

  it('reads cpu.stat, memory.current and memory.stat with the working set rule', () => {
    const ssh = got.get('/system.slice/ssh.service');
    assert.ok(ssh);
    assert.equal(ssh.cgroupVersion, 2);
    assert.deepEqual(ssh.identity, { name: 'system.slice/ssh.service', runtime: 'systemd' });
    assert.equal(ssh.cpuUsageNanos, 1_250_000 * 1000);
    assert.deepEqual(ssh.memory, {
      usageBytes: 6_291_456,
      rssBytes: 1_048_576,
      cacheBytes: 4_194_304,
      workingSetBytes: 6_291_456 - 2_097_152,
      pageFaults: 12_000,
      majorPageFaults: 4,
    });
    assert.equal(ssh.network, undefined); // pid 612 shares the host netns
    // inactive_file larger than memory.current: working set floored at 0
    assert.equal(got.get(`/machine.slice/libpod-${PODMAN}.scope`)?.memory?.workingSetBytes, 0);
  });

  it('names runtime containers and keeps their classification', () => {
    const docker = got.get(`/system.slice/docker-${DOCKER}.scope`);
    assert.deepEqual(docker?.identity, {
      name: 'docker/3f4a5b6c7d8e',
      runtime: 'docker',
      id: DOCKER,
    });
    const ctrd = got.get(`${POD_SLICE}/cri-containerd-${CTRD}.scope`);
    assert.deepEqual(ctrd?.identity, {
      name: 'containerd/b7e2c9d41f0a',
      runtime: 'containerd',
      id: CTRD,
      podUid: POD,
    });
    assert.equal(ctrd?.cpuUsageNanos, 6_500_000_000);
    assert.equal(ctrd?.memory?.workingSetBytes, 170_000_000 - 18_000_000);
    const podman = got.get(`/machine.slice/libpod-${PODMAN}.scope`);
    assert.equal(podman?.identity.name, 'podman/c0ffee001122');
  });

  it('reads network from the netns of the first process when it is not the host one', () => {
    assert.deepEqual(got.get(`/system.slice/docker-${DOCKER}.scope`)?.network, {
      rxBytes: 4386,
      rxErrors: 1,
      txBytes: 1112,
      txErrors: 2,
    });
    assert.equal(got.get(`${POD_SLICE}/cri-containerd-${CTRD}.scope`)?.network?.rxBytes, 1_049_576);
    // pid 7777 does not exist: no network, but the container is still there
    assert.equal(got.get(`/machine.slice/libpod-${PODMAN}.scope`)?.network, undefined);
  });

  it('a cgroup without the memory controller reports CPU only', () => {
    const nomem = got.get('/nomem.slice');
    assert.equal(nomem?.cpuUsageNanos, 77_000_000);
    assert.equal(nomem?.memory, undefined);
  });

  it('start time is the directory ctime and stays stable across passes', () => {
    const ssh = got.get('/system.slice/ssh.service');
    const ctimeMs = Math.floor(statSync(dir('cgroup2/system.slice/ssh.service')).ctimeMs);
    assert.equal(ssh?.startMs, ctimeMs);
    const again = byPath(reader.readAll()).get('/system.slice/ssh.service');
    assert.equal(again?.startMs, ctimeMs);
    assert.ok(again && again.readTimeMs >= again.startMs);
  });

  it('stops between cgroups when the signal aborts', () => {
    const ac = new AbortController();
    ac.abort(new Error('tick timed out'));
    assert.throws(() => reader.readAll(ac.signal), /tick timed out/);
  });
});

describe('CgroupReader on a cgroup v1 tree (separate cpu, cpuacct, memory mounts)', () => {
  // The real mountinfo of this (hybrid) machine, re-rooted at the fixture.
  const reader = new CgroupReader({
    procRoot: dir('proc'),
    cgroupRoot: dir('cgroup1'),
    mountinfo: testdata('proc/self/mountinfo'),
  });
  const list = reader.readAll();
  const got = byPath(list);
  const cid = `/kubepods/burstable/pod${POD}/${CTRD}`;

  it('takes the union of the cpuacct and memory trees', () => {
    assert.deepEqual(
      list.map((c) => c.path),
      [
        '/cpuonly',
        '/docker',
        `/docker/${DOCKER}`,
        '/kubepods',
        '/kubepods/burstable',
        `/kubepods/burstable/pod${POD}`,
        cid,
        '/memonly',
      ],
    );
    assert.equal(reader.skippedEntities, 1); // /vanished: memory.stat missing
    assert.deepEqual(reader.layout(), {
      cpu: { dir: dir('cgroup1/cpuacct'), version: 1 },
      memory: { dir: dir('cgroup1/memory'), version: 1 },
    });
  });

  it('reads cpuacct.usage, memory.usage_in_bytes and the total_* fields', () => {
    const d = got.get(`/docker/${DOCKER}`);
    assert.equal(d?.cgroupVersion, 1);
    assert.deepEqual(d?.identity, { name: 'docker/3f4a5b6c7d8e', runtime: 'docker', id: DOCKER });
    assert.equal(d?.cpuUsageNanos, 4_900_000_000);
    assert.deepEqual(d?.memory, {
      usageBytes: 110_000_000,
      rssBytes: 74_000_000,
      cacheBytes: 35_000_000,
      workingSetBytes: 101_000_000,
      pageFaults: 290_000,
      majorPageFaults: 19,
    });
    assert.equal(d?.network?.txBytes, 1112);
    // total_inactive_file (25 MB) above usage (20 MB): floored at 0
    assert.equal(got.get(cid)?.memory?.workingSetBytes, 0);
    assert.equal(got.get(cid)?.identity.podUid, POD);
  });

  it('a cgroup in one hierarchy only gets that hierarchy’s figures', () => {
    assert.equal(got.get('/cpuonly')?.cpuUsageNanos, 1_234_567);
    assert.equal(got.get('/cpuonly')?.memory, undefined);
    assert.equal(got.get('/memonly')?.cpuUsageNanos, undefined);
    assert.equal(got.get('/memonly')?.memory?.usageBytes, 4_096_000);
  });

  it('start time is the earliest ctime of the cgroup’s directories', () => {
    const a = statSync(dir(`cgroup1/cpuacct/docker/${DOCKER}`)).ctimeMs;
    const b = statSync(dir(`cgroup1/memory/docker/${DOCKER}`)).ctimeMs;
    assert.equal(got.get(`/docker/${DOCKER}`)?.startMs, Math.floor(Math.min(a, b)));
  });
});

describe('CgroupReader when cgroups vanish', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'heapster-cgroups-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('a cgroup removed mid-pass is skipped and the others are read', () => {
    cpSync(dir('cgroup2'), tmp, { recursive: true });
    let calls = 0;
    let armed = false;
    const reader = new CgroupReader({
      procRoot: dir('proc'),
      cgroupRoot: tmp,
      mountinfo: testdata('mountinfo-v2'),
      nowMs: () => {
        // Calls: layout TTL check, host netns TTL check, then one per cgroup. Remove
        // ssh.service while the first cgroup is read: it was listed but is gone when read.
        if (armed && ++calls === 3)
          rmSync(join(tmp, 'system.slice/ssh.service'), { recursive: true });
        return Date.now();
      },
    });
    reader.readAll(); // warm the caches
    const before = reader.skippedEntities;
    armed = true;
    const paths = reader.readAll().map((c) => c.path);
    assert.equal(calls > 3, true);
    assert.ok(!paths.includes('/system.slice/ssh.service'));
    assert.ok(paths.includes('/system.slice'));
    assert.ok(paths.includes(`/system.slice/docker-${DOCKER}.scope`));
    assert.equal(reader.skippedEntities - before, 2); // ssh.service + broken.service
  });

  it('a cgroup recreated under the same path gets a new start time', async () => {
    const root = join(tmp, 'recreate');
    cpSync(dir('cgroup2'), root, { recursive: true });
    const reader = new CgroupReader({
      procRoot: dir('proc'),
      cgroupRoot: root,
      mountinfo: testdata('mountinfo-v2'),
    });
    const path = '/system.slice/ssh.service';
    const start1 = byPath(reader.readAll()).get(path)?.startMs;
    assert.equal(byPath(reader.readAll()).get(path)?.startMs, start1);
    await new Promise((r) => setTimeout(r, 5));
    // New directory (new inode: the old one still exists while it is made), then swap.
    const cg = join(root, 'system.slice/ssh.service');
    cpSync(cg, `${cg}.new`, { recursive: true });
    renameSync(cg, `${cg}.old`);
    renameSync(`${cg}.new`, cg);
    rmSync(`${cg}.old`, { recursive: true });
    const start2 = byPath(reader.readAll()).get(path)?.startMs;
    assert.ok(
      start1 !== undefined && start2 !== undefined && start2 > start1,
      `${start1} → ${start2}`,
    );
  });

  it('a missing hierarchy gives no containers and no throw', () => {
    const reader = new CgroupReader({
      procRoot: dir('proc'),
      cgroupRoot: join(tmp, 'nonexistent'),
      mountinfo: testdata('mountinfo-v2'),
    });
    assert.deepEqual(reader.readAll(), []);
  });

  it('without cgroup lines in mountinfo, the layout is probed from the cgroup root', () => {
    const v1 = new CgroupReader({
      procRoot: dir('proc'),
      cgroupRoot: dir('cgroup1'),
      mountinfo: '',
    });
    assert.deepEqual(v1.layout(), {
      cpu: { dir: dir('cgroup1/cpuacct'), version: 1 },
      memory: { dir: dir('cgroup1/memory'), version: 1 },
    });
    const v2 = new CgroupReader({
      procRoot: dir('proc'),
      cgroupRoot: dir('cgroup2'),
      mountinfo: '',
    });
    assert.deepEqual(v2.layout(), {
      cpu: { dir: dir('cgroup2'), version: 2 },
      memory: { dir: dir('cgroup2'), version: 2 },
    });
  });
});
