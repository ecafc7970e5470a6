import type { ChunkEncoder } from './chunk-codec.js';
import {
  ChunkArena,
  RollupEncoder,
  layoutAt,
  decodeChunk,
  decodeRollups,
  rollupRecords,
} from './chunk-codec.js';
import type { RollupRecords } from './chunk-codec.js';
import { PAGE_BITS, PAGE_MASK, PAGE_SIZE } from './pages.js';

/** What a tier needs of a chunk encoder. */
export interface TierEncoder {
  readonly count: number;
  readonly minT: number;
  readonly maxT: number;
  bytes(): Uint8Array;
  capacityBytes(): number;
  /** The chunk in its most compact form, an exact-size copy (for sealing). */
  compact(): Uint8Array;
}

/**
 * A sealed block: the chunks of every series of one tier for a span of time, packed in one
 * buffer (no object per series). `ids` is sorted; series `ids[i]` holds `counts[i]` samples
 * encoded in `data[offsets[i], offsets[i+1])`. `minT`/`maxT` bound every sample (ms, inclusive).
 */
export interface SealedBlock {
  readonly minT: number;
  readonly maxT: number;
  readonly ids: Uint32Array;
  readonly counts: Uint32Array;
  readonly offsets: Uint32Array;
  readonly data: Uint8Array;
}

/** Samples read from a tier, in append order (blocks in seal order, then the head). */
export interface TierSamples {
  ts: Float64Array;
  vs: Float64Array;
  n: number;
  /** False when times may be unordered or repeated (sort, later wins). */
  sorted: boolean;
}

/**
 * One resolution of the store: an open head (one chunk encoder per series id) and sealed blocks.
 * Synchronous; ids are numbers below 2^32 that the caller never reuses for another series while
 * a block holding the old one is kept.
 */
export class Tier<E extends TierEncoder = ChunkEncoder> {
  readonly head = new Map<number, E>();
  blocks: SealedBlock[] = [];
  /** Bumped on every seal: cached encoders from an older generation are stale. */
  gen = 0;
  headMinT = Infinity;
  headMaxT = -Infinity;
  headSamples = 0;

  constructor(private readonly create: (sizeHint: number) => E) {}

  /** The head encoder of a series, created on first use (`sizeHint`: expected bytes). */
  encoder(id: number, sizeHint = 16): E {
    let e = this.head.get(id);
    if (e === undefined) {
      e = this.create(sizeHint);
      this.head.set(id, e);
    }
    return e;
  }

  /** Records a sample appended through a cached encoder. */
  noteHead(t: number, samples = 1): void {
    if (t < this.headMinT) this.headMinT = t;
    if (t > this.headMaxT) this.headMaxT = t;
    this.headSamples += samples;
  }

  /** Series in the head. */
  headSize(): number {
    return this.head.size;
  }

  /** Packs the head into a block (kept) and starts an empty head; undefined when empty. */
  seal(): SealedBlock | undefined {
    this.gen++;
    if (this.headSize() === 0) return undefined;
    const ids = this.headIds();
    const counts = new Uint32Array(ids.length);
    const offsets = new Uint32Array(ids.length + 1);
    const parts: Uint8Array[] = new Array<Uint8Array>(ids.length);
    let size = 0;
    for (let i = 0; i < ids.length; i++) {
      parts[i] = this.sealChunk(ids[i], i, counts);
      offsets[i] = size;
      size += parts[i].length;
    }
    offsets[ids.length] = size;
    const data = new Uint8Array(size);
    for (let i = 0; i < ids.length; i++) data.set(parts[i], offsets[i]);
    const block: SealedBlock = {
      minT: this.headMinT,
      maxT: this.headMaxT,
      ids,
      counts,
      offsets,
      data,
    };
    this.blocks.push(block);
    this.clearHead();
    this.headMinT = Infinity;
    this.headMaxT = -Infinity;
    this.headSamples = 0;
    return block;
  }

  /** The head's series ids, sorted. */
  protected headIds(): Uint32Array {
    return Uint32Array.from(this.head.keys()).sort();
  }

  /** The compact bytes of a head chunk being sealed; sets counts[i]. */
  protected sealChunk(id: number, i: number, counts: Uint32Array): Uint8Array {
    const e = this.head.get(id)!;
    counts[i] = e.count;
    return e.compact();
  }

  protected clearHead(): void {
    this.head.clear();
  }

  /** The open chunk of `id`, if any (`row`: where the raw tier finds it; -1 when unknown). */
  protected headChunk(id: number, _row = -1): HeadChunk | undefined {
    const e = this.head.get(id);
    if (e === undefined) return undefined;
    return {
      bytes: e.bytes(),
      count: e.count,
      minT: e.minT,
      maxT: e.maxT,
      sorted: (e as Partial<{ sorted: boolean }>).sorted !== false,
    };
  }

  /** Drops blocks whose samples are all older than cutoffMs; returns the dropped ones. */
  dropBefore(cutoffMs: number): SealedBlock[] {
    const dropped = this.blocks.filter((b) => b.maxT < cutoffMs);
    if (dropped.length > 0) this.blocks = this.blocks.filter((b) => b.maxT >= cutoffMs);
    return dropped;
  }

  /**
   * Reads the samples of series `id` from blocks and head overlapping [startMs, endMs]. The
   * result may hold samples outside the range (whole chunks are decoded); callers filter.
   * `row`: the series' row, which lets the raw tier find its open chunk without a search.
   */
  read(
    this: Tier<ChunkEncoder>,
    id: number,
    startMs: number,
    endMs: number,
    row = -1,
  ): TierSamples {
    const { parts, total, sorted: inOrder } = this.chunks(id, startMs, endMs, row);
    let sorted = inOrder;
    const ts = new Float64Array(total);
    const vs = new Float64Array(total);
    let n = 0;
    for (const p of parts) n += decodeChunk(p.bytes, p.count, ts, vs, n);
    // Sealed chunks may be unsorted inside; the block flag is not kept, so check.
    if (sorted) {
      for (let i = 1; i < n; i++) {
        if (ts[i] <= ts[i - 1]) {
          sorted = false;
          break;
        }
      }
    }
    return { ts, vs, n, sorted };
  }

  /**
   * Roll-up records of series `id` from blocks and head overlapping [startMs, endMs], in append
   * order (callers filter and merge by time).
   */
  readRollups(
    this: Tier<TierEncoder>,
    id: number,
    startMs: number,
    endMs: number,
  ): RollupRecords & { n: number } {
    const { parts, total } = this.chunks(id, startMs, endMs, -1);
    const out = rollupRecords(total);
    let n = 0;
    for (const p of parts) n += decodeRollups(p.bytes, p.count, out, n);
    return { ...out, n };
  }

  /** The chunks of `id` overlapping [startMs, endMs]; sorted is false when they may overlap. */
  private chunks(
    id: number,
    startMs: number,
    endMs: number,
    row: number,
  ): { parts: { bytes: Uint8Array; count: number }[]; total: number; sorted: boolean } {
    let total = 0;
    let sorted = true;
    const parts: { bytes: Uint8Array; count: number }[] = [];
    let lastMax = -Infinity;
    for (const b of this.blocks) {
      if (b.maxT < startMs || b.minT > endMs) continue;
      const i = findId(b.ids, id);
      if (i < 0) continue;
      parts.push({ bytes: b.data.subarray(b.offsets[i], b.offsets[i + 1]), count: b.counts[i] });
      total += b.counts[i];
      if (b.minT <= lastMax) sorted = false;
      lastMax = b.maxT;
    }
    const e = this.headChunk(id, row);
    if (e !== undefined && !(e.maxT < startMs || e.minT > endMs)) {
      parts.push({ bytes: e.bytes, count: e.count });
      total += e.count;
      if (!e.sorted || e.minT <= lastMax) sorted = false;
    }
    return { parts, total, sorted };
  }

  /** Encoded bytes held: sealed data plus head buffers (capacity) plus block indexes. */
  bytes(): number {
    let n = this.headBytes();
    for (const b of this.blocks) n += b.data.length + b.ids.length * 12 + 4;
    return n;
  }

  /** Bytes held by the open head. */
  protected headBytes(): number {
    let n = 0;
    for (const e of this.head.values()) n += e.capacityBytes() + 96;
    return n;
  }

  /** Samples held (sealed + head). */
  samples(): number {
    let n = this.headSamples;
    for (const b of this.blocks) for (let i = 0; i < b.counts.length; i++) n += b.counts[i];
    return n;
  }
}

/** An open chunk as queries see it. */
interface HeadChunk {
  bytes: Uint8Array;
  count: number;
  minT: number;
  maxT: number;
  sorted: boolean;
}

/** Largest size hint kept (bytes); larger chunks start from it and grow. */
const MAX_HINT_BYTES = (1 << 21) - 1;

/**
 * The raw tier: its open chunks live in a `ChunkArena` (no object per series). A series' slot
 * is found by its row (`slotFor`; the row of `SeriesColumns`, dense and reused after the series
 * is dropped), and callers may cache it for the current `gen`. A new chunk starts with the size
 * and layout its series' previous chunk ended with (a hint per row, kept from one seal to the
 * next). Everything per series or per slot is in typed arrays, not Maps: millions of series
 * would otherwise cost millions of hash entries.
 */
export class RawTier extends Tier<ChunkEncoder> {
  readonly arena = new ChunkArena();
  /**
   * Per row: the slot of its open chunk, valid only while `slotRows[slot] === row` and
   * `slot < arena.size` (so sealing, which empties the arena, needs no pass over the rows).
   */
  private readonly rowSlot: Int32Array[] = [];
  /** Per row: layout index × 2^21 + size hint of its last sealed chunk; NaN: none. */
  private readonly hints: Float64Array[] = [];
  /**
   * Rows that `rowSlot` and `hints` have room for, in pages (pages.ts) added as needed
   * (doubling one array copied every row into fresh memory: 2.9 s in the first ticks of a
   * 5,000-node cluster).
   */
  private rowCap = 0;
  /** Per open slot (0 .. arena.size-1, in open order): its series id... */
  private slotIds = new Uint32Array(64);
  /** ...and its row, -1 once the series was dropped (its chunk is still sealed, hint-less). */
  private slotRows = new Int32Array(64);
  /** The open slots in id order, set while sealing. */
  private sealOrder: Int32Array = new Int32Array(0);
  /** Open slots sorted by id, for reads that give no row (built on demand). */
  private byId: { ids: Uint32Array; slots: Int32Array } | undefined;

  constructor() {
    super(() => {
      throw new Error('the raw tier opens chunks through its arena');
    });
  }

  /**
   * The arena slot of the open chunk of series `id` (at `row`), opened on first use in this
   * generation. A negative row (a dropped series) gets a chunk without hint each call.
   */
  slotFor(id: number, row: number): number {
    if (row >= this.rowCap) this.addRowPages(row + 1);
    const cached = this.slotOfRow(row);
    if (cached >= 0) return cached;
    const hint = row >= 0 ? this.hints[row >>> PAGE_BITS][row & PAGE_MASK] : NaN;
    const none = Number.isNaN(hint);
    const size = none ? 16 : (hint % (MAX_HINT_BYTES + 1)) + 16;
    const layout = none ? undefined : layoutAt(Math.floor(hint / (MAX_HINT_BYTES + 1)));
    // Every 4th chunk of a series is re-checked at sealing (layouts drift).
    const slot = this.arena.open(size, layout, (this.gen + id) % 4 === 0);
    if (slot >= this.slotIds.length) this.growSlots();
    this.slotIds[slot] = id;
    this.slotRows[slot] = row;
    if (row >= 0) this.rowSlot[row >>> PAGE_BITS][row & PAGE_MASK] = slot;
    this.byId = undefined;
    return slot;
  }

  /**
   * Forgets `row` (its series was dropped; the row may be given to a new series, which must
   * not inherit its hint or open chunk). The open chunk stays and is sealed under the old id.
   */
  releaseRow(row: number): void {
    if (row < 0 || row >= this.rowCap) return;
    const slot = this.slotOfRow(row);
    if (slot >= 0) this.slotRows[slot] = -1;
    this.rowSlot[row >>> PAGE_BITS][row & PAGE_MASK] = -1;
    this.hints[row >>> PAGE_BITS][row & PAGE_MASK] = NaN;
  }

  override headSize(): number {
    return this.arena.size;
  }

  /** Calls fn with each open chunk's series id, compacted bytes and sample count (open order). */
  forEachHeadChunk(fn: (id: number, compact: Uint8Array, count: number) => void): void {
    const a = this.arena;
    for (let slot = 0; slot < a.size; slot++)
      fn(this.slotIds[slot], a.compact(slot), a.count(slot));
  }

  override seal(): SealedBlock | undefined {
    if (this.arena.size > 0) {
      this.sealOrder = this.slotsById();
      // Hints of the next generation are those of the chunks sealed now (as with a fresh map:
      // a series idle for a whole generation starts from the default size again).
      for (const page of this.hints) page.fill(NaN);
    }
    return super.seal();
  }

  protected override headIds(): Uint32Array {
    const order = this.sealOrder;
    const ids = new Uint32Array(order.length);
    for (let i = 0; i < order.length; i++) ids[i] = this.slotIds[order[i]];
    return ids;
  }

  protected override sealChunk(_id: number, i: number, counts: Uint32Array): Uint8Array {
    const slot = this.sealOrder[i];
    counts[i] = this.arena.count(slot);
    const bytes = this.arena.compact(slot);
    const row = this.slotRows[slot];
    if (row >= 0) {
      const size = Math.min(this.arena.bytes(slot).length, MAX_HINT_BYTES);
      this.hints[row >>> PAGE_BITS][row & PAGE_MASK] =
        this.arena.nextLayoutIndex(slot) * (MAX_HINT_BYTES + 1) + size;
    }
    return bytes;
  }

  protected override clearHead(): void {
    this.arena.reset();
    this.sealOrder = new Int32Array(0);
    this.byId = undefined;
  }

  protected override headChunk(id: number, row = -1): HeadChunk | undefined {
    const slot = row >= 0 ? this.slotOfRow(row) : this.slotOfId(id);
    if (slot < 0 || this.slotIds[slot] !== id) return undefined;
    const a = this.arena;
    return {
      bytes: a.bytes(slot),
      count: a.count(slot),
      minT: a.minT(slot),
      maxT: a.maxT(slot),
      sorted: a.sorted(slot),
    };
  }

  protected override headBytes(): number {
    return (
      this.arena.bytesHeld() + this.rowCap * 12 + this.slotIds.byteLength + this.slotRows.byteLength
    );
  }

  /** The open slot of `row` in this generation, -1 when none. */
  private slotOfRow(row: number): number {
    if (row < 0 || row >= this.rowCap) return -1;
    const slot = this.rowSlot[row >>> PAGE_BITS][row & PAGE_MASK];
    return slot >= 0 && slot < this.arena.size && this.slotRows[slot] === row ? slot : -1;
  }

  /** The open slot of series `id`, -1 when none (binary search in a sorted copy). */
  private slotOfId(id: number): number {
    if (this.arena.size === 0) return -1;
    if (this.byId === undefined) {
      const slots = this.slotsById();
      const ids = new Uint32Array(slots.length);
      for (let i = 0; i < slots.length; i++) ids[i] = this.slotIds[slots[i]];
      this.byId = { ids, slots };
    }
    const i = findId(this.byId.ids, id);
    return i < 0 ? -1 : this.byId.slots[i];
  }

  /** The open slots sorted by series id. */
  private slotsById(): Int32Array {
    const n = this.arena.size;
    const ids = this.slotIds;
    const out = new Int32Array(n);
    // Sort id × m + slot as numbers (a native sort, no comparator) when it stays exact.
    let m = 1;
    while (m < n) m *= 2;
    let maxId = 0;
    for (let s = 0; s < n; s++) if (ids[s] > maxId) maxId = ids[s];
    if (maxId * m + m <= Number.MAX_SAFE_INTEGER) {
      const keys = new Float64Array(n);
      for (let s = 0; s < n; s++) keys[s] = ids[s] * m + s;
      keys.sort();
      for (let i = 0; i < n; i++) out[i] = keys[i] % m;
    } else {
      for (let s = 0; s < n; s++) out[s] = s;
      out.sort((a, b) => ids[a] - ids[b]);
    }
    return out;
  }

  /** Makes room for `rows` rows and as many open chunks in one step (recovery). */
  reserve(rows: number): void {
    this.addRowPages(rows);
    if (rows > this.slotIds.length) this.growSlots(rows);
    this.arena.reserve(rows);
  }

  /** Adds row pages until `rows` rows fit (no open chunk, no hint). */
  private addRowPages(rows: number): void {
    while (this.rowCap < rows) {
      this.rowSlot.push(new Int32Array(PAGE_SIZE).fill(-1));
      this.hints.push(new Float64Array(PAGE_SIZE).fill(NaN));
      this.rowCap += PAGE_SIZE;
    }
  }

  private growSlots(atLeast = 0): void {
    const len = Math.max(atLeast, this.slotIds.length * 2);
    const ids = new Uint32Array(len);
    ids.set(this.slotIds);
    this.slotIds = ids;
    const rows = new Int32Array(len);
    rows.set(this.slotRows);
    this.slotRows = rows;
  }
}

/** Index of `id` in a sorted id array, -1 when absent. */
export function findId(ids: Uint32Array, id: number): number {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = ids[mid];
    if (x < id) lo = mid + 1;
    else if (x > id) hi = mid - 1;
    else return mid;
  }
  return -1;
}

/**
 * Roll-up block of raw blocks: per series, one record (min, max, sum, count) per `stepMs`
 * bucket of each chunk's samples (every appended sample counts, rewrites included); undefined
 * when the blocks hold nothing.
 */
export function rollupBlock(
  blocks: readonly SealedBlock[],
  stepMs: number,
): SealedBlock | undefined {
  if (blocks.length === 0) return undefined;
  const tier = new Tier(() => new RollupEncoder());
  let ts = new Float64Array(1024);
  let vs = new Float64Array(1024);
  for (const b of blocks) {
    for (let i = 0; i < b.ids.length; i++) {
      const n = b.counts[i];
      if (ts.length < n) {
        ts = new Float64Array(n * 2);
        vs = new Float64Array(n * 2);
      }
      decodeChunk(b.data.subarray(b.offsets[i], b.offsets[i + 1]), n, ts, vs);
      const e = tier.encoder(b.ids[i]);
      let k = 0;
      while (k < n) {
        const start = Math.floor(ts[k] / stepMs) * stepMs;
        let mn = vs[k];
        let mx = vs[k];
        let sum = vs[k];
        let c = 1;
        k++;
        // Consecutive samples of the same bucket (an unsorted chunk gives several records).
        while (k < n && ts[k] >= start && ts[k] < start + stepMs) {
          const v = vs[k];
          if (v < mn) mn = v;
          if (v > mx) mx = v;
          sum += v;
          c++;
          k++;
        }
        e.append(start, mn, mx, sum, c);
        tier.noteHead(start);
      }
    }
  }
  return tier.seal();
}
