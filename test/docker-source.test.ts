// Real Docker engine read by the `docker` source (Engine API stats, once per tick) through the
// real CLI and its HTTP API: one core for a busy loop, 100 MiB in a tmpfs matching `docker
// stats`, Docker names and images, a stopped container gone, a restart with no negative rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDockerd } from './support/docker.js';
import { startHeapster } from './support/heapster-process.js';
import { waitFor } from './support/services.js';
import { checkBusyLoopAndMemory, modelSeries } from './support/docker-truth.js';

const NODE = 'docker-host-1';

interface ExportEntry {
  labels?: Record<string, string>;
  metrics: Record<string, { value: number }[]>;
}

test('the docker source: CPU, memory vs docker stats, names, stop, restart', async (t) => {
  const d = await startDockerd(t);
  if (d === undefined) return;
  const image = await d.importBusybox();
  const run = (name: string, args: string[], cmd: string[]): Promise<string> =>
    d.docker(['run', '-d', '--network', 'none', '--name', name, ...args, image, ...cmd]);
  await run('busy', [], ['sh', '-c', 'while :; do :; done']);
  await run(
    'mem',
    ['--tmpfs', '/t:size=200m'],
    ['sh', '-c', 'dd if=/dev/zero of=/t/f bs=1M count=100 2>/dev/null && exec sleep 1d'],
  );
  await run('victim', [], ['sleep', '1d']);

  const h = await startHeapster([
    '--metric_resolution=2s',
    `--source=docker:${d.host}?nodeName=${NODE}`,
  ]);
  t.after(() => h.stop());
  const free = `/api/v1/model/nodes/${NODE}/freecontainers`;
  await waitFor(
    'Docker names among the free containers',
    async () => {
      const list = (await h.get(`${free}/`)).body as string[];
      return ['busy', 'mem', 'victim'].every((n) => list.includes(n)) ? list : undefined;
    },
    { timeoutMs: 20_000 },
  );

  await checkBusyLoopAndMemory(t, h, d, free, 30_000);

  await t.test('names and images are Docker’s; uptime from State.StartedAt', async () => {
    const entries = (await h.get('/api/v1/metric-export')).body as ExportEntry[];
    for (const n of ['busy', 'mem', 'victim']) {
      const e = entries.find((x) => x.labels?.container_name === n);
      assert.equal(e?.labels?.container_base_image, image, `${n} image`);
      assert.equal(e?.labels?.nodename, NODE);
    }
    const inspect = JSON.parse(await d.docker(['inspect', 'mem'])) as {
      State: { StartedAt: string };
    }[];
    const started = Date.parse(inspect[0].State.StartedAt);
    const uptime = (await modelSeries(h, `${free}/mem/metrics/uptime`)).at(-1)!;
    const expected = Date.parse(uptime.timestamp) - started;
    // the sample is read up to a second after the window end the point is stamped with
    assert.ok(
      uptime.value >= expected - 500 && uptime.value <= expected + 3000,
      `uptime ${uptime.value} ms, expected about ${expected}`,
    );
  });

  await t.test('a stopped container disappears from the latest batch', async () => {
    const has = async (): Promise<boolean> =>
      ((await h.get('/api/v1/metric-export')).body as ExportEntry[]).some(
        (e) => e.labels?.container_name === 'victim',
      );
    assert.ok(await has(), 'victim is there while running');
    await d.docker(['stop', '-t', '0', 'victim']);
    await waitFor('victim gone', async () => ((await has()) ? undefined : true), {
      timeoutMs: 15_000,
    });
  });

  await t.test('a restarted container gets no negative rate', async () => {
    const restartedAt = Date.now();
    await d.docker(['restart', '-t', '0', 'busy']);
    const after = await waitFor(
      'two rate points after the restart',
      async () => {
        const s = await modelSeries(h, `${free}/busy/metrics/cpu/usage_rate`);
        return s.filter((p) => Date.parse(p.timestamp) > restartedAt + 2000).length >= 2
          ? s
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
    for (const p of after) assert.ok(p.value >= 0, `negative rate ${p.value} at ${p.timestamp}`);
    const last = after.at(-1)!.value;
    assert.ok(Math.abs(last - 1000) <= 100, `after restart: ${last} m, want 1000 ± 100`);
  });

  await t.test('heapster exits cleanly on SIGTERM while watching Docker events', async () => {
    assert.equal(await h.stop(), 0);
  });
});
