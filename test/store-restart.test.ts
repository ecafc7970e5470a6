// The daemon with a data dir: history written before a start is read back and served, the API
// answers while it is read, a clean stop (SIGTERM) leaves what it collected in the files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Batch, MetricSet } from '../src/core/batch.js';
import { openTsdbStore } from '../src/store/store-files.js';
import { startHeapster } from './support/heapster-process.js';
import { waitFor } from './support/services.js';

const MINUTE = 60_000;

/** One minute of an old node's history, plus `extra` other nodes to give the WAL some size. */
function oldBatch(t: number, k: number, extra: number): Batch {
  const sets = new Map<string, MetricSet>();
  const add = (name: string, value: number) =>
    sets.set(`node:${name}`, {
      labels: { type: 'node', nodename: name, hostname: name },
      values: new Map([['memory/usage', value]]),
      labeled: [],
      scrapeTimeMs: t,
      collectionStartMs: 0,
      createMs: 0,
    });
  add('old-node', 1_000_000 + k);
  for (let i = 0; i < extra; i++) add(`filler-${i}`, i);
  return { timestampMs: t, sets };
}

test('restart with a data dir: stored history is served again; a SIGTERM keeps what was collected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-restart-'));
  try {
    // 1. History from "before": 10 minutes of old-node, written as the daemon writes it.
    const now = Date.now();
    const first = now - 11 * MINUTE - (now % MINUTE);
    const before = openTsdbStore({ dataDir: dir, logger: pino({ level: 'silent' }) });
    for (let k = 0; k < 10; k++) before.append(oldBatch(first + k * MINUTE, k, 20_000));
    await before.close();

    // 2. The daemon reads it back and serves it, then collects this machine.
    const h = await startHeapster([`--data_dir=${dir}`, '--metric_resolution=1s']);
    let collected: { timestamp: string; value: number }[];
    try {
      const start = new Date(first - 1000).toISOString();
      const r = await h.get(`/api/v1/model/nodes/old-node/metrics/memory/usage?start=${start}`);
      assert.equal(r.status, 200, r.text);
      const pts = (r.body as { metrics: { timestamp: string; value: number }[] }).metrics;
      assert.deepEqual(
        pts.map((p) => [Date.parse(p.timestamp), p.value]),
        Array.from({ length: 10 }, (_, k) => [first + k * MINUTE, 1_000_000 + k]),
      );
      assert.match(h.stderr(), /reading the stored history from .* before collecting/);
      assert.match(h.stderr(), /stored history read in [\d.]+ s; collecting/);
      const node = os.hostname();
      collected = await waitFor('two ticks of this machine', async () => {
        const m = await h.get(`/api/v1/model/nodes/${node}/metrics/memory/usage?start=${start}`);
        const list = (m.body as { metrics?: { timestamp: string; value: number }[] }).metrics;
        return list !== undefined && list.length >= 2 ? list : undefined;
      });
    } finally {
      assert.equal(await h.stop(), 0);
    }
    assert.match(h.stderr(), /"msg":"stopped"/);

    // 3. What it served before the stop is in the files.
    const after = openTsdbStore({ dataDir: dir, logger: pino({ level: 'silent' }) });
    const stored = after.query({
      key: `node:${os.hostname()}`,
      metric: 'memory/usage',
      startMs: 0,
      endMs: Date.now(),
    });
    for (const p of collected) {
      assert.ok(
        stored.some((s) => s.timestampMs === Date.parse(p.timestamp) && s.value === p.value),
        `point ${p.timestamp} ${p.value} not in the files`,
      );
    }
    await after.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
