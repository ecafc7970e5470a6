/**
 * The numbers of every live series, in typed arrays (one row per series, rows reused after a
 * series is dropped): its newest time and its open hour roll-up (min, max, sum, count; `hStart`
 * NaN when empty). Kept here rather than as fields so that millions of series do not cost the
 * garbage collector a boxed number per field.
 */
export class SeriesColumns {
  /** Per row: lastMs, hStart, hMin, hMax, hSum. */
  f = new Float64Array(64 * 5);
  /** Per row: hCount. */
  n = new Float64Array(64);
  private rows = 0;
  private readonly freeRows: number[] = [];

  /** A row for a new series: no samples, no open roll-up. */
  alloc(): number {
    let row = this.freeRows.pop();
    if (row === undefined) {
      row = this.rows++;
      if (row >= this.n.length) this.grow();
    }
    const o = row * 5;
    this.f[o] = -Infinity;
    this.f[o + 1] = NaN;
    this.f[o + 2] = this.f[o + 3] = this.f[o + 4] = 0;
    this.n[row] = 0;
    return row;
  }

  /** Makes room for `rows` rows in one step (recovery knows how many series are coming). */
  reserve(rows: number): void {
    if (rows > this.n.length) this.grow(rows);
  }

  /** Frees a row (its series was dropped). */
  release(row: number): void {
    this.freeRows.push(row);
  }

  /** Bytes held. */
  bytes(): number {
    return this.f.byteLength + this.n.byteLength + this.freeRows.length * 8;
  }

  private grow(atLeast = 0): void {
    const rows = Math.max(atLeast, Math.ceil(this.n.length * 1.5));
    const f = new Float64Array(rows * 5);
    f.set(this.f);
    this.f = f;
    const n = new Float64Array(rows);
    n.set(this.n);
    this.n = n;
  }
}

/**
 * One stored series: a plain or labeled metric of one entity. Holds its raw head chunk's arena
 * slot (cached, valid while `slotGen` equals the raw tier's generation); its numbers (newest
 * time, open hour roll-up) live in row `row` of the store's `SeriesColumns`. Strings are
 * interned by the store.
 */
export class Series {
  slot = -1;
  slotGen = -1;
  /** WAL segment generation in which this series was last defined. */
  walGen = -1;

  constructor(
    readonly id: number,
    readonly key: string,
    readonly metric: string,
    /** `labelsKey()` of a labeled value's labels; undefined for a plain metric. */
    readonly labels: string | undefined,
    private readonly cols: SeriesColumns,
    /** Row in `cols`; -1 once the series was dropped. */
    public row: number,
  ) {}

  get lastMs(): number {
    return this.cols.f[this.row * 5];
  }
  set lastMs(v: number) {
    this.cols.f[this.row * 5] = v;
  }
  get hStart(): number {
    return this.cols.f[this.row * 5 + 1];
  }
  set hStart(v: number) {
    this.cols.f[this.row * 5 + 1] = v;
  }
  get hMin(): number {
    return this.cols.f[this.row * 5 + 2];
  }
  set hMin(v: number) {
    this.cols.f[this.row * 5 + 2] = v;
  }
  get hMax(): number {
    return this.cols.f[this.row * 5 + 3];
  }
  set hMax(v: number) {
    this.cols.f[this.row * 5 + 3] = v;
  }
  get hSum(): number {
    return this.cols.f[this.row * 5 + 4];
  }
  set hSum(v: number) {
    this.cols.f[this.row * 5 + 4] = v;
  }
  get hCount(): number {
    return this.cols.n[this.row];
  }
  set hCount(v: number) {
    this.cols.n[this.row] = v;
  }
}
