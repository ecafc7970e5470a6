import { PAGE_BITS, PAGE_MASK, PAGE_SIZE } from './pages.js';

/**
 * The numbers of every live series, in typed arrays (one row per series, rows reused after a
 * series is dropped): its newest time and its open hour roll-up (min, max, sum, count; `hStart`
 * NaN when empty). Kept here rather than as fields so that millions of series do not cost the
 * garbage collector a boxed number per field. Rows live in pages (pages.ts), so that a
 * cluster's millions of new series add pages instead of copying every row into fresh memory
 * (growing one array by half at a time cost 2.2 s in the first ticks at 1,000 nodes).
 */
export class SeriesColumns {
  /** Per page, per row: lastMs, hStart, hMin, hMax, hSum. */
  readonly f: Float64Array[] = [];
  /** Per page, per row: hCount. */
  readonly n: Float64Array[] = [];
  private rows = 0;
  private readonly freeRows: number[] = [];

  /** A row for a new series: no samples, no open roll-up. */
  alloc(): number {
    let row = this.freeRows.pop();
    if (row === undefined) {
      row = this.rows++;
      if (row >>> PAGE_BITS >= this.n.length) this.addPages(row + 1);
    }
    const f = this.f[row >>> PAGE_BITS];
    const o = (row & PAGE_MASK) * 5;
    f[o] = -Infinity;
    f[o + 1] = NaN;
    f[o + 2] = f[o + 3] = f[o + 4] = 0;
    this.n[row >>> PAGE_BITS][row & PAGE_MASK] = 0;
    return row;
  }

  /** Makes room for `rows` rows in one step (recovery knows how many series are coming). */
  reserve(rows: number): void {
    this.addPages(rows);
  }

  /** Frees a row (its series was dropped). */
  release(row: number): void {
    this.freeRows.push(row);
  }

  /** Bytes held. */
  bytes(): number {
    return this.n.length * PAGE_SIZE * 6 * 8 + this.freeRows.length * 8;
  }

  /** Adds pages until `rows` rows fit. */
  private addPages(rows: number): void {
    while (this.n.length * PAGE_SIZE < rows) {
      this.f.push(new Float64Array(PAGE_SIZE * 5));
      this.n.push(new Float64Array(PAGE_SIZE));
    }
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
    return this.cols.f[this.row >>> PAGE_BITS][(this.row & PAGE_MASK) * 5];
  }
  set lastMs(v: number) {
    this.cols.f[this.row >>> PAGE_BITS][(this.row & PAGE_MASK) * 5] = v;
  }
  get hStart(): number {
    return this.cols.f[this.row >>> PAGE_BITS][(this.row & PAGE_MASK) * 5 + 1];
  }
  set hStart(v: number) {
    this.cols.f[this.row >>> PAGE_BITS][(this.row & PAGE_MASK) * 5 + 1] = v;
  }
  get hMin(): number {
    return this.cols.f[this.row >>> PAGE_BITS][(this.row & PAGE_MASK) * 5 + 2];
  }
  set hMin(v: number) {
    this.cols.f[this.row >>> PAGE_BITS][(this.row & PAGE_MASK) * 5 + 2] = v;
  }
  get hMax(): number {
    return this.cols.f[this.row >>> PAGE_BITS][(this.row & PAGE_MASK) * 5 + 3];
  }
  set hMax(v: number) {
    this.cols.f[this.row >>> PAGE_BITS][(this.row & PAGE_MASK) * 5 + 3] = v;
  }
  get hSum(): number {
    return this.cols.f[this.row >>> PAGE_BITS][(this.row & PAGE_MASK) * 5 + 4];
  }
  set hSum(v: number) {
    this.cols.f[this.row >>> PAGE_BITS][(this.row & PAGE_MASK) * 5 + 4] = v;
  }
  get hCount(): number {
    return this.cols.n[this.row >>> PAGE_BITS][this.row & PAGE_MASK];
  }
  set hCount(v: number) {
    this.cols.n[this.row >>> PAGE_BITS][this.row & PAGE_MASK] = v;
  }
}
