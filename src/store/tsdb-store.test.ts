import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Batch, MetricSet } from '../core/batch.js';
import { MemoryStore } from './memory-store.js';
import { HOUR_MS, MINUTE_MS, TsdbStore } from './tsdb-store.js';

interface Op {
  t: number;
  sets: { key: number; metric: number; labeled: boolean; value: number }[];
}

function toBatch(op: Op): Batch {
  const sets = new Map<string, MetricSet>();
  for (const x of op.sets) {
    const key = `node:n${x.key}`;
    let set = sets.get(key);
    if (set === undefined) {
      set = {
        labels: { type: 'node' },
        values: new Map(),
        labeled: [],
        scrapeTimeMs: op.t,
        collectionStartMs: 0,
        createMs: 0,
      };
      sets.set(key, set);
    }
    if (x.labeled) {
      set.labeled.push({
        name: 'filesystem/usage',
        labels: { resource_id: `/dev/sd${x.metric}` },
        value: x.value,
      });
    } else {
      set.values.set(`m${x.metric}`, x.value);
    }
  }
  return { timestampMs: op.t, sets };
}

const value = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ noNaN: false }),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 53, 1e300),
);

const ops = fc.array(
  fc.record({
    t: fc.integer({ min: 0, max: 40 }).map((k) => 1_700_000_000_000 + k * 15_000),
    sets: fc.array(
      fc.record({
        key: fc.integer({ min: 0, max: 3 }),
        metric: fc.integer({ min: 0, max: 3 }),
        labeled: fc.boolean(),
        value,
      }),
      { maxLength: 8 },
    ),
  }),
  { minLength: 1, maxLength: 60 },
);

function compare(ref: MemoryStore, got: TsdbStore, probes: [number, number][]): void {
  assert.deepEqual(got.keys(), ref.keys());
  assert.equal(got.latest(), ref.latest());
  for (let k = 0; k < 4; k++) {
    const key = `node:n${k}`;
    assert.deepEqual(got.metricNames(key), ref.metricNames(key), key);
    for (let m = 0; m < 4; m++) {
      for (const [startMs, endMs] of probes) {
        const q = { key, metric: `m${m}`, startMs, endMs };
        assert.deepEqual(got.query(q), ref.query(q), JSON.stringify(q));
        const ql = { ...q, metric: 'filesystem/usage', labels: { resource_id: `/dev/sd${m}` } };
        assert.deepEqual(got.query(ql), ref.query(ql), JSON.stringify(ql));
      }
    }
  }
}

test('raw queries equal the reference MemoryStore on random batches (any order, rewrites)', () => {
  fc.assert(
    fc.property(ops, fc.constantFrom(60_000, 200_000, 10 * 60_000), (list, retentionMs) => {
      const ref = new MemoryStore({ retentionMs });
      const got = new TsdbStore({ retentionRawMs: retentionMs, retentionMs, blockMs: 45_000 });
      const base = 1_700_000_000_000;
      const probes: [number, number][] = [
        [0, Number.MAX_SAFE_INTEGER],
        [base + 100_000, base + 300_000],
        [base + 150_000, base + 150_000],
        [base + 500_000, base + 400_000],
      ];
      for (const op of list) {
        const b = toBatch(op);
        ref.append(b);
        got.append(b);
      }
      compare(ref, got, probes);
    }),
    { numRuns: 300 },
  );
});

test('retention boundary: a point exactly at newest - retention stays, one ms older goes', () => {
  const s = new TsdbStore({ retentionRawMs: 60_000, retentionMs: 60_000, blockMs: 10_000 });
  const ref = new MemoryStore({ retentionMs: 60_000 });
  for (const t of [0, 1, 30_000, 60_000, 60_001]) {
    const b = toBatch({ t, sets: [{ key: 0, metric: 0, labeled: false, value: t }] });
    s.append(b);
    ref.append(b);
  }
  const q = { key: 'node:n0', metric: 'm0', startMs: 0, endMs: 1e9 };
  assert.deepEqual(
    s.query(q).map((p) => p.timestampMs),
    [1, 30_000, 60_000, 60_001],
  );
  assert.deepEqual(s.query(q), ref.query(q));
});

function constantSeries(store: TsdbStore, fromMs: number, toMs: number, stepMs: number): void {
  for (let t = fromMs; t <= toMs; t += stepMs) {
    // Value cycles 0..9 within each minute-ish: the minute/hour roll-ups get spread.
    const v = (t / stepMs) % 10;
    store.append(toBatch({ t, sets: [{ key: 0, metric: 0, labeled: false, value: v }] }));
  }
}

test('aggregated queries over raw data are exact (InfluxDB median and nearest-rank percentiles)', () => {
  const s = new TsdbStore({ retentionRawMs: HOUR_MS, retentionMs: HOUR_MS });
  for (let i = 0; i < 10; i++) {
    s.append(toBatch({ t: i * 1000, sets: [{ key: 0, metric: 0, labeled: false, value: i + 1 }] }));
  }
  const [b] = s.queryAggregated({
    key: 'node:n0',
    metric: 'm0',
    startMs: 0,
    endMs: 60_000,
    stepMs: 60_000,
  });
  assert.deepEqual(b, {
    startMs: 0,
    count: 10,
    average: 5.5,
    min: 1,
    max: 10,
    median: 5.5,
    p50: 5,
    p95: 10,
    p99: 10,
    exact: true,
  });
  const two = s.queryAggregated({
    key: 'node:n0',
    metric: 'm0',
    startMs: 2000,
    endMs: 5000,
    stepMs: 2000,
  });
  assert.deepEqual(
    two.map((x) => [x.startMs, x.count, x.min, x.max]),
    [
      [2000, 2, 3, 4],
      [4000, 2, 5, 6],
    ],
  );
});

test('roll-ups answer beyond raw retention: exact count/min/max/average, bounded percentiles', () => {
  const step = 10_000;
  const s = new TsdbStore({ retentionRawMs: HOUR_MS, retentionMs: 30 * 24 * HOUR_MS });
  const end = 6 * HOUR_MS;
  constantSeries(s, 0, end, step);
  const raw = s.query({ key: 'node:n0', metric: 'm0', startMs: 0, endMs: end });
  assert.equal(raw[0].timestampMs, end - HOUR_MS, 'raw keeps one hour');
  // Whole range by the hour: per-minute roll-ups (7 days of them are kept).
  const buckets = s.queryAggregated({
    key: 'node:n0',
    metric: 'm0',
    startMs: 0,
    endMs: end,
    stepMs: HOUR_MS,
  });
  assert.equal(buckets.length, 7);
  for (const b of buckets.slice(0, 6)) {
    assert.equal(b.exact, false);
    assert.equal(b.count, 360);
    assert.equal(b.min, 0);
    assert.equal(b.max, 9);
    assert.equal(b.average, 4.5);
    // The bound: between the quantile of minute minima (0) and maxima (9).
    assert.ok(b.p95 >= 0 && b.p95 <= 9);
  }
  assert.equal(buckets[6].count, 1, 'the last point, still in an open minute');
  // Minute step straddling the raw boundary uses the minute tier: 6 per minute.
  const mins = s.queryAggregated({
    key: 'node:n0',
    metric: 'm0',
    startMs: 0,
    endMs: 10 * MINUTE_MS - 1,
    stepMs: MINUTE_MS,
  });
  assert.deepEqual(
    mins.map((b) => b.count),
    [6, 6, 6, 6, 6, 6, 6, 6, 6, 6],
  );
});

test('hour roll-ups after the minute tier expires; series outlive raw retention', () => {
  const s = new TsdbStore({ retentionRawMs: HOUR_MS, retentionMs: 20 * 24 * HOUR_MS });
  const end = 9 * 24 * HOUR_MS;
  for (let t = 0; t <= end; t += 10 * MINUTE_MS) {
    s.append(toBatch({ t, sets: [{ key: 1, metric: 2, labeled: false, value: 7 }] }));
  }
  const q = { key: 'node:n1', metric: 'm2', startMs: 0, endMs: end, stepMs: 24 * HOUR_MS };
  const days = s.queryAggregated(q);
  assert.equal(days.length, 10);
  assert.deepEqual(
    days.slice(0, 9).map((d) => d.count),
    Array(9).fill(144),
  );
  assert.ok(days.every((d) => d.median === 7 && d.p99 === 7 && d.average === 7));
  // A point older than 7 days is only in the hour tier.
  assert.ok(s.minute.blocks.every((b) => b.maxT >= end - 7 * 24 * HOUR_MS));
  assert.deepEqual(s.metricNames('node:n1'), ['m2']);
});

test('minute roll-ups (expired raw blocks + raw still held) equal a naive reference', () => {
  let rolledUp = 0;
  const step = fc.constantFrom(7_000, 20_000, 60_000, 95_000);
  fc.assert(
    fc.property(
      step,
      fc.array(fc.tuple(fc.integer({ min: -3, max: 1 }), fc.integer({ min: -50, max: 50 })), {
        minLength: 80,
        maxLength: 300,
      }),
      (stepMs, moves) => {
        const retentionRawMs = 5 * MINUTE_MS;
        const s = new TsdbStore({
          retentionRawMs,
          retentionMs: 2 * 24 * HOUR_MS,
          blockMs: 2 * MINUTE_MS,
        });
        // Every accepted append (time, value), late points included.
        const accepted: [number, number][] = [];
        let newest = -Infinity;
        let t = 1_700_000_000_000;
        moves.forEach(([back, v], i) => {
          // Mostly forward, sometimes late (out of order, at a time of its own: a rewrite of
          // a stored time counts once in raw buckets but twice in roll-ups, by contract).
          const at = back < 0 ? t + back * stepMs + 1 + i : (t += stepMs);
          const value = v + (i % 3 === 0 ? 0.5 : 0);
          if (at >= newest - retentionRawMs) {
            accepted.push([at, value]);
            newest = Math.max(newest, at);
          }
          s.append(toBatch({ t: at, sets: [{ key: 0, metric: 0, labeled: false, value }] }));
        });
        const startMs = 1_700_000_000_000 - (1_700_000_000_000 % MINUTE_MS) - HOUR_MS;
        const got = s.queryAggregated({
          key: 'node:n0',
          metric: 'm0',
          startMs,
          endMs: newest,
          stepMs: 5 * MINUTE_MS,
        });
        const want = new Map<number, { count: number; min: number; max: number; sum: number }>();
        for (const [at, v] of accepted) {
          if (at > newest) continue;
          const b = at - (at % (5 * MINUTE_MS));
          const w = want.get(b) ?? { count: 0, min: Infinity, max: -Infinity, sum: 0 };
          w.count++;
          w.min = Math.min(w.min, v);
          w.max = Math.max(w.max, v);
          w.sum += v;
          want.set(b, w);
        }
        const keys = [...want.keys()].sort((a, b) => a - b);
        assert.deepEqual(
          got.map((b) => [b.startMs, b.count, b.min, b.max]),
          keys.map((k) => [k, want.get(k)!.count, want.get(k)!.min, want.get(k)!.max]),
        );
        got.forEach((b, i) => {
          const w = want.get(keys[i])!;
          assert.ok(Math.abs(b.average - w.sum / w.count) < 1e-9);
        });
        if (s.minute.blocks.length > 0) rolledUp++;
      },
    ),
    { numRuns: 150 },
  );
  assert.ok(rolledUp > 20, `only ${rolledUp} runs reached the minute tier`);
});
