// Checks shared by the tests that watch real Docker containers through heapster's Model API.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Dockerd } from './docker.js';
import { dockerStatsOf } from './docker-stats.js';
import type { HeapsterProcess } from './heapster-process.js';
import { waitFor } from './services.js';

export const MiB = 2 ** 20;

export interface Point {
  timestamp: string;
  value: number;
}

/** The points of a Model API metric path (asserting a 200). */
export async function modelSeries(h: HeapsterProcess, path: string): Promise<Point[]> {
  const r = await h.get(path);
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return (r.body as { metrics: Point[] }).metrics;
}

/** `docker run` arguments giving a container the labels a kubelet sets (pod web-0 in shop). */
export function kubernetesLabels(container: string): string[] {
  return [
    '--label',
    'io.kubernetes.pod.name=web-0',
    '--label',
    'io.kubernetes.pod.namespace=shop',
    '--label',
    'io.kubernetes.pod.uid=0b1c2d3e-0000-4000-8000-000000000001',
    '--label',
    `io.kubernetes.container.name=${container}`,
  ];
}

/**
 * Subtests for containers `busy` (a busy loop) and `mem` (100 MiB in a tmpfs) under the free
 * containers path `free`: the loop is 1000 ± 100 millicores; memory/usage ≥ 100 MiB and the
 * working set equals `docker stats` within 2 %.
 */
export async function checkBusyLoopAndMemory(
  t: TestContext,
  h: HeapsterProcess,
  d: Dockerd,
  free: string,
  rateTimeoutMs: number,
): Promise<void> {
  await t.test('a busy loop is 1000 ± 100 millicores', async () => {
    const rates = await waitFor(
      'three cpu/usage_rate points',
      async () => {
        const s = await modelSeries(h, `${free}/busy/metrics/cpu/usage_rate`);
        return s.length >= 3 ? s : undefined;
      },
      { timeoutMs: rateTimeoutMs },
    );
    for (const p of rates.slice(-2)) {
      assert.ok(Math.abs(p.value - 1000) <= 100, `cpu/usage_rate ${p.value} m, want 1000 ± 100`);
    }
  });

  await t.test(
    '100 MiB in a tmpfs: memory/usage ≥ 100 MiB, working set = docker stats within 2%',
    async () => {
      const usage = (await modelSeries(h, `${free}/mem/metrics/memory/usage`)).at(-1)!.value;
      assert.ok(usage >= 100 * MiB, `memory/usage ${usage}`);
      const docker = await dockerStatsOf(d, 'mem');
      const ws = (await modelSeries(h, `${free}/mem/metrics/memory/working_set`)).at(-1)!.value;
      // docker stats' MEM USAGE is usage − total_inactive_file: our memory/working_set.
      const diff = Math.abs(ws - docker.memUsageBytes) / docker.memUsageBytes;
      assert.ok(
        diff <= 0.02,
        `working_set ${ws} vs docker stats ${docker.memUsageBytes} (${(diff * 100).toFixed(2)}%)`,
      );
    },
  );
}
