import type { Batch } from '../core/batch.js';
import { countPoints } from '../core/batch.js';
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
   */
  async runTick(window: Window): Promise<Batch> {
    const { metrics, logger } = this.opts;
    const started = performance.now();
    try {
      const { batch: scraped } = await scrapeAll(this.opts.sources, window, {
        timeoutMs: this.opts.scrapeTimeoutMs,
        metrics,
        logger,
        signal: this.abort.signal,
      });
      const scrapedAt = performance.now();
      metrics.lastTickPhaseMs.set({ phase: 'scrape' }, scrapedAt - started);
      let batch = scraped;
      for (const p of this.opts.processors) {
        const t0 = performance.now();
        try {
          batch = p.process(batch);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          metrics.processorErrors.inc({ processor: p.name });
          logger.error(
            { processor: p.name, err: message },
            `processor ${p.name} failed; batch continues without it: ${message}`,
          );
        } finally {
          metrics.processorDurationMs.observe({ processor: p.name }, performance.now() - t0);
        }
      }
      metrics.pointsPerTick.set(countPoints(batch));
      metrics.setsPerTick.set(batch.sets.size);
      const processedAt = performance.now();
      metrics.lastTickPhaseMs.set({ phase: 'process' }, processedAt - scrapedAt);
      if (this.opts.store) {
        this.opts.store.append(batch);
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
