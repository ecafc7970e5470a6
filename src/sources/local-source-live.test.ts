// Live test on this machine's cgroup v1 hierarchies (root required): a busy process and a
// 100 MiB process in a fresh cgroup must show up as ~1 core and ≥ 100 MiB.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Batch } from '../core/batch.js';
import { rootLogger } from '../core/log.js';
import { createLocalSource } from './local-source.js';
import { parseMeminfo, parseProcStat } from './cgroups/proc.js';

const CGROUP_ROOT = '/sys/fs/cgroup';
const CONTROLLERS = ['cpu', 'cpuacct', 'memory'];
const NAME = `heapster-test-${process.pid}`;
const MIB = 2 ** 20;
const NODE = 'live-node';
const KEY = `node:${NODE}/container:${NAME}`;

/** Creates the test cgroups; returns why the live test cannot run, or undefined. */
function setUp(): string | undefined {
  for (const c of CONTROLLERS) {
    if (!existsSync(`${CGROUP_ROOT}/${c}`))
      return `no cgroup v1 ${c} hierarchy at ${CGROUP_ROOT}/${c}`;
  }
  const made: string[] = [];
  try {
    for (const c of CONTROLLERS) {
      mkdirSync(`${CGROUP_ROOT}/${c}/${NAME}`);
      made.push(`${CGROUP_ROOT}/${c}/${NAME}`);
    }
  } catch (err) {
    for (const dir of made) rmdirSync(dir);
    return `${CGROUP_ROOT}/cpuacct is not writable (needs root and cgroup v1): ${String(err)}`;
  }
  return undefined;
}

function moveIn(pid: number): void {
  for (const c of CONTROLLERS)
    writeFileSync(`${CGROUP_ROOT}/${c}/${NAME}/cgroup.procs`, String(pid));
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function removeCgroups(): Promise<void> {
  for (const c of CONTROLLERS) {
    const dir = `${CGROUP_ROOT}/${c}/${NAME}`;
    for (let attempt = 0; existsSync(dir); attempt++) {
      try {
        rmdirSync(dir);
      } catch (err) {
        if (attempt >= 50) throw err; // EBUSY until the killed tasks are reaped
        await sleep(20);
      }
    }
  }
}

const skipReason = setUp();

describe('local source, live on this machine (cgroup v1)', { skip: skipReason }, () => {
  let busy: ChildProcess | undefined;
  let hog: ChildProcess | undefined;
  const source = createLocalSource({
    nodeName: NODE,
    logger: rootLogger.child({ level: 'silent' }),
  });
  let first: Batch;
  let second: Batch;
  let procBefore: { cpu: number; memUsed: number };
  let procAfter: { cpu: number; memUsed: number };

  const readProc = () => {
    const m = parseMeminfo(readFileSync('/proc/meminfo', 'latin1'));
    return {
      cpu: parseProcStat(readFileSync('/proc/stat', 'latin1')).cpuUsageNanos,
      memUsed: m.memTotalBytes - m.memFreeBytes,
      memTotal: m.memTotalBytes,
    };
  };

  before(async () => {
    busy = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    assert.ok(busy.pid);
    moveIn(busy.pid);

    // Allocates and touches 100 MiB only after it was moved into the cgroup.
    const script =
      "process.stdin.once('data', () => { globalThis.keep = Buffer.alloc(100 * 2 ** 20, 1);" +
      " process.stdout.write('ready\\n'); setInterval(() => {}, 1e6); });";
    hog = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    assert.ok(hog.pid && hog.stdin && hog.stdout);
    const ready = new Promise<void>((resolve, reject) => {
      hog?.stdout?.once('data', () => resolve());
      hog?.once('exit', (code) => reject(new Error(`allocator exited early (${code})`)));
    });
    moveIn(hog.pid);
    hog.stdin.write('go\n');
    await ready;
    await sleep(300); // let the busy loop settle on its core

    const window = { startMs: 0, endMs: Date.now() };
    procBefore = readProc();
    first = await source.scrape(window, new AbortController().signal);
    procAfter = readProc();
    await sleep(2000);
    second = await source.scrape(window, new AbortController().signal);
  });

  after(async () => {
    await stop(busy);
    await stop(hog);
    await removeCgroups();
  });

  it('reports the busy cgroup at about one core (1000 ± 100 millicores)', (t) => {
    const a = first.sets.get(KEY);
    const b = second.sets.get(KEY);
    assert.ok(a && b, `${KEY} missing; keys: ${[...second.sets.keys()].join(' ')}`);
    assert.deepEqual(b.labels, {
      nodename: NODE,
      hostname: NODE,
      ...(b.labels.host_id !== undefined && { host_id: b.labels.host_id }),
      container_name: NAME,
      type: 'sys_container',
    });
    const dCpuNs = (b.values.get('cpu/usage') ?? NaN) - (a.values.get('cpu/usage') ?? NaN);
    const dMs = b.scrapeTimeMs - a.scrapeTimeMs;
    const millicores = (1000 * dCpuNs) / (dMs * 1e6);
    t.diagnostic(`busy cgroup: ${millicores.toFixed(1)} millicores over ${dMs} ms`);
    assert.ok(Math.abs(millicores - 1000) <= 100, `usage rate ${millicores.toFixed(0)} millicores`);
    assert.equal(b.collectionStartMs, a.collectionStartMs); // same cgroup: rates may be computed
    assert.ok((b.values.get('uptime') ?? 0) >= 2000);
  });

  it('reports the 100 MiB allocation in memory/usage', () => {
    const b = second.sets.get(KEY);
    const usage = b?.values.get('memory/usage') ?? 0;
    assert.ok(usage >= 100 * MIB, `memory/usage ${(usage / MIB).toFixed(1)} MiB`);
    const rss = b?.values.get('memory/rss') ?? 0;
    assert.ok(rss >= 100 * MIB, `memory/rss ${(rss / MIB).toFixed(1)} MiB`);
    const ws = b?.values.get('memory/working_set') ?? 0;
    assert.ok(ws >= 100 * MIB && ws <= usage);
    assert.ok((b?.values.get('memory/page_faults') ?? 0) > 0);
  });

  it('node figures agree with /proc read directly', () => {
    const node = first.sets.get(`node:${NODE}`);
    assert.ok(node);
    const cpu = node.values.get('cpu/usage') ?? NaN;
    assert.ok(
      cpu >= procBefore.cpu && cpu <= procAfter.cpu,
      `${procBefore.cpu} ≤ ${cpu} ≤ ${procAfter.cpu}`,
    );
    const used = node.values.get('memory/usage') ?? NaN;
    assert.ok(
      Math.abs(used - procBefore.memUsed) < 64 * MIB,
      `memory/usage ${used} vs ${procBefore.memUsed}`,
    );
    const total = readProc().memTotal;
    assert.equal(node.values.get('memory/node_capacity'), total);
    assert.ok((node.values.get('memory/working_set') ?? -1) <= used);
    const cores = parseProcStat(readFileSync('/proc/stat', 'latin1')).cores;
    assert.equal(node.values.get('cpu/node_capacity'), cores * 1000);
    assert.ok(
      node.labeled.some(
        (l) => l.name === 'filesystem/usage' && l.labels.resource_id.startsWith('/'),
      ),
    );
    // uptime close to /proc/uptime
    const uptimeMs = Number.parseFloat(readFileSync('/proc/uptime', 'latin1')) * 1000;
    assert.ok(Math.abs((node.values.get('uptime') ?? 0) - uptimeMs) < 5000);
  });
});
