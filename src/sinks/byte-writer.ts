/**
 * A growable byte buffer for encoders on the hot path: appends cached byte strings, ASCII
 * text and protobuf varints without one allocation per value. `take` hands out what was
 * written and starts a new buffer, so one writer serves many chunks.
 */
export class ByteWriter {
  private buf: Buffer;
  private off = 0;

  constructor(initialBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written since the last `take`. */
  get length(): number {
    return this.off;
  }

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    // A plain loop beats TypedArray#set for the short pieces encoders append.
    if (n > 64) {
      this.buf.set(b, this.off);
      this.off += n;
      return;
    }
    const buf = this.buf;
    let o = this.off;
    for (let i = 0; i < n; i++) buf[o++] = b[i];
    this.off = o;
  }

  /** Appends `s`, which must be ASCII (numbers, fixed punctuation). */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    let o = this.off;
    for (let i = 0; i < n; i++) buf[o++] = s.charCodeAt(i);
    this.off = o;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.off++] = b;
  }

  /** Protobuf base-128 varint of a non-negative integer below 2^53. */
  varint(v: number): void {
    this.ensure(10);
    const buf = this.buf;
    let o = this.off;
    while (v >= 0x80) {
      buf[o++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[o++] = v;
    this.off = o;
  }

  /** Little-endian IEEE 754 double. */
  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.off);
    this.off += 8;
  }

  /** What was written so far, as a view valid until the next write or `reset`. */
  view(): Buffer {
    return this.buf.subarray(0, this.off);
  }

  /** Forgets what was written and keeps the buffer for reuse. */
  reset(): void {
    this.off = 0;
  }

  /**
   * Returns everything written (a view, no copy) and starts a fresh buffer about as large
   * as this one turned out to be, so a run of similar chunks allocates once per chunk.
   */
  take(): Buffer {
    const out = this.buf.subarray(0, this.off);
    this.buf = Buffer.allocUnsafe(Math.max(4096, Math.ceil(this.off * 1.1)));
    this.off = 0;
    return out;
  }
}

/** Protobuf varint size of a non-negative integer. */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}
