// Live cgroup v1 truth test: a busy loop and a 100 MiB holder in a cgroup of this machine;
// through the real CLI pipeline and the HTTP API, the system container shows one core and
// at least 100 MiB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { TestCgroup, cgroupV1Writable } from './support/cgroups.js';
import { startHeapster } from './support/heapster-process.js';
import { need, waitFor } from './support/services.js';

const MiB = 2 ** 20;

test('a busy loop in a v1 cgroup is one core and a 100 MiB holder shows ≥ 100 MiB, via the Model API', async (t) => {
  if (
    !need(
      t,
      process.getuid?.() === 0 && cgroupV1Writable(),
      'needs root and writable cgroup v1 cpu/cpuacct/memory hierarchies',
    )
  )
    return;
  const name = `heapster-live-${process.pid}`;
  const cg = new TestCgroup(`/${name}`);
  try {
    cg.startBusyLoop();
    await cg.startMemoryHolder(100 * MiB);
    assert.ok(cg.memoryUsageBytes() >= 100 * MiB, 'the kernel charged the holder to the cgroup');

    const h = await startHeapster(['--metric_resolution=1s']);
    try {
      const node = os.hostname();
      const free = await waitFor('the test cgroup among the free containers', async () => {
        const list = (await h.get(`/api/v1/model/nodes/${node}/freecontainers/`)).body as string[];
        return list.includes(name) ? list : undefined;
      });
      assert.ok(free.includes(name));
      const base = `/api/v1/model/nodes/${node}/freecontainers/${name}/metrics`;
      // Wait for three rate points, then judge the latest two (the first may straddle the start).
      const rates = await waitFor(
        'three cpu/usage_rate points',
        async () => {
          const r = (await h.get(`${base}/cpu/usage_rate`)).body as {
            metrics: { value: number }[];
          };
          return r.metrics.length >= 3 ? r.metrics : undefined;
        },
        { timeoutMs: 20_000 },
      );
      for (const p of rates.slice(-2)) {
        assert.ok(
          Math.abs(p.value - 1000) <= 100,
          `cpu/usage_rate ${p.value} millicores, expected 1000 ± 100`,
        );
      }
      const mem = (await h.get(`${base}/memory/usage`)).body as { metrics: { value: number }[] };
      assert.ok(
        mem.metrics.at(-1)!.value >= 100 * MiB,
        `memory/usage ${mem.metrics.at(-1)!.value}`,
      );
      const ws = (await h.get(`${base}/memory/working_set`)).body as {
        metrics: { value: number }[];
      };
      assert.ok(
        ws.metrics.at(-1)!.value >= 100 * MiB,
        `memory/working_set ${ws.metrics.at(-1)!.value}`,
      );
      const names = (await h.get(`${base}/`)).body as string[];
      for (const m of ['cpu/usage', 'memory/rss', 'memory/cache', 'memory/page_faults', 'uptime']) {
        assert.ok(names.includes(m), `${name} lacks ${m}`);
      }
    } finally {
      assert.equal(await h.stop(), 0);
    }
  } finally {
    await cg.remove();
  }
});
