// The eventer's loop: every --frequency, hand the buffered events to every sink.
import type { Logger } from '../core/log.js';
import type { SinkOf } from '../pipeline/sink-queue.js';
import type { EventerMetrics } from './eventer-metrics.js';
import type { KubeEvent } from './types.js';

/** Where the eventer takes events from (KubernetesEventSource). */
export interface EventFeed {
  take(): { events: KubeEvent[]; dropped: number };
}

/** The age of the last tick beyond which /healthz fails (the original's MaxEventsScrapeDelay). */
export const MAX_TICK_AGE_MS = 180_000;

/** Options of the eventer loop. Durations in ms. */
export interface EventerOptions {
  readonly feed: EventFeed;
  /** Sinks behind their queues (QueuedSink): `write` only enqueues. */
  readonly sinks: readonly SinkOf<readonly KubeEvent[]>[];
  readonly frequencyMs: number;
  readonly metrics: EventerMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Ticks at multiples of `frequencyMs` (like the original's housekeeping loop); each tick takes
 * the events buffered since the last one, sorts them by last timestamp and writes the same
 * list to every sink (sinks must not change it). Empty ticks write nothing. A sink that fails
 * or is slow never delays the tick or the other sinks (they are queued). `stop` runs one last
 * tick so that nothing buffered is left behind, then closes the sinks (each flushes within its
 * own deadline).
 */
export class Eventer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;
  /** When the last tick ran (ms); the start time before the first tick. */
  lastTickMs: number;

  constructor(private readonly opts: EventerOptions) {
    this.now = opts.now ?? Date.now;
    this.lastTickMs = this.now();
  }

  /** Starts ticking (the first tick at the next multiple of the frequency). */
  start(): void {
    this.schedule();
  }

  /** Healthy while the last tick is at most MAX_TICK_AGE_MS old. */
  health(): { ok: true } | { ok: false; reason: string } {
    const ageMs = this.now() - this.lastTickMs;
    if (ageMs <= MAX_TICK_AGE_MS) return { ok: true };
    return {
      ok: false,
      reason: `no event batch within ${MAX_TICK_AGE_MS / 1000}s (latest: ${new Date(this.lastTickMs).toISOString()})`,
    };
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = this.now();
    const f = this.opts.frequencyMs;
    const next = Math.floor(now / f) * f + f;
    this.timer = setTimeout(() => {
      this.tick();
      this.schedule();
    }, next - now);
  }

  /** One tick: takes the buffered events and writes them to every sink. Returns how many. */
  tick(): number {
    const { feed, sinks, metrics, logger } = this.opts;
    const started = performance.now();
    const { events, dropped } = feed.take();
    if (dropped > 0) {
      logger.error(
        { dropped },
        `dropped ${dropped} events since the last tick: the event buffer was full`,
      );
    }
    events.sort((a, b) => a.lastTimestampMs - b.lastTimestampMs);
    const batch: readonly KubeEvent[] = Object.freeze(events);
    const nowMs = this.now();
    metrics.scraperEvents.inc(batch.length);
    metrics.scraperLastTime.set(Math.floor(nowMs / 1000));
    metrics.scraperDurationUs.observe((performance.now() - started) * 1000);
    if (batch.length > 0) {
      logger.info({ events: batch.length }, `exporting ${batch.length} events`);
      for (const s of sinks) {
        s.write(batch).catch((err: unknown) => {
          logger.error(
            { sink: s.name, err: String(err) },
            `sink ${s.name} failed to take ${batch.length} events: ${String(err)}`,
          );
        });
      }
    } else {
      logger.debug('exporting 0 events');
    }
    this.lastTickMs = nowMs;
    metrics.managerLastTime.set(Math.floor(nowMs / 1000));
    return batch.length;
  }

  /** Stops ticking, runs a last tick, and closes every sink (each flushes its queue first). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.tick();
    await Promise.all(
      this.opts.sinks.map(async (s) => {
        try {
          await s.close();
        } catch (err) {
          this.opts.logger.warn(
            { sink: s.name, err: String(err) },
            `closing sink ${s.name} failed: ${String(err)}`,
          );
        }
      }),
    );
  }
}
