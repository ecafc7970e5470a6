import type { Batch } from '../core/batch.js';
import { labelsKey } from '../core/batch.js';
import type { Point, Query, Store } from '../core/contracts.js';

/** Default history kept by the store: 15 minutes. */
export const DEFAULT_RETENTION_MS = 15 * 60_000;

/** One appended batch: its time and one value per series id (NaN = no value). */
interface Slot {
  readonly timestampMs: number;
  values: Float64Array;
}

/** The series of one entity: metric name -> series id; labeled: name -> labelsKey -> id. */
interface EntitySeries {
  readonly key: string;
  readonly plain: Map<string, number>;
  readonly labeled: Map<string, Map<string, number>>;
  count: number;
}

/** Options of the in-memory store. */
export interface MemoryStoreOptions {
  /**
   * History kept, in ms (default 15 min). Points older than newest batch − retention go; 0 keeps
   * only the newest batch.
   */
  retentionMs?: number;
}

/**
 * The embedded time-series store: every value (plain and labeled) of every entity for
 * `retentionMs`, measured back from the newest appended batch (points with
 * t ≥ newest − retention stay). Layout: one column (Float64Array, NaN = absent) per appended
 * batch, indexed by a dense series id; no object per point. Series whose newest point falls
 * out of retention are dropped and their ids reused, so memory follows the live entity count,
 * not churn. Batches may arrive at any spacing; a batch with the same timestamp as a stored one
 * merges into it, an older one is inserted in time order (or ignored when already outside
 * retention). Non-finite values are not stored. Synchronous; not thread-safe (single event loop).
 */
export class MemoryStore implements Store {
  readonly retentionMs: number;
  /** Oldest first; strictly increasing timestamps. */
  private readonly slots: Slot[] = [];
  private readonly entities = new Map<string, EntitySeries>();
  /** Per series id: newest timestamp holding a value; NaN when the id is free. */
  private lastMs = new Float64Array(0);
  private owners: (EntitySeries | undefined)[] = [];
  private metricOf: (string | undefined)[] = [];
  private labelsOf: (string | undefined)[] = [];
  private readonly freeIds: number[] = [];
  private nextId = 0;
  private liveSeries = 0;
  private spare: Float64Array | undefined;
  private latestBatch: Batch | undefined;

  constructor(opts: MemoryStoreOptions = {}) {
    const retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
    if (!(retentionMs >= 0)) throw new RangeError(`retentionMs must be >= 0, got ${retentionMs}`);
    this.retentionMs = retentionMs;
  }

  append(batch: Batch, opts?: { readonly partial?: boolean }): void {
    const t = batch.timestampMs;
    if (!Number.isFinite(t)) return;
    const newestMs = this.slots.length > 0 ? this.slots[this.slots.length - 1].timestampMs : t;
    if (t < newestMs - this.retentionMs) return;
    const slot = this.slotFor(t);
    for (const [key, set] of batch.sets) {
      let ent = this.entities.get(key);
      if (ent === undefined) {
        ent = { key, plain: new Map(), labeled: new Map(), count: 0 };
        this.entities.set(key, ent);
      }
      for (const [name, value] of set.values) {
        if (!Number.isFinite(value)) continue;
        let id = ent.plain.get(name);
        if (id === undefined) {
          id = this.allocate(ent, name, undefined);
          ent.plain.set(name, id);
        }
        this.write(slot, id, value, t);
      }
      for (const lv of set.labeled) {
        if (!Number.isFinite(lv.value)) continue;
        let byLabels = ent.labeled.get(lv.name);
        if (byLabels === undefined) {
          byLabels = new Map();
          ent.labeled.set(lv.name, byLabels);
        }
        const lk = labelsKey(lv.labels);
        let id = byLabels.get(lk);
        if (id === undefined) {
          id = this.allocate(ent, lv.name, lk);
          byLabels.set(lk, id);
        }
        this.write(slot, id, lv.value, t);
      }
      if (ent.count === 0) this.entities.delete(key);
    }
    // Parts of a tick are tightened once, when the whole batch is published.
    if (opts?.partial) {
      this.evict(this.slots[this.slots.length - 1].timestampMs - this.retentionMs);
      return;
    }
    this.setLatest(batch);
    this.evict(this.slots[this.slots.length - 1].timestampMs - this.retentionMs);
  }

  setLatest(batch: Batch): void {
    // Keep the newest column tight: growth during the appends may have over-allocated.
    const slot = this.slots.at(-1);
    if (slot !== undefined && slot.values.length > this.nextId + (this.nextId >> 3) + 16) {
      slot.values = slot.values.slice(0, this.nextId);
    }
    if (this.latestBatch === undefined || batch.timestampMs >= this.latestBatch.timestampMs) {
      this.latestBatch = batch;
    }
  }

  query(q: Query): Point[] {
    const ent = this.entities.get(q.key);
    if (ent === undefined) return [];
    const id =
      q.labels === undefined
        ? ent.plain.get(q.metric)
        : ent.labeled.get(q.metric)?.get(labelsKey(q.labels));
    if (id === undefined) return [];
    const out: Point[] = [];
    for (let i = this.firstSlotAtOrAfter(q.startMs); i < this.slots.length; i++) {
      const slot = this.slots[i];
      if (slot.timestampMs > q.endMs) break;
      const col = slot.values;
      if (id < col.length) {
        const value = col[id];
        if (!Number.isNaN(value)) out.push({ timestampMs: slot.timestampMs, value });
      }
    }
    return out;
  }

  latest(): Batch | undefined {
    return this.latestBatch;
  }

  metricNames(key: string): string[] {
    const ent = this.entities.get(key);
    if (ent === undefined) return [];
    const names = new Set<string>(ent.plain.keys());
    for (const name of ent.labeled.keys()) names.add(name);
    return [...names].sort();
  }

  /** Keys of every entity with at least one stored point, sorted. */
  keys(): string[] {
    return [...this.entities.keys()].sort();
  }

  /** Number of live series (plain + labeled values with at least one point). */
  seriesCount(): number {
    return this.liveSeries;
  }

  /** Number of stored batches (distinct timestamps) within retention. */
  batchCount(): number {
    return this.slots.length;
  }

  /** Timestamps (ms) of the stored batches, oldest first. */
  timestamps(): number[] {
    return this.slots.map((s) => s.timestampMs);
  }

  private write(slot: Slot, id: number, value: number, t: number): void {
    let col = slot.values;
    if (id >= col.length) {
      const grown = new Float64Array(Math.max(id + 1, col.length + (col.length >> 1) + 16));
      grown.fill(NaN, col.length);
      grown.set(col);
      slot.values = col = grown;
    }
    col[id] = value;
    // NaN (never written) compares false, so the first write always sets it.
    if (!(this.lastMs[id] >= t)) this.lastMs[id] = t;
  }

  private allocate(ent: EntitySeries, metric: string, lk: string | undefined): number {
    let id = this.freeIds.pop();
    if (id === undefined) {
      id = this.nextId++;
      if (id >= this.lastMs.length) {
        const grown = new Float64Array(Math.max(64, this.lastMs.length * 2));
        grown.fill(NaN);
        grown.set(this.lastMs);
        this.lastMs = grown;
      }
    }
    this.owners[id] = ent;
    this.metricOf[id] = metric;
    this.labelsOf[id] = lk;
    this.lastMs[id] = NaN;
    ent.count++;
    this.liveSeries++;
    return id;
  }

  private release(id: number): void {
    const ent = this.owners[id];
    const metric = this.metricOf[id];
    if (ent === undefined || metric === undefined) return;
    const lk = this.labelsOf[id];
    if (lk === undefined) {
      ent.plain.delete(metric);
    } else {
      const byLabels = ent.labeled.get(metric);
      byLabels?.delete(lk);
      if (byLabels !== undefined && byLabels.size === 0) ent.labeled.delete(metric);
    }
    if (--ent.count === 0) this.entities.delete(ent.key);
    this.owners[id] = undefined;
    this.metricOf[id] = undefined;
    this.labelsOf[id] = undefined;
    this.lastMs[id] = NaN;
    this.freeIds.push(id);
    this.liveSeries--;
  }

  /** The slot for time t: the existing one, or a new one inserted in time order. */
  private slotFor(t: number): Slot {
    const n = this.slots.length;
    if (n > 0 && this.slots[n - 1].timestampMs === t) return this.slots[n - 1];
    const i = n === 0 || t > this.slots[n - 1].timestampMs ? n : this.firstSlotAtOrAfter(t);
    if (i < n && this.slots[i].timestampMs === t) return this.slots[i];
    const slot: Slot = { timestampMs: t, values: this.newColumn() };
    if (i === n) this.slots.push(slot);
    else this.slots.splice(i, 0, slot);
    return slot;
  }

  private newColumn(): Float64Array {
    const want = this.nextId;
    let col = this.spare;
    this.spare = undefined;
    if (col === undefined || col.length < want || col.length > want + (want >> 3) + 16) {
      col = new Float64Array(want);
    }
    col.fill(NaN);
    return col;
  }

  /** Drops batches older than cutoffMs, then series left without points. */
  private evict(cutoffMs: number): void {
    let drop = 0;
    while (drop < this.slots.length && this.slots[drop].timestampMs < cutoffMs) drop++;
    if (drop === 0) return;
    this.spare = this.slots[drop - 1].values;
    this.slots.splice(0, drop);
    const lastMs = this.lastMs;
    for (let id = 0; id < this.nextId; id++) {
      if (lastMs[id] < cutoffMs) this.release(id);
    }
  }

  /** Index of the first slot with timestampMs ≥ t (slots.length when none). */
  private firstSlotAtOrAfter(t: number): number {
    let lo = 0;
    let hi = this.slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.slots[mid].timestampMs < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
