import { Counter, Gauge, Summary, collectDefaultMetrics } from 'prom-client';
import type { Registry } from 'prom-client';
import { SelfMetrics } from '../core/self-metrics.js';

/**
 * The eventer's own metrics (served at `/metrics` on the healthz port). The original's names
 * are kept (`eventer_scraper_*`, `eventer_manager_last_time_seconds`); ours add what it lacked:
 * events received from the API server, dropped from the buffer, watch restarts. Per sink, the
 * sink runtime's `heapster_sink_*` and `heapster_exporter_*` series count events (one event is
 * one "point"): written (acknowledged by the backend), retried, dropped, write errors.
 */
export class EventerMetrics {
  /** The sink runtime's metrics (QueuedSink records here); shares `registry`. */
  readonly self: SelfMetrics;
  readonly registry: Registry;
  /** Events received from the API server: via = list | watch. */
  readonly received: Counter<'via'>;
  /** Events dropped by the eventer itself: reason = buffer_full. */
  readonly dropped: Counter<'reason'>;
  /** Restarts of the list/watch after an error (API server down, 410 Gone, ...). */
  readonly watchRestarts: Counter<never>;
  /** Events waiting for the next tick. */
  readonly bufferEvents: Gauge<never>;
  /** Events handed to the sinks (the original's eventer_scraper_events_total_number). */
  readonly scraperEvents: Counter<never>;
  readonly scraperLastTime: Gauge<never>;
  readonly scraperDurationUs: Summary<never>;
  /** Last tick, unix seconds (the original's eventer_manager_last_time_seconds). */
  readonly managerLastTime: Gauge<never>;

  constructor(opts: { processMetrics?: boolean } = {}) {
    this.self = new SelfMetrics();
    this.registry = this.self.registry;
    // The main job's pipeline metrics mean nothing here; keep the sink runtime's.
    for (const m of this.registry.getMetricsAsArray()) {
      if (!/^heapster_(exporter|sink)_/.test(m.name)) this.registry.removeSingleMetric(m.name);
    }
    const registers = [this.registry];
    this.received = new Counter({
      name: 'eventer_events_received_total',
      help: 'Events (new or changed) received from the API server, by way (list, watch)',
      labelNames: ['via'],
      registers,
    });
    this.dropped = new Counter({
      name: 'eventer_events_dropped_total',
      help: 'Events the eventer dropped before any sink, by reason (buffer_full)',
      labelNames: ['reason'],
      registers,
    });
    this.watchRestarts = new Counter({
      name: 'eventer_watch_restarts_total',
      help: 'Restarts of the list/watch of events after an error',
      registers,
    });
    this.bufferEvents = new Gauge({
      name: 'eventer_buffer_events',
      help: 'Events waiting for the next tick',
      registers,
    });
    this.scraperEvents = new Counter({
      name: 'eventer_scraper_events_total_number',
      help: 'The total number of events.',
      registers,
    });
    this.scraperLastTime = new Gauge({
      name: 'eventer_scraper_last_time_seconds',
      help: 'Last time of event since unix epoch in seconds.',
      registers,
    });
    this.scraperDurationUs = new Summary({
      name: 'eventer_scraper_duration_microseconds',
      help: 'Time spent scraping events in microseconds.',
      registers,
    });
    this.managerLastTime = new Gauge({
      name: 'eventer_manager_last_time_seconds',
      help: 'Last time of eventer housekeep since unix epoch in seconds.',
      registers,
    });
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'eventer_' });
  }
}
