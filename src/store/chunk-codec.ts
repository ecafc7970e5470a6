// Gorilla-style chunk encoding (Pelkonen et al., VLDB 2015; Prometheus' XOR chunks), in columns
// that share one bit stream: delta-of-delta timestamps, and value columns that are either
// integers (exact: delta or delta-of-delta of the value divided by the chunk's common step,
// with an adaptive bit width) or XOR of the IEEE-754 bits (exact for every double, including
// NaN, ±Infinity and -0). An integer column that meets a non-integer switches to XOR in place.
// Raw chunks: time + one value column. Roll-up chunks: time, count, sum, and min/max only for
// records where they differ from the sum (so a one-sample record costs what a raw sample does).

import { PAGE_BITS, PAGE_MASK, PAGE_SIZE } from './pages.js';

/** Integers with |v| below this are encoded as integers: their deltas stay exact. */
const INT_LIMIT = 2 ** 50;
const TWO32 = 2 ** 32;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Index of the high word of a float64 in `u32` (little-endian machines: 1).
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** True when a value can be stored by an integer column (exactly, including its sign). */
export function isIntEncodable(v: number): boolean {
  return Number.isInteger(v) && v > -INT_LIMIT && v < INT_LIMIT && !Object.is(v, -0);
}

/** True when a timestamp (ms) can be stored in a chunk: an integer with |t| < 2^50. */
export function isEncodableTime(t: number): boolean {
  return Number.isInteger(t) && t > -INT_LIMIT && t < INT_LIMIT;
}

function ctz32(x: number): number {
  return x === 0 ? 32 : 31 - Math.clz32(x & -x);
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Bit length of a non-negative integer below 2^53 (0 for 0). */
function bitLen(z: number): number {
  return z < TWO32 ? 32 - Math.clz32(z) : 64 - Math.clz32(Math.floor(z / TWO32));
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const r = a % b;
    a = b;
    b = r;
  }
  return a;
}

/**
 * A growable bit stream, most significant bit first. It writes bytes [base, base + cap) of
 * `buf`, which must be zero from the write position on; `regrow` (arena-backed writers) moves
 * it to a larger region, else it doubles a buffer of its own.
 */
class BitWriter {
  buf: Uint8Array;
  base = 0;
  cap: number;
  bitPos = 0;
  /** Index of `buf` in its arena's slabs (arena-backed writers only). */
  slab = 0;
  regrow: ((w: BitWriter) => void) | undefined = undefined;

  constructor(initialBytes: number) {
    this.buf = new Uint8Array(initialBytes);
    this.cap = initialBytes;
  }

  /** Writes the low n bits of v (1 ≤ n ≤ 32). */
  write(v: number, n: number): void {
    const pos = this.bitPos;
    // Room for 5 more bytes than needed: the fast path below touches 4 bytes.
    if ((pos >>> 3) + 9 > this.cap) this.grow();
    this.bitPos = pos + n;
    // The buffer is zero-filled past bitPos: zeros only move the position.
    if (v === 0) return;
    const off = pos & 7;
    const buf = this.buf;
    const i = this.base + (pos >>> 3);
    if (n + off > 32) {
      // Split: the high n-8 bits, then the low 8.
      this.bitPos = pos;
      this.write(v >>> 8, n - 8);
      this.write(v & 255, 8);
      return;
    }
    const bits = n === 32 ? v >>> 0 : (v & ((1 << n) - 1)) >>> 0;
    const x = (n === 32 ? bits : (bits << (32 - n)) >>> 0) >>> off;
    buf[i] |= x >>> 24;
    buf[i + 1] |= (x >>> 16) & 255;
    buf[i + 2] |= (x >>> 8) & 255;
    buf[i + 3] |= x & 255;
  }

  /** Writes one 0 bit. */
  zero(): void {
    if ((this.bitPos >>> 3) + 9 > this.cap) this.grow();
    this.bitPos++;
  }

  private grow(): void {
    if (this.regrow !== undefined) {
      this.regrow(this);
      return;
    }
    const grown = new Uint8Array(Math.max(this.cap * 2, 16));
    grown.set(this.buf.subarray(this.base, this.base + this.cap));
    this.buf = grown;
    this.base = 0;
    this.cap = grown.length;
  }

  /** Writes the low n bits of a non-negative integer z < 2^53 (0 ≤ n ≤ 53). */
  writeWide(z: number, n: number): void {
    if (n > 32) {
      this.write(Math.floor(z / TWO32), n - 32);
      this.write(z >>> 0, 32);
    } else if (n > 0) this.write(z >>> 0, n);
  }

  /** Zigzagged delta-of-delta z (0 ≤ z < 2^53) in Gorilla-like buckets (timestamps). */
  writeDod(z: number): void {
    if (z === 0) this.write(0, 1);
    else if (z < 128) this.write((2 << 7) | z, 9);
    else if (z < 4096) this.write((6 << 12) | z, 15);
    else if (z < 1048576) this.write((14 << 20) | z, 24);
    else if (z < TWO32) {
      this.write(30, 5);
      this.write(z >>> 0, 32);
    } else {
      this.write(31, 5);
      this.write(Math.floor(z / TWO32), 21);
      this.write(z >>> 0, 32);
    }
  }

  bytes(): Uint8Array {
    return this.buf.subarray(this.base, this.base + ((this.bitPos + 7) >>> 3));
  }
}

/** Reads bits most significant first; past the end it reads zeros and `check()` throws. */
class BitReader {
  pos = 0;
  private readonly limit: number;

  constructor(private readonly buf: Uint8Array) {
    this.limit = buf.length * 8;
  }

  /** Reads n bits (1 ≤ n ≤ 32) as an unsigned number. */
  read(n: number): number {
    let out = 0;
    let pos = this.pos;
    const buf = this.buf;
    while (n > 0) {
      const avail = 8 - (pos & 7);
      const take = n < avail ? n : avail;
      const byte = buf[pos >>> 3] ?? 0;
      const bits = (byte >>> (avail - take)) & ((1 << take) - 1);
      out = out * (1 << take) + bits;
      pos += take;
      n -= take;
    }
    this.pos = pos;
    return out;
  }

  readWide(n: number): number {
    if (n > 32) {
      const hi = this.read(n - 32);
      return hi * TWO32 + this.read(32);
    }
    return n > 0 ? this.read(n) : 0;
  }

  readDod(): number {
    if (this.read(1) === 0) return 0;
    if (this.read(1) === 0) return this.read(7);
    if (this.read(1) === 0) return this.read(12);
    if (this.read(1) === 0) return this.read(20);
    if (this.read(1) === 0) return this.read(32);
    const hi = this.read(21);
    return hi * TWO32 + this.read(32);
  }

  check(): void {
    if (this.pos > this.limit) {
      throw new RangeError(`chunk truncated: needed ${this.pos} bits, have ${this.limit}`);
    }
  }
}

/** Integer column layout, chosen per chunk (streaming chunks: dod, step 1). */
export interface IntLayout {
  /** True: delta-of-delta of the values; false: delta. */
  dod: boolean;
  /** Every delta is a multiple of this (≥ 1). */
  step: number;
  /** Values are stored multiplied by this integer (≥ 1): rates over a whole number of seconds. */
  div: number;
}

const STREAM_LAYOUT: IntLayout = { dod: true, step: 1, div: 1 };

/**
 * State of one value column (encoder and decoder alike). Int mode: `prev` value, `prevD` last
 * delta / step, `width` of the last explicit code. Float mode: previous bits and XOR window.
 */
class Column {
  started = false;
  intMode = true;
  dod = true;
  step = 1;
  div = 1;
  prev = 0;
  prevD = 0;
  width = 0;
  prevHi = 0;
  prevLo = 0;
  leading = -1;
  trailing = 0;
  /** Decoder: significant bits of the current XOR window. */
  sig = 64;
  /** Encoder: non-zero codes written (a chunk with ≤ 1 gains nothing from compaction). */
  changes = 0;

  /** Appends v (the first call writes the column header). */
  put(w: BitWriter, v: number, layout: IntLayout): void {
    if (!this.started) {
      this.started = true;
      if (isIntEncodable(v)) {
        this.intMode = true;
        this.dod = layout.dod;
        this.step = layout.step;
        w.write(layout.dod ? 3 : 2, 2); // '1' int, then the order bit
        if (layout.step === 1) w.write(0, 1);
        else {
          w.write(1, 1);
          w.writeDod(layout.step);
        }
        if (layout.div === 1) w.write(0, 1);
        else {
          w.write(1, 1);
          w.writeDod(layout.div);
        }
        w.writeDod(zigzag(v));
        this.prev = v;
      } else {
        this.intMode = false;
        w.write(0, 1);
        this.startFloat(w, v);
      }
      return;
    }
    if (this.intMode) {
      const d = (v - this.prev) / this.step;
      if (!isIntEncodable(v) || !Number.isInteger(d)) {
        w.write(14, 4); // '1110': switch to XOR floats
        this.intMode = false;
        this.startFloat(w, v);
        return;
      }
      const x = this.dod ? d - this.prevD : d;
      this.prevD = d;
      this.prev = v;
      if (x === 0) {
        w.zero();
        return;
      }
      const z = zigzag(x);
      const len = bitLen(z);
      this.changes++;
      const width = this.width;
      if (len <= width && width - len <= 6) {
        // '10': same width, then the value (one write when it fits 32 bits)
        if (width <= 30) w.write((2 << width) | z, width + 2);
        else {
          w.write(2, 2);
          w.writeWide(z, width);
        }
      } else {
        // '110': new width (6 bits), then the value
        if (len <= 23) w.write((((6 << 6) | (len - 1)) << len) | z, len + 9);
        else {
          w.write((6 << 6) | (len - 1), 9);
          w.writeWide(z, len);
        }
        this.width = len;
      }
      return;
    }
    this.putXor(w, v);
  }

  /** Writes v as a one-off exception of an integer column (its state is unchanged). */
  putException(w: BitWriter, v: number): void {
    w.write(15, 4); // '1111': a raw float64
    f64[0] = v;
    w.write(u32[HI], 32);
    w.write(u32[LO], 32);
    this.changes++;
  }

  private startFloat(w: BitWriter, v: number): void {
    f64[0] = v;
    this.prevHi = u32[HI];
    this.prevLo = u32[LO];
    this.leading = -1;
    w.write(this.prevHi, 32);
    w.write(this.prevLo, 32);
  }

  private putXor(w: BitWriter, v: number): void {
    f64[0] = v;
    const hi = u32[HI];
    const lo = u32[LO];
    const xh = (hi ^ this.prevHi) >>> 0;
    const xl = (lo ^ this.prevLo) >>> 0;
    this.prevHi = hi;
    this.prevLo = lo;
    if (xh === 0 && xl === 0) {
      w.zero();
      return;
    }
    this.changes++;
    let lead = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    const trail = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    if (lead > 31) lead = 31; // 5 bits
    if (this.leading >= 0 && lead >= this.leading && trail >= this.trailing) {
      w.write(2, 2); // '10': reuse the previous window
      writeWindow(w, xh, xl, this.leading, this.trailing);
      return;
    }
    w.write(3, 2); // '11': new window
    const sig = 64 - lead - trail;
    w.write(lead, 5);
    w.write(sig - 1, 6); // 1..64 stored as 0..63
    this.leading = lead;
    this.trailing = trail;
    writeWindow(w, xh, xl, lead, trail);
  }

  /** Reads the next value. */
  get(r: BitReader): number {
    if (!this.started) {
      this.started = true;
      if (r.read(1) === 1) {
        this.intMode = true;
        this.dod = r.read(1) === 1;
        this.step = r.read(1) === 1 ? r.readDod() : 1;
        this.div = r.read(1) === 1 ? r.readDod() : 1;
        this.prev = unzigzag(r.readDod());
        return this.div === 1 ? this.prev : this.prev / this.div;
      }
      this.intMode = false;
      return this.readFloat(r);
    }
    if (this.intMode) {
      // '0' zero, '10' same width, '110' new width, '1110' to floats, '1111' one exception.
      const code = r.read(1) === 0 ? 0 : r.read(1) === 0 ? 1 : r.read(1) === 0 ? 2 : 3;
      if (code === 3) {
        if (r.read(1) === 1) {
          u32[HI] = r.read(32);
          u32[LO] = r.read(32);
          return f64[0];
        }
        this.intMode = false;
        return this.readFloat(r);
      }
      if (code === 2) this.width = r.read(6) + 1;
      const x = code === 0 ? 0 : unzigzag(r.readWide(this.width));
      const d = this.dod ? this.prevD + x : x;
      this.prevD = d;
      this.prev += d * this.step;
      return this.div === 1 ? this.prev : this.prev / this.div;
    }
    if (r.read(1) === 1) {
      if (r.read(1) === 1) {
        this.leading = r.read(5);
        this.sig = r.read(6) + 1;
      }
      const lead = this.leading;
      const sig = this.sig;
      const trail = 64 - lead - sig;
      let h: number;
      let l: number;
      if (sig > 32) {
        h = r.read(sig - 32);
        l = r.read(32);
      } else {
        h = 0;
        l = r.read(sig);
      }
      let xh: number;
      let xl: number;
      if (trail >= 32) {
        xh = l << (trail - 32);
        xl = 0;
      } else if (trail === 0) {
        xh = h;
        xl = l;
      } else {
        xh = (h << trail) | (l >>> (32 - trail));
        xl = l << trail;
      }
      this.prevHi = (this.prevHi ^ xh) >>> 0;
      this.prevLo = (this.prevLo ^ xl) >>> 0;
    }
    u32[HI] = this.prevHi;
    u32[LO] = this.prevLo;
    return f64[0];
  }

  private readFloat(r: BitReader): number {
    this.prevHi = r.read(32);
    this.prevLo = r.read(32);
    this.leading = 0;
    this.sig = 64;
    u32[HI] = this.prevHi;
    u32[LO] = this.prevLo;
    return f64[0];
  }
}

/** Writes bits [trail, 64 - lead) of the 64-bit word xh:xl, most significant first. */
function writeWindow(w: BitWriter, xh: number, xl: number, lead: number, trail: number): void {
  const sig = 64 - lead - trail;
  let h: number;
  let l: number;
  if (trail >= 32) {
    l = xh >>> (trail - 32);
    h = 0;
  } else if (trail === 0) {
    l = xl;
    h = xh;
  } else {
    l = ((xl >>> trail) | (xh << (32 - trail))) >>> 0;
    h = xh >>> trail;
  }
  if (sig > 32) {
    w.write(h, sig - 32);
    w.write(l, 32);
  } else {
    w.write(sig === 32 ? l : l & ((1 << sig) - 1), sig);
  }
}

/** Delta-of-delta timestamp column state. */
class TimeColumn {
  prevT = 0;
  prevDelta = 0;

  put(w: BitWriter, t: number, first: boolean): void {
    if (first) {
      w.writeDod(zigzag(t));
    } else {
      const delta = t - this.prevT;
      if (delta === this.prevDelta) w.zero();
      else {
        w.writeDod(zigzag(delta - this.prevDelta));
        this.prevDelta = delta;
      }
    }
    this.prevT = t;
  }

  get(r: BitReader, first: boolean): number {
    if (first) this.prevT = unzigzag(r.readDod());
    else {
      this.prevDelta += unzigzag(r.readDod());
      this.prevT += this.prevDelta;
    }
    return this.prevT;
  }
}

/**
 * The encoder of one open raw chunk: append (t, v) pairs in any time order; `bytes()` gives the
 * encoded stream (without the count, which the caller keeps). Timestamps must satisfy
 * `isEncodableTime` (the store checks). `compact()` re-encodes the chunk with the layout that
 * suits its values best (delta or delta-of-delta, common step), for sealing.
 */
export class ChunkEncoder {
  private w: BitWriter;
  private readonly time = new TimeColumn();
  private readonly col = new Column();
  count = 0;
  /** False once a timestamp was ≤ the previous one (the reader must sort and dedupe). */
  sorted = true;
  minT = Infinity;
  maxT = -Infinity;
  /** Values that did not fit the learned layout (written as raw floats). */
  private exceptions = 0;
  /** The layout `compact()` chose, for the series' next chunk. */
  private chosen: IntLayout | undefined;

  /**
   * `initialBytes`: expected size (e.g. the previous chunk's), to avoid regrowing. `learned`:
   * the layout of the series' previous chunk (`nextLayout()`), used from the first sample so
   * that sealing need not re-encode; `recheck`: re-encode at sealing anyway (layouts drift).
   */
  constructor(
    initialBytes = 16,
    private learned: IntLayout | undefined = undefined,
    private recheck = true,
  ) {
    this.w = new BitWriter(Math.max(16, initialBytes));
  }

  /** Loads the state of arena slot `slot` (this encoder becomes the arena's cursor). */
  load(a: ChunkArena, slot: number): void {
    const pg = slot >>> PAGE_BITS;
    const at = slot & PAGE_MASK;
    const f = a.pf[pg];
    const u = a.pu[pg];
    const b = a.pb[pg];
    const of = at * NF;
    const ou = at * NU;
    const ob = at * NB;
    const w = this.w;
    w.bitPos = u[ou];
    w.base = u[ou + 1];
    w.cap = u[ou + 2];
    w.slab = u[ou + 3];
    w.buf = a.slabs[w.slab];
    w.regrow = a.regrow;
    const time = this.time;
    time.prevT = f[of];
    time.prevDelta = f[of + 1];
    const col = this.col;
    const flags = b[ob];
    col.started = (flags & F_STARTED) !== 0;
    col.intMode = (flags & F_INT) !== 0;
    col.dod = (flags & F_DOD) !== 0;
    col.prev = f[of + 2];
    col.prevD = f[of + 3];
    col.step = f[of + 4];
    col.div = f[of + 5];
    col.prevHi = u[ou + 4];
    col.prevLo = u[ou + 5];
    col.changes = u[ou + 8];
    col.width = b[ob + 1];
    col.leading = b[ob + 2] - 1;
    col.trailing = b[ob + 3];
    this.count = u[ou + 6];
    this.exceptions = u[ou + 7];
    this.sorted = (flags & F_SORTED) !== 0;
    this.recheck = (flags & F_RECHECK) !== 0;
    this.minT = f[of + 6];
    this.maxT = f[of + 7];
    const lc = a.pl[pg];
    this.learned = LAYOUTS[lc[at * 2]];
    this.chosen = LAYOUTS[lc[at * 2 + 1]];
  }

  /** Stores this encoder's state into arena slot `slot`. */
  save(a: ChunkArena, slot: number): void {
    const pg = slot >>> PAGE_BITS;
    const at = slot & PAGE_MASK;
    const f = a.pf[pg];
    const u = a.pu[pg];
    const b = a.pb[pg];
    const of = at * NF;
    const ou = at * NU;
    const ob = at * NB;
    const w = this.w;
    u[ou] = w.bitPos;
    u[ou + 1] = w.base;
    u[ou + 2] = w.cap;
    u[ou + 3] = w.slab;
    const time = this.time;
    f[of] = time.prevT;
    f[of + 1] = time.prevDelta;
    const col = this.col;
    f[of + 2] = col.prev;
    f[of + 3] = col.prevD;
    f[of + 4] = col.step;
    f[of + 5] = col.div;
    u[ou + 4] = col.prevHi;
    u[ou + 5] = col.prevLo;
    u[ou + 8] = col.changes;
    b[ob + 1] = col.width;
    b[ob + 2] = col.leading + 1;
    b[ob + 3] = col.trailing;
    u[ou + 6] = this.count;
    u[ou + 7] = this.exceptions;
    f[of + 6] = this.minT;
    f[of + 7] = this.maxT;
    let flags = 0;
    if (col.started) flags |= F_STARTED;
    if (col.intMode) flags |= F_INT;
    if (col.dod) flags |= F_DOD;
    if (this.sorted) flags |= F_SORTED;
    if (this.recheck) flags |= F_RECHECK;
    b[ob] = flags;
    // Layouts by index in LAYOUTS (an unchanged one keeps its index without a lookup).
    const lc = a.pl[pg];
    const l = this.learned;
    const li = at * 2;
    if (l === undefined) lc[li] = 0;
    else if (l !== LAYOUTS[lc[li]]) lc[li] = internLayout(l);
    const c = this.chosen;
    if (c === undefined) lc[li + 1] = 0;
    else if (c !== LAYOUTS[lc[li + 1]]) lc[li + 1] = internLayout(c);
  }

  /** Appends one sample. */
  append(t: number, v: number): void {
    const learned = this.learned;
    if (learned !== undefined) {
      this.appendLearned(t, v, learned);
      return;
    }
    const w = this.w;
    if (this.count === 0) {
      this.minT = this.maxT = t;
    } else {
      if (t <= this.time.prevT) this.sorted = false;
      if (t < this.minT) this.minT = t;
      if (t > this.maxT) this.maxT = t;
    }
    this.time.put(w, t, this.count === 0);
    this.col.put(w, v, STREAM_LAYOUT);
    this.count++;
  }

  private appendLearned(t: number, v: number, layout: IntLayout): void {
    const col = this.col;
    let x = v;
    if (layout.div !== 1) {
      x = Math.round(v * layout.div);
      if (x / layout.div !== v) x = NaN;
    }
    const fits = isIntEncodable(x);
    if (!col.started && !fits) {
      // A first value outside the layout: this chunk streams without it.
      this.learned = undefined;
      this.append(t, v);
      return;
    }
    const w = this.w;
    if (this.count === 0) {
      this.minT = this.maxT = t;
    } else {
      if (t <= this.time.prevT) this.sorted = false;
      if (t < this.minT) this.minT = t;
      if (t > this.maxT) this.maxT = t;
    }
    this.time.put(w, t, this.count === 0);
    if (!col.started || !col.intMode) col.put(w, col.started ? v : x, layout);
    else if (fits && Number.isInteger((x - col.prev) / col.step)) col.put(w, x, layout);
    else {
      col.putException(w, v);
      this.exceptions++;
    }
    this.count++;
  }

  /** The layout for the series' next chunk (after `compact()`), undefined for the default. */
  nextLayout(): IntLayout | undefined {
    return this.chosen ?? this.learned;
  }

  /** Bits written. */
  get bitPos(): number {
    return this.w.bitPos;
  }

  /** The encoded bytes (a view; copy before the next append if kept). */
  bytes(): Uint8Array {
    return this.w.bytes();
  }

  /** Bytes held, including spare capacity. */
  capacityBytes(): number {
    return this.w.cap;
  }

  /** The chunk re-encoded in its most compact layout (a new exact-size buffer). */
  compact(): Uint8Array {
    const n = this.count;
    if (this.col.changes <= 1) return this.bytes().slice();
    if (this.learned !== undefined && this.exceptions === 0 && !this.recheck) {
      return this.bytes().slice();
    }
    if (scratchT.length < n) {
      scratchT = new Float64Array(n * 2);
      scratchV = new Float64Array(n * 2);
    }
    decodeChunk(this.bytes(), n, scratchT, scratchV);
    const { bytes, layout } = encodeBest(scratchT, scratchV, n);
    this.chosen = layout;
    return bytes.length <= this.bytes().length ? bytes : this.bytes().slice();
  }
}

let scratchT = new Float64Array(1024);
let scratchV = new Float64Array(1024);

// Arena slot layout: numbers per slot in f64 / u32 / u8, and the flag bits of u8[1st] and u8[5th].
const NF = 8; // prevT, prevDelta, prev, prevD, step, div, minT, maxT
const NU = 9; // bitPos, base, cap, slab, prevHi, prevLo, count, exceptions, changes
const NB = 4; // flags, width, leading + 1, trailing
// And two u16 per slot: the learned and the chosen layout's index in LAYOUTS (0: none).
// Slot state is kept in pages of PAGE_SIZE slots (pages.ts; the first page starts small and
// doubles up to PAGE_SIZE).
const F_STARTED = 1;
const F_INT = 2;
const F_DOD = 4;
const F_SORTED = 8;
const F_RECHECK = 16;

/** Integer layouts met so far, interned (index 0: none); at most 4,096 kinds. */
const LAYOUTS: (IntLayout | undefined)[] = [undefined];
const layoutIndex = new Map<string, number>();

/** The index of a layout in LAYOUTS (added when new); 0 when the table is full. */
export function internLayout(l: IntLayout | undefined): number {
  if (l === undefined) return 0;
  const key = `${l.dod ? 1 : 0}|${l.step}|${l.div}`;
  let i = layoutIndex.get(key);
  if (i === undefined) {
    // Beyond this many kinds the rest stream in the default layout (still exact).
    if (LAYOUTS.length >= 4096) return 0;
    i = LAYOUTS.length;
    LAYOUTS.push({ dod: l.dod, step: l.step, div: l.div });
    layoutIndex.set(key, i);
  }
  return i;
}

/** The layout of an index from `internLayout`. */
export function layoutAt(i: number): IntLayout | undefined {
  return LAYOUTS[i];
}
/** Bytes of a slab that regions of open chunks are carved from. */
const SLAB_BYTES = 256 * 1024;

/** Size class of a power-of-two region of at least 16 bytes: log2(len / 16). */
function sizeClass(len: number): number {
  return 27 - Math.clz32(len);
}

/**
 * Open raw chunks of many series without an object per series: every chunk's encoder state
 * lives in typed arrays (one slot each) and its bytes in regions of shared slabs, so millions
 * of open chunks cost the garbage collector a few dozen objects instead of several per series.
 * Regions are carved front to back and never freed one by one; `reset()` drops them all (the
 * raw tier resets its arena when it seals its head). One encoder object is the cursor that
 * loads a slot's state, appends, and stores it back.
 */
export class ChunkArena {
  /** Slot state by page (see PAGE_SIZE): numbers, integers, flag bytes, layout indexes. */
  pf: Float64Array[] = [new Float64Array(64 * NF)];
  pu: Uint32Array[] = [new Uint32Array(64 * NU)];
  pb: Uint8Array[] = [new Uint8Array(64 * NB)];
  pl: Uint16Array[] = [new Uint16Array(64 * 2)];
  /** Slots the pages hold. */
  private capacity = 64;
  slabs: Uint8Array[] = [];
  /** Slots in use: 0 .. size-1. */
  size = 0;
  private curSlab = -1;
  private slabUsed = 0;
  private slabBytes = 0;
  private readonly cursor = new ChunkEncoder(16);
  /** Freed regions by size class k (16 << k bytes): flat [slab, base, slab, base, ...]. */
  private free: number[][] = [];
  readonly regrow = (w: BitWriter): void => {
    const len = w.cap * 2;
    const [slab, base] = this.carve(len);
    const buf = this.slabs[slab];
    buf.set(w.buf.subarray(w.base, w.base + w.cap), base);
    this.release(w.slab, w.base, w.cap);
    w.buf = buf;
    w.base = base;
    w.cap = len;
    w.slab = slab;
  };

  /** Opens a chunk (like `new ChunkEncoder(initialBytes, learned, recheck)`); returns its slot. */
  open(initialBytes: number, learned: IntLayout | undefined, recheck: boolean): number {
    const slot = this.size++;
    if (slot >= this.capacity) this.growSlots(slot + 1);
    let cap = 16;
    while (cap < initialBytes) cap *= 2;
    const [slab, base] = this.carve(cap);
    const pg = slot >>> PAGE_BITS;
    const at = slot & PAGE_MASK;
    const u = this.pu[pg];
    const ou = at * NU;
    u[ou] = 0;
    u[ou + 1] = base;
    u[ou + 2] = cap;
    u[ou + 3] = slab;
    for (let k = 4; k < NU; k++) u[ou + k] = 0;
    const f = this.pf[pg];
    const of = at * NF;
    f.fill(0, of, of + NF);
    f[of + 4] = 1; // step
    f[of + 5] = 1; // div
    f[of + 6] = Infinity; // minT
    f[of + 7] = -Infinity; // maxT
    const b = this.pb[pg];
    const ob = at * NB;
    b.fill(0, ob, ob + NB);
    b[ob] = F_INT | F_DOD | F_SORTED | (recheck ? F_RECHECK : 0);
    const lc = this.pl[pg];
    lc[at * 2] = internLayout(learned);
    lc[at * 2 + 1] = 0;
    return slot;
  }

  /** Appends one sample to the chunk of `slot`. */
  append(slot: number, t: number, v: number): void {
    const c = this.cursor;
    c.load(this, slot);
    c.append(t, v);
    c.save(this, slot);
  }

  count(slot: number): number {
    return this.pu[slot >>> PAGE_BITS][(slot & PAGE_MASK) * NU + 6];
  }

  /** Bytes of the region the chunk of `slot` is written into (it doubles as the chunk grows). */
  regionBytes(slot: number): number {
    return this.pu[slot >>> PAGE_BITS][(slot & PAGE_MASK) * NU + 2];
  }

  minT(slot: number): number {
    return this.pf[slot >>> PAGE_BITS][(slot & PAGE_MASK) * NF + 6];
  }

  maxT(slot: number): number {
    return this.pf[slot >>> PAGE_BITS][(slot & PAGE_MASK) * NF + 7];
  }

  /** False once a timestamp was ≤ the previous one. */
  sorted(slot: number): boolean {
    return (this.pb[slot >>> PAGE_BITS][(slot & PAGE_MASK) * NB] & F_SORTED) !== 0;
  }

  /** The encoded bytes of `slot` (a view into a slab; valid until `reset`). */
  bytes(slot: number): Uint8Array {
    const ou = (slot & PAGE_MASK) * NU;
    const u = this.pu[slot >>> PAGE_BITS];
    return this.slabs[u[ou + 3]].subarray(u[ou + 1], u[ou + 1] + ((u[ou] + 7) >>> 3));
  }

  /** The chunk of `slot` in its most compact form (see `ChunkEncoder.compact`). */
  compact(slot: number): Uint8Array {
    const c = this.cursor;
    c.load(this, slot);
    const out = c.compact();
    c.save(this, slot);
    return out;
  }

  /** The layout for the series' next chunk (after `compact`), undefined for the default. */
  nextLayout(slot: number): IntLayout | undefined {
    return LAYOUTS[this.nextLayoutIndex(slot)];
  }

  /** `nextLayout` as an index for `layoutAt`. */
  nextLayoutIndex(slot: number): number {
    const lc = this.pl[slot >>> PAGE_BITS];
    const at = (slot & PAGE_MASK) * 2;
    return lc[at + 1] || lc[at];
  }

  /** Bytes held: slabs plus slot state. */
  bytesHeld(): number {
    let n = this.slabBytes;
    for (let i = 0; i < this.pf.length; i++) {
      n +=
        this.pf[i].byteLength + this.pu[i].byteLength + this.pb[i].length + this.pl[i].byteLength;
    }
    return n;
  }

  /** Drops every slot and region. */
  reset(): void {
    this.size = 0;
    this.slabs = [];
    this.free = [];
    this.curSlab = -1;
    this.slabUsed = 0;
    this.slabBytes = 0;
  }

  /** A zeroed region of `len` bytes (a power of two ≥ 16): [slab index, offset]. */
  private carve(len: number): [number, number] {
    if (len > SLAB_BYTES / 4) {
      // A large region gets a slab of its own (the current one stays open; never reused).
      this.slabs.push(new Uint8Array(len));
      this.slabBytes += len;
      return [this.slabs.length - 1, 0];
    }
    const list = this.free[sizeClass(len)];
    if (list !== undefined && list.length > 0) {
      const base = list.pop()!;
      const slab = list.pop()!;
      return [slab, base];
    }
    if (this.curSlab < 0 || this.slabUsed + len > SLAB_BYTES) {
      this.slabs.push(new Uint8Array(SLAB_BYTES));
      this.slabBytes += SLAB_BYTES;
      this.curSlab = this.slabs.length - 1;
      this.slabUsed = 0;
    }
    const base = this.slabUsed;
    this.slabUsed += len;
    return [this.curSlab, base];
  }

  /** Zeroes a region left by a chunk that grew and keeps it for the next chunk of its size. */
  private release(slab: number, base: number, len: number): void {
    if (len > SLAB_BYTES / 4) return;
    this.slabs[slab].fill(0, base, base + len);
    const k = sizeClass(len);
    (this.free[k] ??= []).push(slab, base);
  }

  /** Makes room for `slots` slots. */
  reserve(slots: number): void {
    if (slots > this.capacity) this.growSlots(slots);
  }

  /** Room for at least `slots` slots: the first page doubles up to PAGE_SIZE, then whole pages. */
  private growSlots(slots: number): void {
    while (this.capacity < slots) {
      if (this.pf.length === 1 && this.capacity < PAGE_SIZE) {
        const n = Math.min(PAGE_SIZE, this.capacity * 2);
        const f = new Float64Array(n * NF);
        f.set(this.pf[0]);
        this.pf[0] = f;
        const u = new Uint32Array(n * NU);
        u.set(this.pu[0]);
        this.pu[0] = u;
        const b = new Uint8Array(n * NB);
        b.set(this.pb[0]);
        this.pb[0] = b;
        const lc = new Uint16Array(n * 2);
        lc.set(this.pl[0]);
        this.pl[0] = lc;
        this.capacity = n;
      } else {
        this.pf.push(new Float64Array(PAGE_SIZE * NF));
        this.pu.push(new Uint32Array(PAGE_SIZE * NU));
        this.pb.push(new Uint8Array(PAGE_SIZE * NB));
        this.pl.push(new Uint16Array(PAGE_SIZE * 2));
        this.capacity += PAGE_SIZE;
      }
    }
  }
}

/** Divisors tried for non-integer columns, besides the chunk's time step in seconds. */
const DIVISORS = [10, 100, 1000, 10_000, 100_000, 1_000_000];

/** At most this share of a column's values may be exceptions (raw floats) in an int layout. */
const MAX_EXCEPTION_SHARE = 1 / 8;

/** Fills scaled[0..n) with v × d where exact (NaN otherwise); returns the NaN count. */
function scaleBy(
  vs: ArrayLike<number>,
  n: number,
  d: number,
  scaled: Float64Array,
  max: number,
): number {
  let exceptions = 0;
  for (let i = 0; i < n; i++) {
    const v = vs[i];
    const x = d === 1 ? v : Math.round(v * d);
    if (isIntEncodable(x) && (d === 1 || x / d === v)) scaled[i] = x;
    else {
      scaled[i] = NaN;
      if (++exceptions > max) return exceptions;
    }
  }
  return exceptions;
}

/**
 * The most compact layout of a value column (values[0..n)), or undefined for XOR floats: when
 * the values times some divisor d (1, the time step in seconds — a rate over the step — or a
 * power of ten) are integers that divide back exactly, but for a few exceptions (kept as raw
 * floats; NaN in `scaled`), the column holds those integers, with the common step of their
 * deltas and whichever of delta or delta-of-delta leaves more zeros.
 */
function chooseLayout(
  vs: ArrayLike<number>,
  n: number,
  stepS: number,
  scaled: Float64Array,
): IntLayout | undefined {
  const tries = Number.isInteger(stepS) && stepS > 1 ? [1, stepS, ...DIVISORS] : [1, ...DIVISORS];
  const max = Math.floor(n * MAX_EXCEPTION_SHARE);
  let best = -1;
  let bestExceptions = max + 1;
  let filled = false; // scaled holds the best divisor's values
  for (const d of tries) {
    const e = scaleBy(vs, n, d, scaled, Math.min(max, bestExceptions - 1));
    filled = false;
    if (e < bestExceptions && !Number.isNaN(scaled[0])) {
      best = d;
      bestExceptions = e;
      filled = true;
      if (e === 0) break;
    }
  }
  if (best < 0) return undefined;
  if (!filled) scaleBy(vs, n, best, scaled, n);
  let step = 0;
  let zeroD = 0;
  let zeroDod = 0;
  let prev = scaled[0];
  let prevD = NaN;
  for (let i = 1; i < n; i++) {
    const x = scaled[i];
    if (Number.isNaN(x)) continue;
    const d = x - prev;
    if (d === 0) zeroD++;
    else step = gcd(Math.abs(d), step);
    if (d === prevD) zeroDod++;
    prevD = d;
    prev = x;
  }
  return { dod: zeroDod >= zeroD, step: step >= 1 ? step : 1, div: best };
}

/** Appends value i of a column chosen by `chooseLayout` (scaled, or an exception). */
function putChosen(
  col: Column,
  w: BitWriter,
  layout: IntLayout | undefined,
  scaled: Float64Array,
  vs: ArrayLike<number>,
  i: number,
): void {
  if (layout === undefined) col.put(w, vs[i], STREAM_LAYOUT);
  else if (Number.isNaN(scaled[i])) col.putException(w, vs[i]);
  else col.put(w, scaled[i], layout);
}

let scaledScratch = new Float64Array(1024);

function scaledBuffer(n: number): Float64Array {
  if (scaledScratch.length < n) scaledScratch = new Float64Array(n * 2);
  return scaledScratch;
}

/** Regular time step of a chunk in seconds (the first gap), 0 when none. */
function timeStepS(ts: ArrayLike<number>, n: number): number {
  return n > 1 ? (ts[1] - ts[0]) / 1000 : 0;
}

/**
 * Encodes n samples (times encodable, any order) as one chunk in the most compact layout (see
 * `chooseLayout`). `decodeChunk` reads it back exactly.
 */
export function encodeChunk(ts: ArrayLike<number>, vs: ArrayLike<number>, n: number): Uint8Array {
  return encodeBest(ts, vs, n).bytes;
}

function encodeBest(
  ts: ArrayLike<number>,
  vs: ArrayLike<number>,
  n: number,
): { bytes: Uint8Array; layout: IntLayout | undefined } {
  const scaled = scaledBuffer(n);
  const layout = chooseLayout(vs, n, timeStepS(ts, n), scaled);
  const w = new BitWriter(Math.max(16, n >> 1));
  const time = new TimeColumn();
  const col = new Column();
  for (let i = 0; i < n; i++) {
    time.put(w, ts[i], i === 0);
    putChosen(col, w, layout, scaled, vs, i);
  }
  return { bytes: w.bytes().slice(), layout };
}

/**
 * Decodes `count` samples of a raw chunk into `ts[off..]` / `vs[off..]`, in append order.
 * Returns count. Throws a RangeError on a stream shorter than `count` samples.
 */
export function decodeChunk(
  bytes: Uint8Array,
  count: number,
  ts: Float64Array,
  vs: Float64Array,
  off = 0,
): number {
  if (count === 0) return 0;
  const r = new BitReader(bytes);
  const time = new TimeColumn();
  const col = new Column();
  for (let i = 0; i < count; i++) {
    ts[off + i] = time.get(r, i === 0);
    vs[off + i] = col.get(r);
  }
  r.check();
  return count;
}

/**
 * The encoder of one open roll-up chunk: records (start time, min, max, sum, count) in time
 * order. A record whose min, max and sum are equal (one sample, or a constant) costs one flag
 * bit beyond the time, count and sum.
 */
export class RollupEncoder {
  private readonly w = new BitWriter(16);
  private readonly time = new TimeColumn();
  private readonly cnt = new Column();
  private readonly sum = new Column();
  private readonly min = new Column();
  private readonly max = new Column();
  count = 0;
  minT = Infinity;
  maxT = -Infinity;

  /** Appends one record. */
  append(t: number, min: number, max: number, sum: number, count: number): void {
    const w = this.w;
    if (t < this.minT) this.minT = t;
    if (t > this.maxT) this.maxT = t;
    this.time.put(w, t, this.count === 0);
    this.cnt.put(w, count, DELTA_LAYOUT);
    this.sum.put(w, sum, STREAM_LAYOUT);
    if (Object.is(min, sum) && Object.is(max, sum)) w.write(0, 1);
    else {
      w.write(1, 1);
      this.min.put(w, min, STREAM_LAYOUT);
      this.max.put(w, max, STREAM_LAYOUT);
    }
    this.count++;
  }

  /** The encoded bytes (a view). */
  bytes(): Uint8Array {
    return this.w.bytes();
  }

  /** Bytes held, including spare capacity. */
  capacityBytes(): number {
    return this.w.cap;
  }

  /** The chunk re-encoded with the most compact layout of each column (exact-size copy). */
  compact(): Uint8Array {
    const n = this.count;
    const r = rollupRecords(n);
    decodeRollups(this.bytes(), n, r);
    const stepS = timeStepS(r.ts, n);
    const lay = (vs: Float64Array, m: number) => {
      const scaled = new Float64Array(m);
      return { l: chooseLayout(vs, m, stepS, scaled), v: scaled, vs };
    };
    // min/max columns hold only the records that differ from their sum.
    const diff: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!(Object.is(r.min[i], r.sum[i]) && Object.is(r.max[i], r.sum[i]))) diff.push(i);
    }
    const mins = Float64Array.from(diff, (i) => r.min[i]);
    const maxs = Float64Array.from(diff, (i) => r.max[i]);
    const sum = lay(r.sum, n);
    const cnt = lay(r.count, n);
    const mn = lay(mins, diff.length);
    const mx = lay(maxs, diff.length);
    const w = new BitWriter(Math.max(16, n));
    const time = new TimeColumn();
    const cols = [new Column(), new Column(), new Column(), new Column()];
    let k = 0;
    for (let i = 0; i < n; i++) {
      time.put(w, r.ts[i], i === 0);
      putChosen(cols[0], w, cnt.l, cnt.v, cnt.vs, i);
      putChosen(cols[1], w, sum.l, sum.v, sum.vs, i);
      if (diff[k] === i) {
        w.write(1, 1);
        putChosen(cols[2], w, mn.l, mn.v, mn.vs, k);
        putChosen(cols[3], w, mx.l, mx.v, mx.vs, k);
        k++;
      } else w.write(0, 1);
    }
    const out = w.bytes();
    return out.length < this.bytes().length ? out.slice() : this.bytes().slice();
  }
}

const DELTA_LAYOUT: IntLayout = { dod: false, step: 1, div: 1 };

/** Roll-up records decoded from chunks: parallel arrays, in append order. */
export interface RollupRecords {
  ts: Float64Array;
  min: Float64Array;
  max: Float64Array;
  sum: Float64Array;
  count: Float64Array;
}

/** Allocates record arrays for n records. */
export function rollupRecords(n: number): RollupRecords {
  return {
    ts: new Float64Array(n),
    min: new Float64Array(n),
    max: new Float64Array(n),
    sum: new Float64Array(n),
    count: new Float64Array(n),
  };
}

/** Decodes `count` records of a roll-up chunk into `out` at `off`; throws when truncated. */
export function decodeRollups(
  bytes: Uint8Array,
  count: number,
  out: RollupRecords,
  off = 0,
): number {
  if (count === 0) return 0;
  const r = new BitReader(bytes);
  const time = new TimeColumn();
  const cnt = new Column();
  const sum = new Column();
  const min = new Column();
  const max = new Column();
  for (let i = 0; i < count; i++) {
    out.ts[off + i] = time.get(r, i === 0);
    out.count[off + i] = cnt.get(r);
    const s = sum.get(r);
    out.sum[off + i] = s;
    if (r.read(1) === 0) {
      out.min[off + i] = s;
      out.max[off + i] = s;
    } else {
      out.min[off + i] = min.get(r);
      out.max[off + i] = max.get(r);
    }
  }
  r.check();
  return count;
}
