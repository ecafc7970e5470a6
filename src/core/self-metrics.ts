import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Heapster's own metrics, exposed at `/metrics`. One registry per process; the pipeline,
 * sources and sinks record here. Names keep the original's `heapster_` prefix.
 */
export class SelfMetrics {
  readonly registry = new Registry();
  readonly tickDurationMs: Histogram<never>;
  readonly ticks: Counter<'result'>;
  readonly ticksSkipped: Counter<never>;
  readonly scrapeDurationMs: Histogram<'source'>;
  readonly scrapeErrors: Counter<'source'>;
  readonly scrapeLate: Counter<'source'>;
  readonly scraperLastTime: Gauge<'source'>;
  readonly pointsPerTick: Gauge<never>;
  readonly setsPerTick: Gauge<never>;
  readonly processorDurationMs: Histogram<'processor'>;
  readonly processorErrors: Counter<'processor'>;
  readonly exporterDurationMs: Histogram<'exporter'>;
  readonly exporterResults: Counter<'exporter' | 'result'>;
  readonly exporterLastTime: Gauge<'exporter'>;
  /** Point sinks (sink runtime): points acknowledged by the backend. */
  readonly sinkPointsWritten: Counter<'sink'>;
  /** Points in requests that failed and were queued again for a retry. */
  readonly sinkPointsRetried: Counter<'sink'>;
  /** Points given up on: reason = queue_full | rejected | shutdown. */
  readonly sinkPointsDropped: Counter<'sink' | 'reason'>;
  /** Failed write requests (network error, timeout, non-2xx). */
  readonly sinkWriteErrors: Counter<'sink'>;
  /** Duration of one write request, ok or not. */
  readonly sinkWriteDurationMs: Histogram<'sink'>;
  /** Points waiting in the sink's queue (including requests in flight). */
  readonly sinkQueuePoints: Gauge<'sink'>;
  /** Time to append one processed batch to the embedded store, ms. */
  readonly storeAppendDurationMs: Histogram<never>;
  /** Last tick: wall time from the window's end to its batch being in the store, ms. */
  readonly windowToStoredMs: Gauge<never>;
  /** Last tick: the phases of the tick (scrape, process, store), ms. */
  readonly lastTickPhaseMs: Gauge<'phase'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const msBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000];
    this.tickDurationMs = new Histogram({
      name: 'heapster_tick_duration_milliseconds',
      help: 'Time from the start of a scrape to the end of export for one tick',
      buckets: msBuckets,
      registers,
    });
    this.ticks = new Counter({
      name: 'heapster_ticks_total',
      help: 'Ticks run, by result (ok, error)',
      labelNames: ['result'],
      registers,
    });
    this.ticksSkipped = new Counter({
      name: 'heapster_ticks_skipped_total',
      help: 'Ticks skipped because the previous tick was still running',
      registers,
    });
    this.scrapeDurationMs = new Histogram({
      name: 'heapster_scraper_duration_milliseconds',
      help: 'Time spent scraping a source',
      labelNames: ['source'],
      buckets: msBuckets,
      registers,
    });
    this.scrapeErrors = new Counter({
      name: 'heapster_scraper_errors_total',
      help: 'Scrapes that failed, per source',
      labelNames: ['source'],
      registers,
    });
    this.scrapeLate = new Counter({
      name: 'heapster_scraper_late_total',
      help: 'Scrapes whose answer came after the scrape timeout and was dropped, per source',
      labelNames: ['source'],
      registers,
    });
    this.scraperLastTime = new Gauge({
      name: 'heapster_scraper_last_time_seconds',
      help: 'Last time a source was scraped successfully (unix seconds)',
      labelNames: ['source'],
      registers,
    });
    this.pointsPerTick = new Gauge({
      name: 'heapster_points_per_tick',
      help: 'Values (plain and labeled) in the last processed batch',
      registers,
    });
    this.setsPerTick = new Gauge({
      name: 'heapster_metric_sets_per_tick',
      help: 'Metric sets (entities) in the last processed batch',
      registers,
    });
    this.processorDurationMs = new Histogram({
      name: 'heapster_processor_duration_milliseconds',
      help: 'Time spent in each processor',
      labelNames: ['processor'],
      buckets: msBuckets,
      registers,
    });
    this.processorErrors = new Counter({
      name: 'heapster_processor_errors_total',
      help: 'Processor failures (the batch went on without that processor)',
      labelNames: ['processor'],
      registers,
    });
    this.exporterDurationMs = new Histogram({
      name: 'heapster_exporter_duration_milliseconds',
      help: 'Time spent exporting a batch to a sink',
      labelNames: ['exporter'],
      buckets: msBuckets,
      registers,
    });
    this.exporterResults = new Counter({
      name: 'heapster_exporter_batches_total',
      help: 'Batches handed to each sink, by result (ok, error, dropped)',
      labelNames: ['exporter', 'result'],
      registers,
    });
    this.exporterLastTime = new Gauge({
      name: 'heapster_exporter_last_time_seconds',
      help: 'Last time a sink exported a batch successfully (unix seconds)',
      labelNames: ['exporter'],
      registers,
    });
    this.sinkPointsWritten = new Counter({
      name: 'heapster_sink_points_written_total',
      help: 'Points a sink wrote and the backend acknowledged',
      labelNames: ['sink'],
      registers,
    });
    this.sinkPointsRetried = new Counter({
      name: 'heapster_sink_points_retried_total',
      help: 'Points in write requests that failed and were queued again for a retry',
      labelNames: ['sink'],
      registers,
    });
    this.sinkPointsDropped = new Counter({
      name: 'heapster_sink_points_dropped_total',
      help: 'Points a sink gave up on, by reason (queue_full, rejected, shutdown)',
      labelNames: ['sink', 'reason'],
      registers,
    });
    this.sinkWriteErrors = new Counter({
      name: 'heapster_sink_write_errors_total',
      help: 'Write requests that failed (network error, timeout, non-2xx answer)',
      labelNames: ['sink'],
      registers,
    });
    this.sinkWriteDurationMs = new Histogram({
      name: 'heapster_sink_write_duration_milliseconds',
      help: 'Duration of one write request to a sink backend',
      labelNames: ['sink'],
      buckets: msBuckets,
      registers,
    });
    this.sinkQueuePoints = new Gauge({
      name: 'heapster_sink_queue_points',
      help: 'Points waiting in a sink queue, including requests in flight',
      labelNames: ['sink'],
      registers,
    });
    this.storeAppendDurationMs = new Histogram({
      name: 'heapster_store_append_duration_milliseconds',
      help: 'Time to append one processed batch to the embedded store',
      buckets: msBuckets,
      registers,
    });
    this.windowToStoredMs = new Gauge({
      name: 'heapster_tick_window_to_stored_milliseconds',
      help: 'Last tick: wall time from the end of its window to its batch being stored',
      registers,
    });
    this.lastTickPhaseMs = new Gauge({
      name: 'heapster_tick_last_phase_milliseconds',
      help:
        'Last tick: duration of each phase (scrape: until the last node is processed and stored; ' +
        'parts: of that, the per-node processing and storing; process and store: the whole-batch steps after it)',
      labelNames: ['phase'],
      registers,
    });
    if (opts.defaultMetrics)
      collectDefaultMetrics({ register: this.registry, prefix: 'heapster_process_' });
  }
}
