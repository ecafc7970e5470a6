import type { Batch, MetricSet } from '../core/batch.js';
import { countPoints, emptyBatch, mergeInto } from '../core/batch.js';
import type { Processor, Sink, Source, Store, Window } from '../core/contracts.js';
import type { Logger } from '../core/log.js';
import type { SelfMetrics } from '../core/self-metrics.js';
import { nextTick } from './schedule.js';
import { scrapeAll } from './scrape.js';

/** What the pipeline runs and how often. Durations in milliseconds. */
export interface PipelineOptions {
  sources: readonly Source[];
  processors: readonly Processor[];
  /** The embedded store; appended synchronously at the end of every tick. */
  store?: Store;
  /** Sinks; wrap slow ones in QueuedSink so `write` returns at once. */
  sinks: readonly Sink[];
  resolutionMs: number;
  scrapeOffsetMs: number;
  scrapeTimeoutMs: number;
  metrics: SelfMetrics;
  logger: Logger;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * The collection loop: at every aligned window end + offset, scrape all sources in parallel
 * (each bounded by the scrape timeout), run the processors in order, append to the store
 * and hand the batch to every sink. At most one tick runs at a time: a tick that is due
 * while the previous one still runs is skipped and counted, so overruns never pile up.
 */
export class Pipeline {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopping = false;
  private readonly abort = new AbortController();
  private readonly now: () => number;

  constructor(private readonly opts: PipelineOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Starts scheduling ticks. */
  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopping) return;
    const { window, fireAtMs } = nextTick(
      this.now(),
      this.opts.resolutionMs,
      this.opts.scrapeOffsetMs,
    );
    this.timer = setTimeout(() => this.fire(window), Math.max(0, fireAtMs - this.now()));
  }

  private fire(window: Window): void {
    if (this.current) {
      this.opts.metrics.ticksSkipped.inc();
      this.opts.logger.warn(
        { window: new Date(window.endMs).toISOString() },
        'previous tick is still running; skipping this tick (resolution too short for the work?)',
      );
    } else {
      this.current = this.runTick(window)
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => {
          this.current = undefined;
        });
    }
    // Schedule from the window just fired so that a slow timer never fires the same window twice.
    const next = nextTick(
      Math.max(this.now(), window.endMs + this.opts.scrapeOffsetMs + 1),
      this.opts.resolutionMs,
      this.opts.scrapeOffsetMs,
    );
    if (this.stopping) return;
    this.timer = setTimeout(() => this.fire(next.window), Math.max(0, next.fireAtMs - this.now()));
  }

  /**
   * Runs one tick for `window` and returns the processed batch. Never rejects for a data or
   * backend problem: failing sources, processors and sinks are logged and counted.
   *
   * Streaming: the chain's node-local prefix (processors with `processPart`) runs on each
   * node's part as the source hands it over, and the part is stored at once; when every
   * source is done, the rest of the chain runs on the whole batch, the sets it added are
   * stored, and the whole batch becomes the store's latest and goes to the sinks.
   */
  async runTick(window: Window): Promise<Batch> {
    const { metrics, logger } = this.opts;
    const started = performance.now();
    const ts = window.endMs;
    const nLocal = this.localPrefix();
    const processors = this.opts.processors;
    const spentMs = new Float64Array(processors.length);
    const store = this.opts.store;
    const whole = emptyBatch(ts);
    // Sets stored with their part → their value counts then (see `rest`).
    const stored = new Map<MetricSet, number>();
    // Parts are stored as they arrive only when some processing runs per part.
    const storeParts = store !== undefined && nLocal > 0;
    let storeError: unknown;
    let partMs = 0;
    // A processor failing on every part is logged once per tick (and counted each time).
    const failed = new Set<Processor>();
    for (let i = 0; i < nLocal; i++) {
      this.guard(processors[i], failed, () => processors[i].beginTick?.(ts));
    }
    const takePart = (part: Batch): void => {
      const t0 = performance.now();
      part.timestampMs = ts;
      for (let i = 0; i < nLocal; i++) {
        const p = processors[i];
        const t1 = performance.now();
        this.guard(p, failed, () => {
          part = p.processPart!(part);
        });
        spentMs[i] += performance.now() - t1;
      }
      if (storeParts && storeError === undefined) {
        try {
          store.append(part, { partial: true });
          part.sets.forEach((set) => stored.set(set, countOf(set)));
        } catch (err) {
          storeError = err; // reported once, after the scrape
        }
      }
      mergeInto(whole, part);
      partMs += performance.now() - t0;
    };
    try {
      const { batch: returned } = await scrapeAll(this.opts.sources, window, {
        timeoutMs: this.opts.scrapeTimeoutMs,
        metrics,
        logger,
        signal: this.abort.signal,
        onPart: takePart,
      });
      // What sources returned instead of handing over (all of it, for most sources).
      if (returned.sets.size > 0) takePart(returned);
      for (let i = 0; i < nLocal; i++) {
        this.guard(processors[i], failed, () => processors[i].endTick?.());
      }
      const scrapedAt = performance.now();
      // The scrape phase includes the per-part work done while nodes were answering.
      metrics.lastTickPhaseMs.set({ phase: 'scrape' }, scrapedAt - started);
      metrics.lastTickPhaseMs.set({ phase: 'parts' }, partMs);
      let batch = whole;
      for (let i = nLocal; i < processors.length; i++) {
        const p = processors[i];
        const t0 = performance.now();
        this.guard(p, failed, () => {
          batch = p.process(batch);
        });
        spentMs[i] += performance.now() - t0;
      }
      for (let i = 0; i < processors.length; i++) {
        metrics.processorDurationMs.observe({ processor: processors[i].name }, spentMs[i]);
      }
      metrics.pointsPerTick.set(countPoints(batch));
      metrics.setsPerTick.set(batch.sets.size);
      const processedAt = performance.now();
      metrics.lastTickPhaseMs.set({ phase: 'process' }, processedAt - scrapedAt);
      if (storeError !== undefined) throw storeError;
      if (store) {
        // Nothing stored part by part (no node-local steps): the batch is the rest.
        store.append(stored.size === 0 ? batch : rest(batch, stored), { partial: true });
        store.setLatest(batch);
        const storeMs = performance.now() - processedAt;
        metrics.storeAppendDurationMs.observe(storeMs);
        metrics.lastTickPhaseMs.set({ phase: 'store' }, storeMs);
      }
      metrics.windowToStoredMs.set(this.now() - window.endMs);
      await Promise.all(
        this.opts.sinks.map(async (s) => {
          try {
            await s.write(batch);
          } catch (err) {
            const message = err instanceof Error ? err.message : String(err);
            metrics.exporterResults.inc({ exporter: s.name, result: 'error' });
            logger.error({ sink: s.name, err: message }, `sink ${s.name} failed: ${message}`);
          }
        }),
      );
      metrics.ticks.inc({ result: 'ok' });
      return batch;
    } catch (err) {
      metrics.ticks.inc({ result: 'error' });
      throw err;
    } finally {
      metrics.tickDurationMs.observe(performance.now() - started);
    }
  }

  /** Length of the chain's node-local prefix (processors that can run per part). */
  private localPrefix(): number {
    const ps = this.opts.processors;
    let n = 0;
    while (n < ps.length && ps[n].processPart !== undefined) n++;
    return n;
  }

  /**
   * Runs a processor step; a throw is counted, and logged unless `p` already failed in this
   * tick (it is then in `failed`), and the data goes on without the step.
   */
  private guard(p: Processor, failed: Set<Processor>, step: () => void): void {
    try {
      step();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.opts.metrics.processorErrors.inc({ processor: p.name });
      if (failed.has(p)) return;
      failed.add(p);
      this.opts.logger.error(
        { processor: p.name, err: message },
        `processor ${p.name} failed; batch continues without it: ${message}`,
      );
    }
  }

  /** Stops scheduling, aborts a running scrape, waits for the tick, and closes every sink. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.abort.abort(new Error('shutting down'));
    await this.current;
    await Promise.all(
      this.opts.sinks.map(async (s) => {
        try {
          await s.close();
        } catch (err) {
          this.opts.logger.error(
            { sink: s.name, err: String(err) },
            `closing sink ${s.name} failed`,
          );
        }
      }),
    );
  }
}

/** Value counts of a set: plain × 2^21 + labeled. */
function countOf(set: MetricSet): number {
  return set.values.size * 2 ** 21 + set.labeled.length;
}

/**
 * What of `batch` is not in the store yet: sets stored with no part, and the values that the
 * whole-batch processors appended to stored sets (Maps and arrays keep insertion order, so
 * they are the entries past the stored counts). Processors after the node-local prefix add
 * sets and values; they do not change values a part already stored (Processor contract).
 */
function rest(batch: Batch, stored: ReadonlyMap<MetricSet, number>): Batch {
  const out = emptyBatch(batch.timestampMs);
  batch.sets.forEach((set, key) => {
    const count = stored.get(set);
    if (count === undefined) {
      out.sets.set(key, set);
      return;
    }
    if (count === countOf(set)) return;
    const nValues = Math.floor(count / 2 ** 21);
    const nLabeled = count % 2 ** 21;
    const delta: MetricSet = { ...set, values: new Map(), labeled: set.labeled.slice(nLabeled) };
    let i = 0;
    set.values.forEach((v, name) => {
      if (i++ >= nValues) delta.values.set(name, v);
    });
    out.sets.set(key, delta);
  });
  return out;
}
