import type { Batch, LabeledValue, MetricSet } from '../core/batch.js';
import { labelsKey } from '../core/batch.js';
import type { Processor } from '../core/contracts.js';
import type { MetricDescriptor } from '../core/metrics.js';
import { RATED_METRICS, metricDescriptor } from '../core/metrics.js';
import { ConfigError } from '../config/types.js';

/** Options of the rate calculator. */
export interface RateCalculatorOptions {
  /**
   * Forget an entity not seen in any batch for longer than this (ms, exclusive; default
   * 15 min). Until then its last sample is kept, so a gap of a few ticks still yields a
   * rate over the whole gap. Also: a batch timestamp more than this far behind the previous
   * one is taken as a clock step back and restarts the calculator.
   */
  readonly maxAgeMs?: number;
  /** Cumulative metrics to rate (default: the catalogue's `RATED_METRICS`). */
  readonly metrics?: readonly MetricDescriptor[];
}

/** Default `maxAgeMs`: 15 minutes. */
export const DEFAULT_RATE_MAX_AGE_MS = 15 * 60 * 1000;

/** What a rated metric turns into, resolved once from the catalogue. */
interface RateRule {
  /** Index into `Sample.plain` (plain metrics only). */
  readonly index: number;
  readonly name: string;
  readonly rateName: string;
  readonly scale: number;
  readonly roundToInt: boolean;
}

/** The last sample of one entity: only the numbers a rate needs. */
interface Sample {
  scrapeTimeMs: number;
  collectionStartMs: number;
  /** Batch timestamp of the last batch holding this entity. */
  seenAtMs: number;
  /** Previous values of the plain rated metrics, by rule index; NaN = absent. */
  readonly plain: Float64Array;
  /** Previous values of labeled rated metrics by `name \0 labelsKey`; undefined = none. */
  labeled: Map<string, number> | undefined;
}

function toRule(desc: MetricDescriptor, index: number): RateRule {
  const rate = desc.rate;
  if (rate === undefined) throw new ConfigError(`metric ${desc.name} has no rate spec`);
  return Object.freeze({
    index,
    name: desc.name,
    rateName: rate.name,
    scale: rate.perSecondScale,
    roundToInt: metricDescriptor(rate.name)?.valueType === 'int64',
  });
}

function labeledId(lv: LabeledValue): string {
  return lv.name + '\u0000' + labelsKey(lv.labels);
}

/**
 * `rate calculator`: turns cumulative counters into per-second rates, driven only by the
 * catalogue's rate specs: rate = perSecondScale × Δvalue / Δs, Δs from the entity's
 * scrapeTimeMs. Plain rates are set in `values` (a rate the source already reported is kept);
 * labeled rates (e.g. disk/io_*_bytes per resource_id) are appended to `labeled` with a copy
 * of the counter's labels. int64 rates (cpu/usage_rate, millicores) are rounded.
 *
 * Never emits a negative or made-up rate: nothing on the first batch, nor when the batch
 * timestamp does not advance; per entity nothing unless its scrapeTimeMs advanced and its
 * collectionStartMs is unchanged (a restart); per metric nothing when the counter went
 * down, or either value is missing or non-finite.
 *
 * State is one small record per entity (last scrape/collection-start times and the previous
 * values of rated metrics), kept across ticks that miss the entity and dropped after
 * `maxAgeMs`. Synchronous; mutates and returns the batch; never throws on data.
 */
export class RateCalculator implements Processor {
  readonly name = 'rate calculator';
  private readonly maxAgeMs: number;
  private readonly plainRules: readonly RateRule[];
  private readonly labeledRules: ReadonlyMap<string, RateRule>;
  private readonly rateNames: ReadonlySet<string>;
  private readonly samples = new Map<string, Sample>();
  private lastTimestampMs: number | undefined;
  /** The tick in progress (beginTick … endTick): its timestamp, what it does, sets updated. */
  private tickMs = NaN;
  private mode: 'record' | 'rate' | 'skip' = 'skip';
  private updated = 0;

  constructor(opts: RateCalculatorOptions = {}) {
    const maxAgeMs = opts.maxAgeMs ?? DEFAULT_RATE_MAX_AGE_MS;
    if (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0) {
      throw new ConfigError(`rate calculator: maxAgeMs must be a positive number, got ${maxAgeMs}`);
    }
    this.maxAgeMs = maxAgeMs;
    const metrics = (opts.metrics ?? RATED_METRICS).filter((m) => m.rate !== undefined);
    this.plainRules = metrics.filter((m) => m.labels === undefined).map(toRule);
    this.labeledRules = new Map(
      metrics.filter((m) => m.labels !== undefined).map((m) => [m.name, toRule(m, -1)]),
    );
    this.rateNames = new Set(metrics.map((m) => m.rate?.name ?? ''));
  }

  /** Number of entities whose last sample is kept (for tests and self-metrics). */
  get trackedEntities(): number {
    return this.samples.size;
  }

  process(batch: Batch): Batch {
    this.beginTick(batch.timestampMs);
    this.processPart(batch);
    this.endTick();
    return batch;
  }

  /**
   * Starts a tick: decides once whether its sets get rates (the timestamp advanced), only
   * recorded (the first tick, or a clock step back beyond maxAgeMs), or ignored (out of order).
   */
  beginTick(timestampMs: number): void {
    const last = this.lastTimestampMs;
    this.tickMs = timestampMs;
    this.updated = 0;
    if (last === undefined) this.mode = 'record';
    else if (timestampMs > last) this.mode = 'rate';
    else if (last - timestampMs > this.maxAgeMs) {
      // A step back larger than maxAgeMs is a clock change: start over rather than stall
      // until it catches up.
      this.samples.clear();
      this.mode = 'record';
    } else {
      // Out of order or repeated: no rates, and the newer state is kept.
      this.mode = 'skip';
    }
  }

  /** Rates (or records) the sets of one part of the tick begun by `beginTick`. */
  processPart(part: Batch): Batch {
    const nowMs = this.tickMs;
    if (this.mode === 'skip') return part;
    if (this.mode === 'record') {
      this.record(part, nowMs);
      return part;
    }
    let updated = 0;
    part.sets.forEach((set, key) => {
      const prev = this.samples.get(key);
      if (prev === undefined) {
        const sample = this.sampleOf(set, nowMs);
        if (sample !== undefined) {
          this.samples.set(key, sample);
          updated++;
        }
        return;
      }
      // A key already advanced in this tick (a second part with the same key) is not
      // rated twice against itself.
      if (prev.seenAtMs === nowMs) return;
      const rated =
        set.scrapeTimeMs > prev.scrapeTimeMs && set.collectionStartMs === prev.collectionStartMs;
      // Always keep the newest sample: after a restart or a clock step it is the baseline.
      this.advance(prev, set, rated ? (set.scrapeTimeMs - prev.scrapeTimeMs) / 1000 : 0);
      prev.scrapeTimeMs = set.scrapeTimeMs;
      prev.collectionStartMs = set.collectionStartMs;
      prev.seenAtMs = nowMs;
      updated++;
    });
    this.updated += updated;
    return part;
  }

  /** Ends the tick: forgets entities not seen for longer than maxAgeMs. */
  endTick(): void {
    if (this.mode === 'skip') return;
    this.lastTimestampMs = this.tickMs;
    if (this.mode === 'rate' && this.samples.size > this.updated) this.forget(this.tickMs);
  }

  private record(batch: Batch, nowMs: number): void {
    for (const [key, set] of batch.sets) {
      const sample = this.sampleOf(set, nowMs);
      if (sample !== undefined) this.samples.set(key, sample);
    }
  }

  /** A new sample, or undefined when the set has no rated metric (nothing to remember). */
  private sampleOf(set: MetricSet, nowMs: number): Sample | undefined {
    const sample: Sample = {
      scrapeTimeMs: set.scrapeTimeMs,
      collectionStartMs: set.collectionStartMs,
      seenAtMs: nowMs,
      plain: new Float64Array(this.plainRules.length),
      labeled: undefined,
    };
    return this.advance(sample, set, 0) ? sample : undefined;
  }

  /**
   * One pass over the set's rated values: when `dtS` > 0, adds the rates against the values
   * in `sample`; always replaces them with the set's. True when the set had any rated value.
   */
  private advance(sample: Sample, set: MetricSet, dtS: number): boolean {
    let any = false;
    const plain = sample.plain;
    const values = set.values;
    const rules = this.plainRules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      const now = values.get(rule.name);
      if (now === undefined || !Number.isFinite(now)) {
        plain[i] = NaN;
        continue;
      }
      any = true;
      const old = plain[i];
      plain[i] = now;
      // A NaN `old` (absent before) compares false; a counter that went down gets no rate.
      if (dtS > 0 && now >= old && !values.has(rule.rateName)) {
        const rate = (rule.scale * (now - old)) / dtS;
        values.set(rule.rateName, rule.roundToInt ? Math.round(rate) : rate);
      }
    }
    if (this.labeledRules.size === 0 || set.labeled.length === 0) {
      sample.labeled = undefined;
      return any;
    }
    const prevLabeled = dtS > 0 ? sample.labeled : undefined;
    let nextLabeled: Map<string, number> | undefined;
    let existing: Set<string> | undefined;
    const labeled = set.labeled;
    // Index loops over the length before appending: rates are pushed onto the same array.
    const n = labeled.length;
    if (prevLabeled !== undefined) {
      for (let i = 0; i < n; i++) {
        const lv = labeled[i];
        if (this.rateNames.has(lv.name)) (existing ??= new Set()).add(labeledId(lv));
      }
    }
    for (let i = 0; i < n; i++) {
      const lv = labeled[i];
      const rule = this.labeledRules.get(lv.name);
      const now = lv.value;
      if (rule === undefined || !Number.isFinite(now)) continue;
      const id = labeledId(lv);
      (nextLabeled ??= new Map()).set(id, now);
      const old = prevLabeled?.get(id);
      if (old === undefined || !(now >= old)) continue;
      if (existing?.has(rule.rateName + '\u0000' + labelsKey(lv.labels))) continue;
      const rate = (rule.scale * (now - old)) / dtS;
      labeled.push({
        name: rule.rateName,
        labels: { ...lv.labels },
        value: rule.roundToInt ? Math.round(rate) : rate,
      });
    }
    sample.labeled = nextLabeled;
    return any || nextLabeled !== undefined;
  }

  private forget(nowMs: number): void {
    const oldestMs = nowMs - this.maxAgeMs;
    for (const [key, sample] of this.samples) {
      if (sample.seenAtMs < oldestMs) this.samples.delete(key);
    }
  }
}
