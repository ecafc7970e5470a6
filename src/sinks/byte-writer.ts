/** Largest buffer `take` keeps slicing chunks out of before it starts a new one. */
const MAX_SLAB_BYTES = 8 << 20;

/**
 * A growable byte buffer for encoders on the hot path: appends cached byte strings, ASCII
 * text and protobuf varints without one allocation per value. `take` hands out what was
 * written as a view and goes on writing after it in the same buffer (a new one, up to
 * 8 MiB, when it is full), so one writer serves many chunks with few allocations; a chunk
 * keeps its buffer alive until it is dropped.
 */
export class ByteWriter {
  private buf: Buffer;
  /** Start of what was written since the last `take`. */
  private start = 0;
  /** End of what was written. */
  private off = 0;

  constructor(initialBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written since the last `take`. */
  get length(): number {
    return this.off - this.start;
  }

  /** Offset in the buffer of `room` where the next byte goes. */
  get end(): number {
    return this.off;
  }

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const pending = this.off - this.start;
    const size = Math.max(Math.min(this.buf.length * 2, MAX_SLAB_BYTES), (pending + n) * 2);
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, this.start, this.off);
    this.buf = next;
    this.start = 0;
    this.off = pending;
  }

  /**
   * Makes room for `n` more bytes and returns the buffer to write them into from offset `end`
   * on; `commit(newEnd)` then records what was written. The buffer stays valid until the next
   * call that writes. For encoders that write several pieces per record in one go.
   */
  room(n: number): Buffer {
    this.ensure(n);
    return this.buf;
  }

  /** Records that the buffer of `room` was written up to offset `newEnd` (exclusive). */
  commit(newEnd: number): void {
    this.off = newEnd;
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

  /** Returns the first `n` bytes written since the last `take` (a view) and takes them. */
  takeFirst(n: number): Buffer {
    const cut = Math.min(this.start + n, this.off);
    const out = this.buf.subarray(this.start, cut);
    this.start = cut;
    return out;
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

  /** What was written since the last `take`, as a view valid until the next write or `reset`. */
  view(): Buffer {
    return this.buf.subarray(this.start, this.off);
  }

  /** Forgets what was written since the last `take` and keeps the buffer for reuse. */
  reset(): void {
    this.off = this.start;
  }

  /** Returns everything written since the last `take` (a view, no copy) and takes it. */
  take(): Buffer {
    const out = this.buf.subarray(this.start, this.off);
    this.start = this.off;
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
