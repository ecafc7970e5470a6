import { RollupEncoder } from './chunk-codec.js';

/**
 * The open chunk of a roll-up series kept as plain numbers (5 per record, in one unboxed
 * double array): far smaller than an open encoder for the few records an hour chunk holds
 * (at most 24 a day). Encoded when read, snapshotted or sealed; records in append order.
 */
export class RecordBuffer {
  private readonly recs: number[] = [];

  /** Appends one record (start time, min, max, sum, count). */
  append(t: number, min: number, max: number, sum: number, count: number): void {
    this.recs.push(t, min, max, sum, count);
  }

  get count(): number {
    return this.recs.length / 5;
  }

  get minT(): number {
    let m = Infinity;
    for (let i = 0; i < this.recs.length; i += 5) if (this.recs[i] < m) m = this.recs[i];
    return m;
  }

  get maxT(): number {
    let m = -Infinity;
    for (let i = 0; i < this.recs.length; i += 5) if (this.recs[i] > m) m = this.recs[i];
    return m;
  }

  /** The records as a roll-up chunk (`decodeRollups` reads it). */
  bytes(): Uint8Array {
    return this.encoder().bytes();
  }

  /** Bytes held by the records. */
  capacityBytes(): number {
    return this.recs.length * 8 + 48;
  }

  /** The records as a compacted roll-up chunk. */
  compact(): Uint8Array {
    return this.encoder().compact();
  }

  private encoder(): RollupEncoder {
    const e = new RollupEncoder();
    const r = this.recs;
    for (let i = 0; i < r.length; i += 5) e.append(r[i], r[i + 1], r[i + 2], r[i + 3], r[i + 4]);
    return e;
  }
}
