import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ChunkArena,
  ChunkEncoder,
  RollupEncoder,
  decodeChunk,
  decodeRollups,
  encodeChunk,
  rollupRecords,
} from './chunk-codec.js';

function roundTrip(ts: number[], vs: number[]): { ts: number[]; vs: number[] } {
  const e = new ChunkEncoder();
  for (let i = 0; i < ts.length; i++) e.append(ts[i], vs[i]);
  assert.equal(e.count, ts.length);
  const outT = new Float64Array(ts.length);
  const outV = new Float64Array(ts.length);
  decodeChunk(e.bytes().slice(), e.count, outT, outV);
  // The compacted (sealed) form decodes to the same samples.
  const c = e.compact();
  assert.ok(c.length <= e.bytes().length);
  const cT = new Float64Array(ts.length);
  const cV = new Float64Array(ts.length);
  decodeChunk(c, e.count, cT, cV);
  assert.deepEqual([...cT], [...outT]);
  sameValues([...cV], [...outV]);
  return { ts: [...outT], vs: [...outV] };
}

function sameValues(a: number[], b: number[]): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Object.is(a[i], b[i]), `value ${i}: got ${a[i]}, want ${b[i]}`);
  }
}

const time = fc.integer({ min: -(2 ** 49), max: 2 ** 49 });
const adversarial = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 2 ** 53, -(2 ** 53), 2 ** 50, -(2 ** 50) + 1),
  fc.constantFrom(Number.MAX_VALUE, Number.MIN_VALUE, -Number.MAX_VALUE, 1e300, 2 ** 64),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.integer({ min: 0, max: 1000 }),
);

test('round-trips random and adversarial series exactly (values and times, any order)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(time, adversarial), { minLength: 1, maxLength: 300 }),
      (pairs) => {
        const ts = pairs.map((p) => p[0]);
        const vs = pairs.map((p) => p[1]);
        const out = roundTrip(ts, vs);
        assert.deepEqual(out.ts, ts);
        sameValues(out.vs, vs);
      },
    ),
    { numRuns: 400 },
  );
});

test('round-trips integer series that turn into floats midway, and regular ticks', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 45 }),
      fc.constantFrom(1000, 60_000, 10_000),
      fc.array(fc.oneof(fc.integer({ min: -5000, max: 5000 }), fc.constant(0)), {
        minLength: 1,
        maxLength: 200,
      }),
      fc.array(adversarial, { maxLength: 20 }),
      fc.array(fc.constantFrom(0, 0, 0, 1, -1, 0 - 500), { maxLength: 220 }),
      (start, step, deltas, tail, jitter) => {
        const ts: number[] = [];
        const vs: number[] = [];
        let v = 123_456_789;
        for (let i = 0; i < deltas.length + tail.length; i++) {
          ts.push(start + i * step + (jitter[i] ?? 0));
          if (i < deltas.length) vs.push((v += deltas[i]));
          else vs.push(tail[i - deltas.length]);
        }
        const out = roundTrip(ts, vs);
        assert.deepEqual(out.ts, ts);
        sameValues(out.vs, vs);
      },
    ),
    { numRuns: 300 },
  );
});

test('equal and decreasing timestamps clear the sorted flag and survive', () => {
  const e = new ChunkEncoder();
  e.append(1000, 1);
  e.append(1000, 2);
  assert.equal(e.sorted, false);
  e.append(500, -0);
  assert.equal(e.minT, 500);
  assert.equal(e.maxT, 1000);
  const out = roundTrip([1000, 1000, 500], [1, 2, -0]);
  assert.deepEqual(out.ts, [1000, 1000, 500]);
  sameValues(out.vs, [1, 2, -0]);
});

test('a constant series at a regular tick costs about 2 bits per sample', () => {
  const e = new ChunkEncoder();
  for (let i = 0; i < 1000; i++) e.append(1_700_000_000_000 + i * 60_000, 4096);
  assert.ok(e.bytes().length < 1000 * 0.3, `${e.bytes().length} bytes`);
  const f = new ChunkEncoder();
  for (let i = 0; i < 1000; i++) f.append(1_700_000_000_000 + i * 60_000, 0.25);
  assert.ok(f.bytes().length < 1000 * 0.3, `${f.bytes().length} bytes`);
});

test('a truncated chunk is an error, not garbage', () => {
  const e = new ChunkEncoder();
  for (let i = 0; i < 100; i++) e.append(i * 1000, Math.sin(i));
  const bytes = e.bytes().slice(0, 20);
  assert.throws(
    () => decodeChunk(bytes, 100, new Float64Array(100), new Float64Array(100)),
    /truncated/,
  );
});

test('roll-up records round-trip exactly, equal and differing min/max/sum alike', () => {
  const rec = fc.tuple(
    adversarial,
    adversarial,
    adversarial,
    fc.oneof(fc.integer({ min: 1, max: 3600 }), fc.constant(1)),
    fc.boolean(),
  );
  fc.assert(
    fc.property(time, fc.array(rec, { minLength: 1, maxLength: 200 }), (t0, recs) => {
      const e = new RollupEncoder();
      recs.forEach(([mn, mx, sum, c, same], i) =>
        same
          ? e.append(t0 + i * 60_000, sum, sum, sum, c)
          : e.append(t0 + i * 60_000, mn, mx, sum, c),
      );
      const out = rollupRecords(recs.length);
      decodeRollups(e.compact(), e.count, out);
      recs.forEach(([mn, mx, sum, c, same], i) => {
        assert.equal(out.ts[i], t0 + i * 60_000);
        assert.equal(out.count[i], c);
        assert.ok(Object.is(out.sum[i], sum));
        assert.ok(Object.is(out.min[i], same ? sum : mn));
        assert.ok(Object.is(out.max[i], same ? sum : mx));
      });
    }),
    { numRuns: 300 },
  );
});

test('compaction: a µs-granular counter and a page-sized gauge use their common step', () => {
  const ts: number[] = [];
  const cpu: number[] = [];
  const mem: number[] = [];
  let c = 1e15;
  let m = 2e9;
  for (let i = 0; i < 120; i++) {
    ts.push(1_700_000_000_000 + i * 60_000);
    c += (60_000_000 + ((i * 7919) % 1000) * 1000) * 1000; // ns, multiples of 1 µs
    if (i % 10 === 0) m += ((i % 3) - 1) * 4096 * 37;
    cpu.push(c);
    mem.push(m);
  }
  const plain = new ChunkEncoder();
  ts.forEach((t, i) => plain.append(t, cpu[i]));
  const packed = encodeChunk(ts, cpu, ts.length);
  // Each delta-of-delta needs ~11 bits (one of 1000 µs steps) instead of ~31 (ns).
  assert.ok(packed.length * 8 < 120 * 16, `cpu ${packed.length} bytes`);
  assert.ok(packed.length < plain.bytes().length / 1.5);
  const memPacked = encodeChunk(ts, mem, ts.length);
  assert.ok(memPacked.length * 8 < 120 * 3.5, `memory ${memPacked.length} bytes`);
  // A rate over the 60 s step (Δbytes / 60) is stored as the integer Δbytes: exact, and far
  // below the ~50 bits per sample of XOR on such fractions.
  const rate = ts.map((_, i) => (50_000 + ((i * 7919) % 5000)) / 60);
  const ratePacked = encodeChunk(ts, rate, ts.length);
  assert.ok(ratePacked.length * 8 < 120 * 24, `rate ${ratePacked.length} bytes`);
  for (const [vals, bytes] of [
    [cpu, packed],
    [mem, memPacked],
    [rate, ratePacked],
  ] as const) {
    const outT = new Float64Array(120);
    const outV = new Float64Array(120);
    decodeChunk(bytes, 120, outT, outV);
    assert.deepEqual([...outT], ts);
    assert.deepEqual([...outV], vals);
  }
});

test('a chunk in the layout learned from the previous one round-trips (exceptions included)', () => {
  let learnedRuns = 0;
  const series = fc.array(fc.oneof(fc.integer({ min: -5000, max: 5000 }), adversarial), {
    minLength: 1,
    maxLength: 120,
  });
  fc.assert(
    fc.property(
      fc.constantFrom(1, 60, 4096, 1000),
      fc.integer({ min: 1, max: 200 }),
      series,
      fc.boolean(),
      (scale, len, tail, recheck) => {
        // The previous chunk: a regular integer (or rate) series that compacts to a layout.
        const prev = new ChunkEncoder();
        // Jittered, so that compaction chooses a layout (a linear series needs none).
        for (let i = 0; i < len; i++) {
          prev.append(
            i * 60_000,
            (1e6 + (i * 7 + ((i * i) % 5)) * scale) / (scale === 60 ? 60 : 1),
          );
        }
        prev.compact();
        if (prev.nextLayout() !== undefined) learnedRuns++;
        const next = new ChunkEncoder(16, prev.nextLayout(), recheck);
        const ts: number[] = [];
        const vs: number[] = [];
        tail.forEach((v, i) => {
          ts.push((len + i) * 60_000);
          vs.push(i % 3 === 0 ? v : (1e6 + (len + i) * 7 * scale) / (scale === 60 ? 60 : 1));
        });
        ts.forEach((t, i) => next.append(t, vs[i]));
        for (const bytes of [next.bytes(), next.compact()]) {
          const outT = new Float64Array(ts.length);
          const outV = new Float64Array(ts.length);
          decodeChunk(bytes, ts.length, outT, outV);
          assert.deepEqual([...outT], ts);
          sameValues([...outV], vs);
        }
      },
    ),
    { numRuns: 300 },
  );
  assert.ok(learnedRuns > 200, `${learnedRuns} runs had a learned layout`);
});

test('arena chunks, appended interleaved, equal stand-alone encoders byte for byte', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.tuple(time, adversarial), { minLength: 1, maxLength: 200 }), {
        minLength: 1,
        maxLength: 40,
      }),
      fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 40 }),
      (seriesList, hints) => {
        const arena = new ChunkArena();
        // A learned layout for some series, as the raw tier passes from one chunk to the next.
        const layouts = [
          undefined,
          { dod: true, step: 1, div: 1 },
          { dod: false, step: 4, div: 10 },
        ];
        const own = seriesList.map((_, i) => {
          const layout = layouts[i % 3];
          const hint = hints[i % hints.length];
          return {
            enc: new ChunkEncoder(hint, layout, i % 2 === 0),
            slot: arena.open(hint, layout, i % 2 === 0),
          };
        });
        // Round-robin, as a tick appends one sample to every series.
        const longest = Math.max(...seriesList.map((s) => s.length));
        for (let k = 0; k < longest; k++) {
          seriesList.forEach((pairs, i) => {
            if (k >= pairs.length) return;
            own[i].enc.append(pairs[k][0], pairs[k][1]);
            arena.append(own[i].slot, pairs[k][0], pairs[k][1]);
          });
        }
        seriesList.forEach((pairs, i) => {
          const { enc, slot } = own[i];
          assert.equal(arena.count(slot), pairs.length);
          assert.deepEqual([...arena.bytes(slot)], [...enc.bytes()]);
          assert.equal(arena.minT(slot), enc.minT);
          assert.equal(arena.maxT(slot), enc.maxT);
          assert.equal(arena.sorted(slot), enc.sorted);
          assert.deepEqual([...arena.compact(slot)], [...enc.compact()]);
          assert.deepEqual(arena.nextLayout(slot), enc.nextLayout());
        });
      },
    ),
    { numRuns: 150 },
  );
});

test('an arena grows past many slabs and its reset drops them', () => {
  const arena = new ChunkArena();
  const slots: number[] = [];
  for (let i = 0; i < 5000; i++) slots.push(arena.open(16, undefined, true));
  for (let k = 0; k < 100; k++) {
    for (const s of slots) arena.append(s, k * 15_000, Math.sin(k + s) * 1e6);
  }
  const held = arena.bytesHeld();
  assert.ok(arena.slabs.length > 4, `${arena.slabs.length} slabs`);
  const ts = new Float64Array(100);
  const vs = new Float64Array(100);
  decodeChunk(arena.bytes(slots[4999]), 100, ts, vs);
  assert.equal(ts[99], 99 * 15_000);
  assert.equal(vs[99], Math.sin(99 + slots[4999]) * 1e6);
  arena.reset();
  assert.equal(arena.size, 0);
  assert.equal(arena.slabs.length, 0);
  assert.ok(arena.bytesHeld() < held - 4 * 256 * 1024, `${arena.bytesHeld()} bytes after reset`);
});

test('arena: slots on many pages keep their own state (40,000 open chunks, interleaved appends)', () => {
  const arena = new ChunkArena();
  const n = 40_000;
  for (let i = 0; i < n; i++) assert.equal(arena.open(16, undefined, i % 4 === 0), i);
  // Interleaved like a tick: every slot gets one sample per round.
  for (let k = 0; k < 5; k++) {
    for (let i = 0; i < n; i++) arena.append(i, 60_000 * k + i, i * 1.5 + k);
  }
  for (const i of [0, 1, 16_383, 16_384, 16_385, 32_767, 32_768, n - 1]) {
    assert.equal(arena.count(i), 5, `slot ${i}`);
    assert.equal(arena.minT(i), i);
    assert.equal(arena.maxT(i), 60_000 * 4 + i);
    assert.equal(arena.sorted(i), true);
    const ts = new Float64Array(5);
    const vs = new Float64Array(5);
    decodeChunk(arena.bytes(i), 5, ts, vs);
    assert.deepEqual(
      [...ts],
      [0, 1, 2, 3, 4].map((k) => 60_000 * k + i),
      `slot ${i} times`,
    );
    assert.deepEqual(
      [...vs],
      [0, 1, 2, 3, 4].map((k) => i * 1.5 + k),
      `slot ${i} values`,
    );
  }
});
