// The store on a disk that fills up: a real tmpfs of 1 MiB (mounted by the test; CI runs as
// root). Writes fail with ENOSPC: logged once, counted, the store keeps serving from memory;
// when space comes back the queued records are written, and a restart finds every batch once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { Batch, MetricSet } from '../src/core/batch.js';
import { flushStore, openTsdbStore, storeFileStats } from '../src/store/store-files.js';
import { waitFor } from './support/services.js';

const T0 = 1_700_000_000_000;
const STEP = 15_000;
const NODES = 300;

function batch(k: number): Batch {
  const sets = new Map<string, MetricSet>();
  for (let i = 0; i < NODES; i++) {
    sets.set(`node:n${i}`, {
      labels: { type: 'node' },
      // Values that do not compress to nothing: the WAL grows by ~7 KB a batch.
      values: new Map([
        ['cpu/usage', k * 1e9 + i * 7919],
        ['memory/usage', 1e9 + ((k * 7 + i) % 1000) * 4096],
        ['network/rx', k * 1e6 + i],
      ]),
      labeled: [],
      scrapeTimeMs: T0 + k * STEP,
      collectionStartMs: 0,
      createMs: 0,
    });
  }
  return { timestampMs: T0 + k * STEP, sets };
}

test('a full disk: ENOSPC is logged once and counted, nothing served is lost, writes resume when space is back, a restart finds every batch once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
  try {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
    const registry = new Registry();
    const store = openTsdbStore({ dataDir: dir, logger, syncEveryMs: 0, retryMs: 100, registry });
    const opts = { dataDir: dir, logger, syncEveryMs: 0, retryMs: 100 };
    const stats = storeFileStats(store)!;
    let k = 0;
    // Until the disk is full, and 40 batches more.
    while (stats.writeErrors === 0) {
      store.append(batch(k++));
      await flushStore(store);
      assert.ok(k < 2000, 'the disk never filled');
    }
    for (let n = 0; n < 40; n++) store.append(batch(k++));
    // Operators see it in /metrics too.
    const metrics = await registry.metrics();
    assert.match(metrics, /^heapster_store_disk_write_errors [1-9]\d*$/m);
    assert.match(metrics, /^heapster_store_wal_queued_bytes [1-9]\d*$/m);
    const errors = lines.filter((l) => l.includes('cannot write to'));
    assert.equal(errors.length, 1, 'logged once');
    assert.match(errors[0], /ENOSPC/);
    assert.ok(errors[0].includes(dir), 'names the directory');
    // Memory has every batch.
    const q = { key: 'node:n299', metric: 'cpu/usage', startMs: 0, endMs: T0 + k * STEP };
    assert.equal(store.query(q).length, k);

    // A little space comes back: part of the queue fits (a write that stops midway), then
    // the disk is full again.
    const failed = stats.writeErrors;
    execFileSync('mount', ['-o', 'remount,size=1160k', dir]);
    await waitFor('a retry that fails again', async () =>
      stats.writeErrors > failed ? true : undefined,
    );
    // Space comes back: the queue drains.
    execFileSync('mount', ['-o', 'remount,size=64m', dir]);
    await waitFor('writes recovered', async () =>
      lines.some((l) => l.includes('disk writes recovered')) ? true : undefined,
    );
    await flushStore(store);
    assert.equal(stats.droppedWalBytes, 0);
    await store.close();

    const reopened: string[] = [];
    const again = openTsdbStore({
      ...opts,
      logger: pino({ level: 'info' }, { write: (x: string) => reopened.push(x) }),
    });
    // Each batch is in the WAL once: a write that stopped midway is not written again whole
    // (replayed twice, a batch would count twice in the roll-ups).
    assert.match(reopened.join(''), new RegExp(`"walBatches":${k},`));
    const pts = again.query(q);
    assert.deepEqual(
      pts.map((p) => (p.timestampMs - T0) / STEP),
      Array.from({ length: k }, (_, i) => i),
      'every batch once, in order',
    );
    for (const p of pts) assert.equal(p.value, ((p.timestampMs - T0) / STEP) * 1e9 + 299 * 7919);
    await again.close();
  } finally {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});
