// Real Docker engine, the local source (cgroups for numbers, Engine API for identity), through
// the real CLI and its HTTP API: one core for a busy loop, 100 MiB held in a tmpfs matching
// `docker stats`, Docker names/images/labels, Kubernetes-labelled containers as pod
// containers, a stopped container gone, a restarted one with no negative rate, and the
// writable layer's size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { startDockerd } from './support/docker.js';
import { startHeapster } from './support/heapster-process.js';
import type { HeapsterProcess } from './support/heapster-process.js';
import { waitFor } from './support/services.js';
import {
  MiB,
  checkBusyLoopAndMemory,
  kubernetesLabels,
  modelSeries,
} from './support/docker-truth.js';

interface ExportEntry {
  labels?: Record<string, string>;
  metrics: Record<string, { value: number; labels?: Record<string, string> }[]>;
}

async function exported(h: HeapsterProcess): Promise<ExportEntry[]> {
  return (await h.get('/api/v1/metric-export')).body as ExportEntry[];
}

test('Docker containers via the local source: CPU, memory vs docker stats, identity, stop, restart, writable layer', async (t) => {
  const d = await startDockerd(t);
  if (d === undefined) return;
  const image = await d.importBusybox();
  const run = (name: string, args: string[], cmd: string[]): Promise<string> =>
    d.docker(['run', '-d', '--network', 'none', '--name', name, ...args, image, ...cmd]);
  const hold = (path: string, mib: number): string[] => [
    'sh',
    '-c',
    `dd if=/dev/zero of=${path} bs=1M count=${mib} 2>/dev/null && exec sleep 1d`,
  ];
  await run('busy', [], ['sh', '-c', 'while :; do :; done']);
  await run('mem', ['--tmpfs', '/t:size=200m'], hold('/t/f', 100));
  await run('writer', ['--label', 'team=web', '--label', 'tier=1'], hold('/data', 10));
  await run('victim', [], ['sleep', '1d']);
  const k8s = kubernetesLabels;
  await run('k8s_POD_web-0', k8s('POD'), ['sleep', '1d']);
  await run('k8s_app_web-0', k8s('app'), ['sleep', '1d']);

  const h = await startHeapster([
    '--metric_resolution=1s',
    `--source=local?docker=${d.host}&fsUsageInterval=1s`,
  ]);
  t.after(() => h.stop());
  const node = os.hostname();
  const free = `/api/v1/model/nodes/${node}/freecontainers`;

  await waitFor('Docker names among the free containers', async () => {
    const list = (await h.get(`${free}/`)).body as string[];
    return ['busy', 'mem', 'writer', 'victim'].every((n) => list.includes(n)) ? list : undefined;
  });

  await checkBusyLoopAndMemory(t, h, d, free, 20_000);

  await t.test(
    'names, images and labels are Docker’s; Kubernetes labels make a pod container',
    async () => {
      const entries = await waitFor('writer with its layer size in the export', async () => {
        const all = await exported(h);
        const w = all.find((e) => e.labels?.container_name === 'writer');
        return w?.metrics['filesystem/usage'] ? all : undefined;
      });
      const byName = (n: string): ExportEntry | undefined =>
        entries.find((e) => e.labels?.container_name === n && e.labels.pod_name === undefined);
      for (const n of ['busy', 'mem', 'writer', 'victim']) {
        assert.equal(byName(n)?.labels?.container_base_image, image, `${n} image`);
      }
      assert.equal(byName('writer')?.labels?.labels, 'team:web,tier:1');
      const app = entries.find(
        (e) => e.labels?.pod_name === 'web-0' && e.labels.container_name === 'app',
      );
      assert.ok(app, 'a pod_container for web-0');
      const containers = (await h.get('/api/v1/model/namespaces/shop/pods/web-0/containers/'))
        .body as string[];
      assert.deepEqual(containers, ['app'], 'pod web-0 in namespace shop has container app');
      assert.equal(app.labels?.pod_id, '0b1c2d3e-0000-4000-8000-000000000001');
      assert.equal(app.labels?.container_base_image, image);
      assert.ok(
        !entries.some((e) => e.labels?.container_name?.startsWith('k8s_')),
        'no Kubernetes container left as a system container',
      );
      const fs = byName('writer')!.metrics['filesystem/usage'];
      const root = fs.find((v) => v.labels?.resource_id === '/');
      assert.ok(root, 'filesystem/usage{resource_id="/"}');
      assert.ok(
        root.value >= 10 * MiB && root.value < 20 * MiB,
        `writable layer ${root.value} bytes after writing 10 MiB`,
      );
    },
  );

  await t.test('a stopped container disappears from the latest batch', async () => {
    const has = async (): Promise<boolean> =>
      (await exported(h)).some((e) => e.labels?.container_name === 'victim');
    assert.ok(await has(), 'victim is there while running');
    await d.docker(['stop', '-t', '0', 'victim']);
    await waitFor(
      'victim gone from the latest batch',
      async () => ((await has()) ? undefined : true),
      {
        timeoutMs: 10_000,
      },
    );
  });

  await t.test('a restarted container gets no negative rate', async () => {
    const before = await modelSeries(h, `${free}/busy/metrics/cpu/usage_rate`);
    const restartedAt = Date.now();
    await d.docker(['restart', '-t', '0', 'busy']);
    const after = await waitFor(
      'three rate points after the restart',
      async () => {
        const s = await modelSeries(h, `${free}/busy/metrics/cpu/usage_rate`);
        const later = s.filter((p) => Date.parse(p.timestamp) > restartedAt + 1000);
        return later.length >= 3 ? s : undefined;
      },
      { timeoutMs: 20_000 },
    );
    assert.ok(after.length > before.length);
    for (const p of after) assert.ok(p.value >= 0, `negative rate ${p.value} at ${p.timestamp}`);
    const last = after.at(-1)!.value;
    assert.ok(Math.abs(last - 1000) <= 100, `after restart: ${last} m, want 1000 ± 100`);
  });

  await t.test('heapster exits cleanly on SIGTERM while watching Docker events', async () => {
    assert.equal(await h.stop(), 0);
  });
});
