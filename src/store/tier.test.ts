import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeChunk } from './chunk-codec.js';
import { RawTier } from './tier.js';

/** The capacity of an open chunk (its region's size, see `ChunkArena.open`). */
function capacity(tier: RawTier, slot: number): number {
  return tier.arena.regionBytes(slot);
}

function decode(bytes: Uint8Array, count: number): number[] {
  const ts = new Float64Array(count);
  const vs = new Float64Array(count);
  decodeChunk(bytes, count, ts, vs);
  return [...vs];
}

test('raw tier: slots by row, sealed ids sorted, reads with or without row', () => {
  const tier = new RawTier();
  // Rows dense, ids not in row order (as after churn), opened in neither order.
  const series = Array.from({ length: 200 }, (_, row) => ({ row, id: ((row * 37) % 200) * 5 + 1 }));
  const opened = [...series].reverse();
  for (let k = 0; k < 3; k++) {
    for (const s of opened) {
      const slot = tier.slotFor(s.id, s.row);
      assert.equal(tier.slotFor(s.id, s.row), slot, 'same slot within a generation');
      tier.arena.append(slot, 1000 + k, s.id * 10 + k);
      tier.noteHead(1000 + k);
    }
  }
  assert.equal(tier.headSize(), 200);
  const seen: number[] = [];
  tier.forEachHeadChunk((id, bytes, count) => {
    seen.push(id);
    assert.deepEqual(decode(bytes, count), [id * 10, id * 10 + 1, id * 10 + 2]);
  });
  assert.deepEqual(
    seen,
    opened.map((s) => s.id),
    'open order',
  );
  for (const s of series) {
    const want = [s.id * 10, s.id * 10 + 1, s.id * 10 + 2];
    assert.deepEqual([...tier.read(s.id, 0, 2000, s.row).vs], want);
    assert.deepEqual([...tier.read(s.id, 0, 2000).vs], want, 'by id alone');
  }
  assert.equal(tier.read(2, 0, 2000).n, 0, 'unknown id');
  assert.equal(tier.read(series[1].id, 0, 2000, series[0].row).n, 0, 'row of another series');

  const block = tier.seal()!;
  assert.deepEqual(
    [...block.ids],
    series.map((s) => s.id).sort((a, b) => a - b),
  );
  for (let i = 0; i < block.ids.length; i++) {
    const id = block.ids[i];
    const bytes = block.data.subarray(block.offsets[i], block.offsets[i + 1]);
    assert.deepEqual(decode(bytes, block.counts[i]), [id * 10, id * 10 + 1, id * 10 + 2]);
  }
  assert.equal(tier.headSize(), 0);
  // Sealed data is still read, by row or not; the head is empty.
  assert.equal(tier.read(series[3].id, 0, 2000, series[3].row).n, 3);
  assert.equal(tier.seal(), undefined);
});

test('raw tier: size hints pass to the next chunk of the same row, not to a new series', () => {
  const tier = new RawTier();
  const fill = (id: number, row: number, n: number): number => {
    const slot = tier.slotFor(id, row);
    for (let k = 0; k < n; k++) tier.arena.append(slot, k * 1000, Math.sin(k) * 1e6 + id);
    return slot;
  };
  fill(1, 0, 200); // a big chunk
  fill(2, 1, 200);
  fill(3, 2, 200);
  const ended = capacity(tier, tier.slotFor(1, 0));
  assert.ok(ended > 16);
  tier.seal();

  // Row 0: same series, starts near its last size. Row 1: the series was dropped and its row
  // given to a new one, which starts small.
  tier.releaseRow(1);
  assert.ok(capacity(tier, fill(1, 0, 1)) >= ended / 2);
  assert.equal(capacity(tier, fill(9, 1, 1)), 16);
  tier.seal();
  // Row 2 was idle for a generation: its hint is gone (as with a hint map replaced per seal).
  assert.equal(capacity(tier, fill(3, 2, 1)), 16);
  assert.ok(capacity(tier, fill(1, 0, 1)) > 16, 'kept across seals while written');
});

test('raw tier: a row dropped mid-generation keeps its chunk for the seal, the new series gets its own', () => {
  const tier = new RawTier();
  const a = tier.slotFor(7, 0);
  tier.arena.append(a, 1000, 1);
  tier.releaseRow(0);
  const b = tier.slotFor(8, 0);
  assert.notEqual(b, a);
  tier.arena.append(b, 2000, 2);
  assert.deepEqual([...tier.read(8, 0, 3000, 0).vs], [2]);
  assert.equal(tier.read(7, 0, 3000, 0).n, 0, 'row 0 is series 8 now');
  assert.deepEqual([...tier.read(7, 0, 3000).vs], [1], 'still found by id');
  const block = tier.seal()!;
  assert.deepEqual([...block.ids], [7, 8]);
  // A dropped series (row -1) replayed: a chunk without hint, never tied to a row.
  const c = tier.slotFor(5, -1);
  tier.arena.append(c, 3000, 3);
  assert.deepEqual([...tier.read(5, 0, 4000).vs], [3]);
  assert.deepEqual([...tier.seal()!.ids], [5]);
});
