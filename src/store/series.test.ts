import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAGE_SIZE } from './pages.js';
import { Series, SeriesColumns } from './series.js';
import { TsdbStore } from './tsdb-store.js';

test('series columns: rows on several pages keep their own numbers; a freed row starts empty', () => {
  const cols = new SeriesColumns();
  const n = PAGE_SIZE * 2 + 100;
  const all: Series[] = [];
  for (let i = 0; i < n; i++) {
    const s = new Series(i, `k${i}`, 'm', undefined, cols, cols.alloc());
    assert.equal(s.lastMs, -Infinity);
    assert.ok(Number.isNaN(s.hStart));
    s.lastMs = i;
    s.hStart = i + 0.5;
    s.hMin = -i;
    s.hMax = i * 2;
    s.hSum = i * 3;
    s.hCount = i + 1;
    all.push(s);
  }
  assert.equal(new Set(all.map((s) => s.row)).size, n);
  for (const s of all) {
    const i = s.id;
    assert.deepEqual(
      [s.lastMs, s.hStart, s.hMin, s.hMax, s.hSum, s.hCount],
      [i, i + 0.5, -i, i * 2, i * 3, i + 1],
    );
  }
  // A row of the second page, freed and given to a new series, holds nothing of the old one.
  const old = all[PAGE_SIZE + 7];
  cols.release(old.row);
  const reused = new Series(n, 'new', 'm', undefined, cols, cols.alloc());
  assert.equal(reused.row, old.row);
  assert.equal(reused.lastMs, -Infinity);
  assert.equal(reused.hCount, 0);
  assert.equal(cols.bytes() >= n * 48, true);
});

test('store: series past the first page of columns and raw-tier rows keep their samples and roll-ups across a seal', () => {
  // Blocks of 2 minutes: the third batch seals the first block (each row's hint is kept).
  const store = new TsdbStore({ blockMs: 120_000 });
  const sets = PAGE_SIZE + 500; // one value each: series on two pages
  const batch = (t: number, v: (i: number) => number) => {
    const m = new Map();
    for (let i = 0; i < sets; i++) {
      const values = new Map([['cpu/usage', v(i)]]);
      m.set(`node:n${i}`, {
        labels: { type: 'node', nodename: `n${i}` },
        values,
        labeled: [],
        scrapeTimeMs: t,
        collectionStartMs: 0,
        createMs: 0,
      });
    }
    return { timestampMs: t, sets: m };
  };
  const t0 = Date.UTC(2026, 11, 8, 10, 0, 0);
  store.append(batch(t0, (i) => i));
  store.append(batch(t0 + 60_000, (i) => i * 10));
  for (const i of [0, PAGE_SIZE - 1, PAGE_SIZE, sets - 1]) {
    const pts = store.query({
      key: `node:n${i}`,
      metric: 'cpu/usage',
      startMs: t0,
      endMs: t0 + 60_000,
    });
    assert.deepEqual(
      pts.map((p) => p.value),
      [i, i * 10],
      `series ${i}`,
    );
  }
  const last = [...store.series()].find((s) => s.key === `node:n${sets - 1}`)!;
  assert.equal(last.lastMs, t0 + 60_000);
  assert.equal(last.hCount, 2);
  assert.equal(last.hSum, (sets - 1) * 11);
  // A third batch in the next block: the first is sealed, and every series reads all three.
  store.append(batch(t0 + 180_000, (i) => i * 100));
  for (const i of [1, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1, sets - 1]) {
    const pts = store.query({
      key: `node:n${i}`,
      metric: 'cpu/usage',
      startMs: t0,
      endMs: t0 + 180_000,
    });
    assert.deepEqual(
      pts.map((p) => [p.timestampMs, p.value]),
      [
        [t0, i],
        [t0 + 60_000, i * 10],
        [t0 + 180_000, i * 100],
      ],
      `series ${i}`,
    );
  }
});
