// End to end: the CLI as a child process at 1 s resolution monitoring this machine; node
// metrics over the Model API checked against /proc read at the same time; SIGTERM stops it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { startHeapster } from './support/heapster-process.js';
import { waitFor } from './support/services.js';

interface MetricResult {
  metrics: { timestamp: string; value: number; floatValue?: number }[];
  latestTimestamp: string;
}

function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync('/proc/meminfo', 'utf8').split('\n')) {
    const m = /^([^:]+):\s+(\d+)(?: kB)?/.exec(line);
    if (m) out[m[1]] = Number(m[2]) * (line.includes('kB') ? 1024 : 1);
  }
  return out;
}

test('heapster monitors this machine: node metrics over the Model API match /proc', async () => {
  const h = await startHeapster(['--metric_resolution=1s']);
  try {
    const node = os.hostname();
    const nodes = (await h.get('/api/v1/model/nodes/')).body;
    assert.deepEqual(nodes, [node]);

    // Rates need two ticks.
    const names = await waitFor('cpu/usage_rate of the node', async () => {
      const r = await h.get(`/api/v1/model/nodes/${node}/metrics/`);
      const list = r.body as string[];
      return list.includes('cpu/usage_rate') ? list : undefined;
    });
    for (const m of [
      'uptime',
      'cpu/usage',
      'cpu/usage_rate',
      'memory/usage',
      'memory/working_set',
      'memory/page_faults',
      'memory/page_faults_rate',
      'network/rx',
      'network/rx_errors',
      'network/tx',
      'network/tx_errors',
      'network/rx_rate',
      'filesystem/usage',
      'cpu/node_capacity',
      'memory/node_capacity',
      'cpu/node_utilization',
    ]) {
      assert.ok(names.includes(m), `node lacks ${m}; has ${names.join(', ')}`);
    }

    const get = async (metric: string, query = '') => {
      const r = await h.get(`/api/v1/model/nodes/${node}/metrics/${metric}${query}`);
      assert.equal(r.status, 200, r.text);
      const res = r.body as MetricResult;
      assert.ok(res.metrics.length > 0, `no points for ${metric}`);
      return res;
    };

    const cores = os.cpus().length;
    const cpu = await get('cpu/usage_rate');
    const cpuNow = cpu.metrics.at(-1)!.value;
    assert.ok(
      cpuNow >= 0 && cpuNow <= cores * 1000 * 1.05,
      `cpu/usage_rate ${cpuNow} m on ${cores} cores`,
    );

    const mi = meminfo();
    const mem = (await get('memory/usage')).metrics.at(-1)!.value;
    const expected = mi.MemTotal - mi.MemFree;
    assert.ok(
      Math.abs(mem - expected) < 0.1 * mi.MemTotal,
      `memory/usage ${mem} vs MemTotal-MemFree ${expected}`,
    );
    const ws = (await get('memory/working_set')).metrics.at(-1)!.value;
    assert.ok(ws > 0 && ws <= mem, `working set ${ws} within usage ${mem}`);

    const capacity = (await get('memory/node_capacity')).metrics.at(-1)!.value;
    assert.equal(capacity, mi.MemTotal);
    assert.equal((await get('cpu/node_capacity')).metrics.at(-1)!.value, cores * 1000);

    const uptimeMs = (await get('uptime')).metrics.at(-1)!.value;
    const procUptimeMs = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
    assert.ok(
      Math.abs(uptimeMs - procUptimeMs) < 5_000,
      `uptime ${uptimeMs} vs /proc/uptime ${procUptimeMs}`,
    );

    // Points come once a second, aligned to whole seconds.
    const series = await waitFor('3 points of memory/usage', async () => {
      const r = (await get('memory/usage')).metrics;
      return r.length >= 3 ? r : undefined;
    });
    for (const p of series) assert.match(p.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const t = series.map((p) => Date.parse(p.timestamp));
    for (let i = 1; i < t.length; i++) assert.ok(t[i] > t[i - 1] && (t[i] - t[i - 1]) % 1000 === 0);

    // Filesystem: one labeled value per device; the root device is there.
    const rootDev = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .find((f) => f[4] === '/')!;
    const dev = rootDev[rootDev.indexOf('-') + 2];
    const fs = await get('filesystem/usage', `?labels=resource_id:${encodeURIComponent(dev)}`);
    const st = (await import('node:fs')).statfsSync('/');
    const used = (st.blocks - st.bfree) * st.bsize;
    assert.ok(
      Math.abs(fs.metrics.at(-1)!.value - used) < 0.05 * st.blocks * st.bsize,
      `fs usage of ${dev}`,
    );

    // A bad parameter is a 400 that names it.
    const bad = await h.get(`/api/v1/model/nodes/${node}/metrics/memory/usage?start=yesterday`);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /start/);

    // Self-metrics and health.
    const self = await h.get('/metrics');
    assert.match(self.text, /heapster_tick_duration_milliseconds_count \d+/);
    assert.match(self.text, /heapster_points_per_tick \d+/);
    assert.equal((await h.get('/healthz')).text, 'ok');
  } finally {
    const code = await h.stop();
    assert.equal(code, 0, `exit code after SIGTERM; stderr:\n${h.stderr().slice(-2000)}`);
  }
});

test('heapster exits 2 with a message naming an unknown flag, source or option', async () => {
  const { spawnSync } = await import('node:child_process');
  const bin = new URL('../bin/heapster.js', import.meta.url).pathname;
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  let r = run('--no-such-flag');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--no-such-flag/);
  r = run('--source=nosuch:http://x');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /nosuch/);
  r = run('--source=local?bogus=1');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bogus/);
  r = run('--sink=nosuchsink');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /nosuchsink/);
  r = run('--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /--metric-resolution/);
  r = run('--version');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /heapster version \d+\.\d+\.\d+/);
});
