import { RollupEncoder } from './chunk-codec.js';
import { Tier } from './tier.js';

/** Numbers per record row: series id, start time, min, max, sum, count. */
const ROW = 6;

/**
 * A roll-up tier whose open records (at most a few per series: the hour tier's head spans
 * 6 h) are rows of one growable array, linked per series, instead of an object and an array
 * per series. Records are encoded when read, snapshotted or sealed; in append order per series.
 */
export class RecordTier extends Tier<RollupEncoder> {
  private rows = new Float64Array(1024 * ROW);
  /** Per row: the previous row of the same series, or -1. */
  private prev = new Int32Array(1024);
  private used = 0;
  /** Series id → its last row. */
  private readonly last = new Map<number, number>();

  constructor() {
    super(() => new RollupEncoder());
  }

  /** Appends one record (start time, min, max, sum, count) of series `id`. */
  append(id: number, t: number, min: number, max: number, sum: number, count: number): void {
    const row = this.used++;
    if (row >= this.prev.length) this.grow();
    const o = row * ROW;
    const r = this.rows;
    r[o] = id;
    r[o + 1] = t;
    r[o + 2] = min;
    r[o + 3] = max;
    r[o + 4] = sum;
    r[o + 5] = count;
    this.prev[row] = this.last.get(id) ?? -1;
    this.last.set(id, row);
  }

  override headSize(): number {
    return this.last.size;
  }

  /** Calls fn with each open chunk's series id, bytes and record count. */
  forEachHeadChunk(fn: (id: number, bytes: Uint8Array, count: number) => void): void {
    for (const id of this.last.keys()) {
      const e = this.encode(id);
      fn(id, e.bytes(), e.count);
    }
  }

  protected override headIds(): Uint32Array {
    return Uint32Array.from(this.last.keys()).sort();
  }

  protected override sealChunk(id: number, i: number, counts: Uint32Array): Uint8Array {
    const e = this.encode(id);
    counts[i] = e.count;
    return e.compact();
  }

  protected override clearHead(): void {
    this.last.clear();
    this.used = 0;
    if (this.prev.length > 4096) {
      this.rows = new Float64Array(1024 * ROW);
      this.prev = new Int32Array(1024);
    }
  }

  protected override headChunk(
    id: number,
  ): { bytes: Uint8Array; count: number; minT: number; maxT: number; sorted: boolean } | undefined {
    if (!this.last.has(id)) return undefined;
    const e = this.encode(id);
    return { bytes: e.bytes(), count: e.count, minT: e.minT, maxT: e.maxT, sorted: true };
  }

  protected override headBytes(): number {
    return this.rows.byteLength + this.prev.byteLength + this.last.size * 24;
  }

  /** The records of series `id` as a roll-up chunk, in append order. */
  private encode(id: number): RollupEncoder {
    const chain: number[] = [];
    for (let row = this.last.get(id) ?? -1; row >= 0; row = this.prev[row]) chain.push(row);
    const e = new RollupEncoder();
    const r = this.rows;
    for (let k = chain.length - 1; k >= 0; k--) {
      const o = chain[k] * ROW;
      e.append(r[o + 1], r[o + 2], r[o + 3], r[o + 4], r[o + 5]);
    }
    return e;
  }

  private grow(): void {
    const n = this.prev.length * 2;
    const rows = new Float64Array(n * ROW);
    rows.set(this.rows);
    this.rows = rows;
    const prev = new Int32Array(n);
    prev.set(this.prev);
    this.prev = prev;
  }
}
