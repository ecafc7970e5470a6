// Crash test: a child process appends batches to a persistent store and reports each one once
// written; the parent kill -9's it at a random moment, reopens the directory and checks that
// every reported batch survived and at most the one in flight after it is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Batch } from '../src/core/batch.js';
import { flushStore, openTsdbStore } from '../src/store/store-files.js';

const T0 = 1_700_000_000_000;
const STEP = 10_000;

function batch(k: number): Batch {
  const t = T0 + k * STEP;
  const sets = new Map();
  for (let i = 0; i < 50; i++) {
    sets.set(`node:n${i}`, {
      labels: { type: 'node' },
      values: new Map([
        ['cpu/usage', k * 1000 + i],
        ['memory/usage', 1e9 + k * 0.5],
      ]),
      labeled: [],
      scrapeTimeMs: t,
      collectionStartMs: 0,
      createMs: 0,
    });
  }
  return { timestampMs: t, sets };
}

const opts = (dir: string) => ({
  dataDir: dir,
  logger: pino({ level: 'silent' }),
  retentionRawMs: 24 * 3_600_000,
  blockMs: 20 * STEP, // seals (blocks + snapshot) every 20 batches: crashes hit those too
  syncEveryMs: 0,
});

if (process.env.STORE_CRASH_CHILD) {
  const store = openTsdbStore(opts(process.env.STORE_CRASH_CHILD));
  for (let k = Number(process.env.STORE_CRASH_FROM); ; k++) {
    store.append(batch(k));
    await flushStore(store);
    process.stdout.write(`${k}\n`);
  }
} else {
  test('kill -9 at random moments loses at most the batch in flight', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heapster-crash-'));
    try {
      let next = 0;
      for (let round = 0; round < 4; round++) {
        const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
          env: { ...process.env, STORE_CRASH_CHILD: dir, STORE_CRASH_FROM: String(next) },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        // Wait until it has written a random number of batches, then kill it mid-stream.
        const want = next + 15 + Math.floor(Math.random() * 40);
        await new Promise<void>((resolve, reject) => {
          const check = () => {
            const lines = out.trim().split('\n').filter(Boolean);
            if (lines.length > 0 && Number(lines.at(-1)) >= want) {
              child.stdout.off('data', check);
              resolve();
            }
          };
          child.stdout.on('data', check);
          child.on('exit', (code) => reject(new Error(`child exited early: ${code}`)));
        });
        child.kill('SIGKILL');
        await new Promise((r) => child.once('close', r));
        const acked = out.trim().split('\n').filter(Boolean).map(Number);
        const lastAcked = acked.at(-1)!;

        const store = openTsdbStore(opts(dir));
        const pts = store.query({ key: 'node:n7', metric: 'cpu/usage', startMs: 0, endMs: 1e15 });
        const got = pts.map((p) => (p.timestampMs - T0) / STEP);
        // Every batch acknowledged in this and earlier rounds is there, with its exact value.
        for (let k = 0; k <= lastAcked; k++)
          assert.ok(got.includes(k), `round ${round}: batch ${k} lost`);
        for (const p of pts) {
          const k = (p.timestampMs - T0) / STEP;
          assert.equal(p.value, k * 1000 + 7);
        }
        // At most the batch in flight (lastAcked + 1) beyond that.
        assert.ok(got.at(-1)! <= lastAcked + 1, `round ${round}: ${got.at(-1)} > ${lastAcked + 1}`);
        assert.equal(got.length, new Set(got).size, 'no duplicates');
        await store.close();
        next = got.at(-1)! + 1;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
