import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Batch } from '../core/batch.js';
import { labelsKey } from '../core/batch.js';
import type {
  AggregateBucket,
  AggregateQuery,
  HistoryStore,
  Point,
  Query,
} from '../core/contracts.js';
import { bucketStart, bucketsFromRaw, bucketsFromRollups } from './aggregate.js';
import type { Rollups } from './aggregate.js';
import { RollupEncoder, isEncodableTime } from './chunk-codec.js';
import { RecordTier } from './record-tier.js';
import { PAGE_BITS, PAGE_MASK } from './pages.js';
import { Series, SeriesColumns } from './series.js';
import { RawTier, Tier, rollupBlock } from './tier.js';
import type { SealedBlock } from './tier.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Defaults: raw for 24 h, roll-ups for 30 days, per-minute roll-ups for at most 7 days. */
export const DEFAULT_RETENTION_RAW_MS = DAY_MS;
export const DEFAULT_RETENTION_MS = 30 * DAY_MS;
export const MAX_MINUTE_RETENTION_MS = 7 * DAY_MS;
/** Raw data is sealed into blocks of this span (and the minute tier with it). */
export const DEFAULT_BLOCK_MS = 2 * HOUR_MS;
/** The hour tier is sealed into blocks of this span (its open records are plain numbers). */
const HOUR_BLOCK_MS = 6 * HOUR_MS;

/** The entity of a key: its series by metric (plain) and by metric then labels (labeled). */
interface Entity {
  readonly key: string;
  readonly plain: Map<string, Series>;
  readonly labeled: Map<string, Map<string, Series>>;
  count: number;
  /** The plain values' names and series of the entity's last batch, by position (fast path). */
  names: string[];
  plainSeries: Series[];
  /** The labeled values' names, labels and series of the last batch, by position. */
  lvNames: string[];
  lvLabels: Labels[];
  lvSeries: Series[];
}

type Labels = Readonly<Record<string, string>>;

/** True when two label sets are equal. */
function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

/** Options of the compressed store. Durations in ms. */
export interface TsdbStoreOptions {
  /** Raw samples kept, measured back from the newest batch (default 24 h). */
  retentionRawMs?: number;
  /** Roll-ups kept (default 30 days); raised to `retentionRawMs` when below it. */
  retentionMs?: number;
  /** Span of a raw block (default 2 h; tests use less). */
  blockMs?: number;
  /** Called with sealed blocks and retention drops (persistence); must not throw. */
  hooks?: StoreHooks;
  /** Registers the store's gauges here when given. */
  registry?: Registry;
}

/** What persistence observes. Called synchronously inside `append`. */
export interface StoreHooks {
  /** A batch's accepted samples, before they are applied. */
  onBatch(store: TsdbStore, t: number, series: readonly Series[], values: Float64Array): void;
  /** Blocks were sealed (generation `gen` starts now); dropped blocks left retention. */
  onSeal(store: TsdbStore, gen: number, sealed: SealedRef[], dropped: SealedRef[]): void;
}

/** A sealed block with its tier name and the generation at which it was sealed. */
export interface SealedRef {
  readonly tier: TierName;
  readonly gen: number;
  readonly block: SealedBlock;
}

export type TierName = 'raw' | '1m' | '1h';

/**
 * The embedded time-series store: every plain and labeled value of every entity, compressed
 * (Gorilla chunks, see chunk-codec.ts) in three tiers — raw samples for `retentionRawMs`,
 * per-minute roll-ups (min, max, sum, count) for min(retention, 7 days), per-hour roll-ups for
 * `retentionMs`, all measured back from the newest appended batch. A raw block that leaves
 * retention becomes a block of minute roll-ups (so the minute tier holds only what raw no longer
 * does; minute queries add the raw samples); hour roll-ups accumulate as samples arrive. Sealed
 * raw chunks are re-encoded in their most compact layout. Raw queries behave exactly
 * like MemoryStore with `retentionMs = retentionRawMs` (points t ≥ newest − retentionRaw, time
 * order, a rewrite of a timestamp wins, non-finite values not stored; timestamps are integer ms
 * (rounded)). Series are dropped once their newest point leaves every tier. Roll-ups count every
 * appended value, including rewrites of a stored timestamp. Synchronous, single event loop.
 */
export class TsdbStore implements HistoryStore {
  readonly retentionMs: number;
  readonly retentionRawMs: number;
  readonly retentionRollupMs: number;
  readonly retentionMinuteMs: number;
  readonly blockMs: number;
  readonly raw = new RawTier();
  readonly minute = new Tier(() => new RollupEncoder());
  readonly hour = new RecordTier();
  /** Generation: bumped at every raw seal (every `blockMs` of data). */
  gen = 0;
  newestMs = -Infinity;
  private rawHeadEndMs = NaN;
  private hourHeadEndMs = NaN;
  private readonly entities = new Map<string, Entity>();
  /** Live series by row (rows are dense and reused): 8 bytes per series, not a Set entry. */
  private readonly byRow: (Series | undefined)[] = [];
  private live = 0;
  private readonly cols = new SeriesColumns();
  private readonly intern = new Map<string, string>();
  private nextId = 0;
  /** A lower bound of every live series' newest time (eviction scans only once it expires). */
  private minLastMs = -Infinity;
  private latestBatch: Batch | undefined;
  private hooks: StoreHooks | undefined;
  private closer: (() => Promise<void>) | undefined;
  private scratchSeries: Series[] = [];
  private scratchValues = new Float64Array(1024);

  constructor(opts: TsdbStoreOptions = {}) {
    const rawMs = opts.retentionRawMs ?? DEFAULT_RETENTION_RAW_MS;
    if (!(rawMs >= 0)) throw new RangeError(`retentionRawMs must be >= 0, got ${rawMs}`);
    this.retentionRawMs = rawMs;
    this.retentionMs = rawMs;
    this.retentionRollupMs = Math.max(rawMs, opts.retentionMs ?? DEFAULT_RETENTION_MS);
    this.retentionMinuteMs = Math.min(this.retentionRollupMs, MAX_MINUTE_RETENTION_MS);
    this.blockMs = opts.blockMs ?? DEFAULT_BLOCK_MS;
    if (!(this.blockMs >= 1)) throw new RangeError(`blockMs must be >= 1, got ${this.blockMs}`);
    this.hooks = opts.hooks;
    if (opts.registry) this.registerGauges(opts.registry);
  }

  /** Sets the persistence hooks (after recovery replayed the files). */
  setHooks(hooks: StoreHooks | undefined): void {
    this.hooks = hooks;
  }

  append(batch: Batch, opts?: { readonly partial?: boolean }): void {
    if (!Number.isFinite(batch.timestampMs)) return;
    const t = Math.round(batch.timestampMs);
    if (!isEncodableTime(t)) return;
    if (t < this.newestMs - this.retentionRawMs) return;
    if (t > this.newestMs) this.newestMs = t;
    if (!opts?.partial) this.setLatest(batch);
    if (!(t < this.rawHeadEndMs)) this.maybeSeal(t);
    // Collect (series, value) first so persistence sees the batch before it is applied.
    // Reused across batches (indexed, not emptied: emptying frees and regrows its storage).
    const list = this.scratchSeries;
    let n = 0;
    if (this.scratchValues.length < 64) this.scratchValues = new Float64Array(1024);
    for (const [key, set] of batch.sets) {
      let ent: Entity | undefined;
      // Fast path: an entity reports the same names in the same order tick after tick.
      let k = 0;
      // forEach: no entry array per value (a for-of over the Map allocates one each).
      set.values.forEach((value, name) => {
        if (!Number.isFinite(value)) return;
        ent ??= this.entity(key);
        let s: Series;
        if (ent.names[k] === name) s = ent.plainSeries[k];
        else {
          let found = ent.plain.get(name);
          if (found === undefined) {
            found = this.newSeries(ent, name, undefined);
            ent.plain.set(found.metric, found);
          }
          s = found;
          ent.names[k] = name;
          ent.plainSeries[k] = s;
        }
        k++;
        if (n >= this.scratchValues.length) this.growScratch();
        list[n] = s;
        this.scratchValues[n++] = value;
      });
      if (ent !== undefined && ent.names.length > k) {
        ent.names.length = k;
        ent.plainSeries.length = k;
      }
      k = 0;
      for (const lv of set.labeled) {
        if (!Number.isFinite(lv.value)) continue;
        ent ??= this.entity(key);
        let s: Series;
        if (ent.lvNames[k] === lv.name && sameLabels(ent.lvLabels[k], lv.labels)) {
          s = ent.lvSeries[k];
        } else {
          let byLabels = ent.labeled.get(lv.name);
          if (byLabels === undefined) {
            byLabels = new Map();
            ent.labeled.set(this.str(lv.name), byLabels);
          }
          const lk = labelsKey(lv.labels);
          let found = byLabels.get(lk);
          if (found === undefined) {
            found = this.newSeries(ent, lv.name, lk);
            byLabels.set(found.labels!, found);
          }
          s = found;
          ent.lvNames[k] = lv.name;
          ent.lvLabels[k] = lv.labels;
          ent.lvSeries[k] = s;
        }
        k++;
        if (n >= this.scratchValues.length) this.growScratch();
        list[n] = s;
        this.scratchValues[n++] = lv.value;
      }
      if (ent !== undefined && ent.lvNames.length > k) {
        ent.lvNames.length = k;
        ent.lvLabels.length = k;
        ent.lvSeries.length = k;
      }
    }
    if (list.length > n) list.length = n;
    this.hooks?.onBatch(this, t, list, this.scratchValues);
    this.applySamples(t, list, this.scratchValues, n);
    this.evictSeries();
  }

  /** Applies samples of one timestamp (used by append and by WAL replay). */
  applySamples(t: number, list: readonly Series[], values: Float64Array, n: number): void {
    const raw = this.raw;
    const arena = raw.arena;
    const cols = this.cols;
    if (n > 0) raw.noteHead(t, n);
    const h = bucketStart(t, HOUR_MS);
    for (let i = 0; i < n; i++) {
      const s = list[i];
      const v = values[i];
      let slot = s.slot;
      if (s.slotGen !== raw.gen) {
        slot = s.slot = raw.slotFor(s.id, s.row);
        s.slotGen = raw.gen;
      }
      arena.append(slot, t, v);
      // The series' numbers (see SeriesColumns): read here directly, not through accessors.
      const page = s.row >>> PAGE_BITS;
      const r = s.row & PAGE_MASK;
      const f = cols.f[page];
      const cn = cols.n[page];
      const o = r * 5;
      if (t > f[o]) {
        if (f[o] === -Infinity && t < this.minLastMs) this.minLastMs = t;
        f[o] = t;
      }
      // The open hour roll-up (the minute tier is made from raw blocks leaving retention).
      if (h !== f[o + 1]) {
        if (cn[r] > 0) this.flushHour(s);
        f[o + 1] = h;
        f[o + 2] = f[o + 3] = f[o + 4] = v;
        cn[r] = 1;
      } else {
        if (v < f[o + 2]) f[o + 2] = v;
        if (v > f[o + 3]) f[o + 3] = v;
        f[o + 4] += v;
        cn[r]++;
      }
    }
  }

  /**
   * Replays a WAL batch: like append, but the series are known and nothing is logged. Expired
   * series are dropped once, by `endRecovery`: recovered series may lack samples until their
   * batch comes, and a scan of every series per replayed batch cost most of a restart (36 of
   * 66 s for 2.65 M series and 11,800 batches).
   */
  replay(t: number, list: readonly Series[], values: Float64Array, n: number): void {
    if (t < this.newestMs - this.retentionRawMs) return;
    if (t > this.newestMs) this.newestMs = t;
    if (!(t < this.rawHeadEndMs)) this.maybeSeal(t);
    this.applySamples(t, list, values, n);
  }

  /** Makes room for `count` series in one step (recovery counts them first). */
  reserveSeries(count: number): void {
    const rows = Math.max(this.live, count);
    this.cols.reserve(rows);
    this.raw.reserve(rows);
  }

  /** After recovery (blocks, snapshot, WAL replay): drops the series past every retention. */
  endRecovery(): void {
    this.evictSeries();
  }

  query(q: Query): Point[] {
    const s = this.find(q);
    if (s === undefined) return [];
    const start = Math.max(q.startMs, this.newestMs - this.retentionRawMs);
    const { ts, vs, n } = this.readRaw(s, start, q.endMs);
    const out: Point[] = new Array<Point>(n);
    for (let i = 0; i < n; i++) out[i] = { timestampMs: ts[i], value: vs[i] };
    return out;
  }

  /**
   * Aggregated query. Tier: raw when the range starts within raw retention, when the store
   * holds nothing older, or when the step is below 1 min; else per-minute roll-ups when the step
   * is below 1 h or the range starts within the minute tier's retention; else per-hour
   * roll-ups. Roll-up buckets are placed by their start time, so steps should be multiples of
   * the tier's resolution. Percentiles from roll-ups: see `bucketsFromRollups`.
   */
  queryAggregated(q: AggregateQuery): AggregateBucket[] {
    if (!(q.stepMs >= 1)) throw new RangeError(`stepMs must be >= 1, got ${q.stepMs}`);
    const s = this.find(q);
    if (s === undefined) return [];
    const rawCut = this.newestMs - this.retentionRawMs;
    const oldest = this.oldestMs();
    if (q.startMs >= rawCut || oldest >= rawCut || q.stepMs < MINUTE_MS) {
      const { ts, vs, n } = this.readRaw(s, Math.max(q.startMs, rawCut), q.endMs);
      return bucketsFromRaw(ts, vs, n, q.stepMs);
    }
    const minuteCut = this.newestMs - this.retentionMinuteMs;
    const useMinute = q.stepMs < HOUR_MS || q.startMs >= minuteCut || oldest >= minuteCut;
    return bucketsFromRollups(this.readRollups(s, q.startMs, q.endMs, useMinute), q.stepMs);
  }

  latest(): Batch | undefined {
    return this.latestBatch;
  }

  setLatest(batch: Batch): void {
    if (this.latestBatch === undefined || batch.timestampMs >= this.latestBatch.timestampMs) {
      this.latestBatch = batch;
    }
  }

  metricNames(key: string): string[] {
    const ent = this.entities.get(key);
    if (ent === undefined) return [];
    const names = new Set<string>(ent.plain.keys());
    for (const name of ent.labeled.keys()) names.add(name);
    return [...names].sort();
  }

  keys(): string[] {
    return [...this.entities.keys()].sort();
  }

  /** Live series. */
  seriesCount(): number {
    return this.live;
  }

  private *liveSeries(): IterableIterator<Series> {
    for (const s of this.byRow) if (s !== undefined) yield s;
  }

  /** Every live series (for snapshots). */
  series(): IterableIterator<Series> {
    return this.liveSeries();
  }

  /** The series with this identity, created when missing (recovery). */
  seriesFor(key: string, metric: string, labels: string | undefined): Series {
    // A recovered series may get no sample: the next eviction scan looks at it. (Series
    // created by `append` get their sample at once, which lowers minLastMs as needed — no
    // full scan per append while series are being created.)
    this.minLastMs = -Infinity;
    const ent = this.entity(key);
    if (labels === undefined) {
      let s = ent.plain.get(metric);
      if (s === undefined) {
        s = this.newSeries(ent, metric, undefined);
        ent.plain.set(s.metric, s);
      }
      return s;
    }
    let byLabels = ent.labeled.get(metric);
    if (byLabels === undefined) {
      byLabels = new Map();
      ent.labeled.set(this.str(metric), byLabels);
    }
    let s = byLabels.get(labels);
    if (s === undefined) {
      s = this.newSeries(ent, metric, labels);
      byLabels.set(s.labels!, s);
    }
    return s;
  }

  /** Adds a recovered block to a tier (ids already mapped to this store's series). */
  addBlock(tier: TierName, block: SealedBlock): void {
    const t = this.tier(tier);
    t.blocks.push(block);
    t.blocks.sort((a, b) => a.minT - b.minT);
  }

  /** Restores generation and head boundaries after recovery. */
  restoreClock(gen: number, newestMs: number, rawHeadEndMs: number, hourHeadEndMs: number): void {
    this.gen = gen;
    this.newestMs = newestMs;
    this.rawHeadEndMs = rawHeadEndMs;
    this.hourHeadEndMs = hourHeadEndMs;
  }

  /** Head boundaries, for snapshots. */
  clock(): { gen: number; newestMs: number; rawHeadEndMs: number; hourHeadEndMs: number } {
    return {
      gen: this.gen,
      newestMs: this.newestMs,
      rawHeadEndMs: this.rawHeadEndMs,
      hourHeadEndMs: this.hourHeadEndMs,
    };
  }

  tier(name: TierName): RawTier | Tier<RollupEncoder> | RecordTier {
    return name === 'raw' ? this.raw : name === '1m' ? this.minute : this.hour;
  }

  /** Encoded bytes per tier plus an estimate of the index (series objects and maps). */
  memoryBytes(): { raw: number; minute: number; hour: number; index: number } {
    return {
      raw: this.raw.bytes(),
      minute: this.minute.bytes(),
      hour: this.hour.bytes(),
      index: this.live * 160 + this.cols.bytes(),
    };
  }

  /** Flushes and closes files (when persistent); later appends stay in memory only. */
  async close(): Promise<void> {
    const closer = this.closer;
    this.closer = undefined;
    this.hooks = undefined;
    if (closer) await closer();
  }

  /** Sets what `close` runs (persistence). */
  setCloser(closer: (() => Promise<void>) | undefined): void {
    this.closer = closer;
  }

  /** Series by id (live ones), for writing blocks. */
  seriesById(): Map<number, Series> {
    const m = new Map<number, Series>();
    for (const s of this.byRow) if (s !== undefined) m.set(s.id, s);
    return m;
  }

  private growScratch(): void {
    const grown = new Float64Array(this.scratchValues.length * 2);
    grown.set(this.scratchValues);
    this.scratchValues = grown;
  }

  private str(s: string): string {
    const hit = this.intern.get(s);
    if (hit !== undefined) return hit;
    this.intern.set(s, s);
    return s;
  }

  private entity(key: string): Entity {
    let ent = this.entities.get(key);
    if (ent === undefined) {
      ent = {
        key: this.str(key),
        plain: new Map(),
        labeled: new Map(),
        count: 0,
        names: [],
        plainSeries: [],
        lvNames: [],
        lvLabels: [],
        lvSeries: [],
      };
      this.entities.set(ent.key, ent);
    }
    return ent;
  }

  private newSeries(ent: Entity, metric: string, labels: string | undefined): Series {
    const s = new Series(
      this.nextId++,
      ent.key,
      this.str(metric),
      labels === undefined ? undefined : this.str(labels),
      this.cols,
      this.cols.alloc(),
    );
    ent.count++;
    while (this.byRow.length <= s.row) this.byRow.push(undefined);
    this.byRow[s.row] = s;
    this.live++;
    return s;
  }

  private find(q: Query): Series | undefined {
    const ent = this.entities.get(q.key);
    if (ent === undefined) return undefined;
    return q.labels === undefined
      ? ent.plain.get(q.metric)
      : ent.labeled.get(q.metric)?.get(labelsKey(q.labels));
  }

  /** Raw points of s in [startMs, endMs], time-sorted, a rewritten timestamp's last value. */
  private readRaw(
    s: Series,
    startMs: number,
    endMs: number,
  ): { ts: Float64Array; vs: Float64Array; n: number } {
    if (startMs > endMs) return { ts: new Float64Array(0), vs: new Float64Array(0), n: 0 };
    const r = this.raw.read(s.id, startMs, endMs, s.row);
    let { ts, vs } = r;
    let n = r.n;
    if (!r.sorted) {
      const order = Array.from({ length: n }, (_, i) => i);
      order.sort((a, b) => ts[a] - ts[b] || a - b); // stable: later appends last
      const t2 = new Float64Array(n);
      const v2 = new Float64Array(n);
      let m = 0;
      for (let k = 0; k < n; k++) {
        const i = order[k];
        if (m > 0 && t2[m - 1] === ts[i]) {
          v2[m - 1] = vs[i];
          continue;
        }
        t2[m] = ts[i];
        v2[m] = vs[i];
        m++;
      }
      ts = t2;
      vs = v2;
      n = m;
    }
    let lo = 0;
    while (lo < n && ts[lo] < startMs) lo++;
    let hi = n;
    while (hi > lo && ts[hi - 1] > endMs) hi--;
    return { ts: ts.subarray(lo, hi), vs: vs.subarray(lo, hi), n: hi - lo };
  }

  /** Roll-up records of s with start in [startMs, endMs], merged by time, open ones included. */
  private readRollups(s: Series, startMs: number, endMs: number, minute: boolean): Rollups {
    const tier = minute ? this.minute : this.hour;
    const cut = this.newestMs - (minute ? this.retentionMinuteMs : this.retentionRollupMs);
    const from = Math.max(startMs, cut);
    const r = tier.readRollups(s.id, from, endMs);
    const recs = new Map<number, [number, number, number, number]>();
    const add = (t: number, mn: number, mx: number, sum: number, c: number): void => {
      if (t < from || t > endMs || c === 0) return;
      const r = recs.get(t);
      if (r === undefined) recs.set(t, [mn, mx, sum, c]);
      else {
        if (mn < r[0]) r[0] = mn;
        if (mx > r[1]) r[1] = mx;
        r[2] += sum;
        r[3] += c;
      }
    };
    for (let i = 0; i < r.n; i++) add(r.ts[i], r.min[i], r.max[i], r.sum[i], r.count[i]);
    if (minute) {
      // Samples still held raw are not rolled up yet: aggregate them by minute here.
      const raw = this.raw.read(s.id, from, endMs, s.row);
      for (let i = 0; i < raw.n; i++) {
        const v = raw.vs[i];
        add(bucketStart(raw.ts[i], MINUTE_MS), v, v, v, 1);
      }
    } else {
      if (s.hCount > 0) add(s.hStart, s.hMin, s.hMax, s.hSum, s.hCount);
    }
    const times = [...recs.keys()].sort((a, b) => a - b);
    const out: Rollups = { ts: times, min: [], max: [], sum: [], count: [] };
    for (const t of times) {
      const r = recs.get(t)!;
      out.min.push(r[0]);
      out.max.push(r[1]);
      out.sum.push(r[2]);
      out.count.push(r[3]);
    }
    return out;
  }

  private flushHour(s: Series): void {
    const t = s.hStart;
    this.hour.append(s.id, t, s.hMin, s.hMax, s.hSum, s.hCount);
    this.hour.noteHead(t);
    s.hCount = 0;
    s.hStart = NaN;
  }

  /** Seals the raw and minute heads when t reaches the end of the raw head's span. */
  private maybeSeal(t: number): void {
    const span = this.blockMs;
    if (Number.isNaN(this.rawHeadEndMs) || this.raw.headSize() === 0) {
      this.rawHeadEndMs = bucketStart(t, span) + span;
      if (Number.isNaN(this.hourHeadEndMs))
        this.hourHeadEndMs = bucketStart(t, HOUR_BLOCK_MS) + HOUR_BLOCK_MS;
      if (this.raw.headSize() === 0) return;
    }
    this.gen++;
    const sealed: SealedRef[] = [];
    const rawBlock = this.raw.seal();
    if (rawBlock) sealed.push({ tier: 'raw', gen: this.gen, block: rawBlock });
    if (!(t < this.hourHeadEndMs)) {
      const hourBlock = this.hour.seal();
      if (hourBlock) sealed.push({ tier: '1h', gen: this.gen, block: hourBlock });
      this.hourHeadEndMs = bucketStart(t, HOUR_BLOCK_MS) + HOUR_BLOCK_MS;
    }
    this.rawHeadEndMs = bucketStart(t, span) + span;
    const dropped: SealedRef[] = [];
    const drop = (tier: TierName, cutMs: number): SealedBlock[] => {
      const blocks = this.tier(tier).dropBefore(cutMs);
      for (const block of blocks) dropped.push({ tier, gen: -1, block });
      return blocks;
    };
    // Raw blocks leaving retention become per-minute roll-ups (the minute tier holds only
    // what raw no longer does; queries add the raw samples).
    const expiredRaw = drop('raw', this.newestMs - this.retentionRawMs);
    const minuteBlock = rollupBlock(expiredRaw, MINUTE_MS);
    if (minuteBlock !== undefined) {
      this.addBlock('1m', minuteBlock);
      sealed.push({ tier: '1m', gen: this.gen, block: minuteBlock });
    }
    drop('1m', this.newestMs - this.retentionMinuteMs);
    drop('1h', this.newestMs - this.retentionRollupMs);
    this.hooks?.onSeal(this, this.gen, sealed, dropped);
  }

  /** Oldest time any tier may still hold (the first block's start, else the head's). */
  private oldestMs(): number {
    let oldest = Infinity;
    for (const tier of [this.raw, this.minute, this.hour]) {
      if (tier.blocks.length > 0) oldest = Math.min(oldest, tier.blocks[0].minT);
      oldest = Math.min(oldest, tier.headMinT);
    }
    return oldest;
  }

  /** Drops series whose newest point left every tier. */
  private evictSeries(): void {
    const cut = this.newestMs - this.retentionRollupMs;
    if (cut <= this.minLastMs) return;
    let min = Infinity;
    const byRow = this.byRow;
    for (let row = 0; row < byRow.length; row++) {
      const s = byRow[row];
      if (s === undefined) continue;
      if (s.lastMs >= cut) {
        if (s.lastMs < min) min = s.lastMs;
        continue;
      }
      byRow[row] = undefined;
      this.live--;
      // The row goes to the next new series: the raw tier forgets what it kept under it.
      this.raw.releaseRow(s.row);
      this.cols.release(s.row);
      s.row = -1;
      const ent = this.entities.get(s.key);
      if (ent === undefined) continue;
      ent.names.length = ent.plainSeries.length = 0;
      ent.lvNames.length = ent.lvLabels.length = ent.lvSeries.length = 0;
      if (s.labels === undefined) ent.plain.delete(s.metric);
      else {
        const byLabels = ent.labeled.get(s.metric);
        byLabels?.delete(s.labels);
        if (byLabels !== undefined && byLabels.size === 0) ent.labeled.delete(s.metric);
      }
      if (--ent.count === 0) this.entities.delete(s.key);
    }
    this.minLastMs = min;
  }

  private registerGauges(registry: Registry): void {
    const registers = [registry];
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const store = this;
    new Gauge({
      name: 'heapster_store_bytes',
      help: 'Memory held by the embedded store, by part (raw, minute, hour, index)',
      labelNames: ['part'],
      registers,
      collect() {
        const m = store.memoryBytes();
        this.set({ part: 'raw' }, m.raw);
        this.set({ part: 'minute' }, m.minute);
        this.set({ part: 'hour' }, m.hour);
        this.set({ part: 'index' }, m.index);
      },
    });
    new Gauge({
      name: 'heapster_store_samples',
      help: 'Samples held by the embedded store, by tier (raw samples; minute and hour roll-up records)',
      labelNames: ['tier'],
      registers,
      collect() {
        this.set({ tier: 'raw' }, store.raw.samples());
        this.set({ tier: 'minute' }, store.minute.samples());
        this.set({ tier: 'hour' }, store.hour.samples());
      },
    });
    new Gauge({
      name: 'heapster_store_series',
      help: 'Series held by the embedded store',
      registers,
      collect() {
        this.set(store.seriesCount());
      },
    });
  }
}
