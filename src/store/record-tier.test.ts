import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRollups, rollupRecords } from './chunk-codec.js';
import { RecordTier } from './record-tier.js';

const HOUR = 3_600_000;

test('records of interleaved series come back per series in append order, open and sealed', () => {
  const tier = new RecordTier();
  const want = new Map<number, number[][]>();
  // 300 series, 5 hours, appended hour by hour as the store flushes them; ids not contiguous.
  for (let h = 0; h < 5; h++) {
    for (let s = 0; s < 300; s++) {
      const id = s * 7 + 3;
      const rec = [h * HOUR, s - h, s + h, s * 10 + h + 0.5, 60 + (s % 3)];
      tier.append(id, rec[0], rec[1], rec[2], rec[3], rec[4]);
      tier.noteHead(rec[0]);
      (want.get(id) ?? want.set(id, []).get(id)!).push(rec);
    }
  }
  assert.equal(tier.headSize(), 300);
  const check = (read: (id: number) => number[][]): void => {
    for (const [id, recs] of want) assert.deepEqual(read(id), recs, `series ${id}`);
  };
  const fromTier = (id: number): number[][] => {
    const r = tier.readRollups(id, -Infinity, Infinity);
    return Array.from({ length: r.n }, (_, i) => [
      r.ts[i],
      r.min[i],
      r.max[i],
      r.sum[i],
      r.count[i],
    ]);
  };
  check(fromTier);
  const seen = new Map<number, number>();
  tier.forEachHeadChunk((id, bytes, count) => {
    const recs = rollupRecords(count);
    decodeRollups(bytes, count, recs);
    seen.set(id, count);
    assert.equal(recs.ts[count - 1], 4 * HOUR);
  });
  assert.equal(seen.size, 300);
  const block = tier.seal();
  assert.ok(block);
  assert.equal(block.ids.length, 300);
  assert.equal(tier.headSize(), 0);
  check(fromTier); // now from the sealed block
  assert.deepEqual(fromTier(1), []); // an id never seen
});
