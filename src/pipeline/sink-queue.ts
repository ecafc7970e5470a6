import type { Batch } from '../core/batch.js';
import type { Sink } from '../core/contracts.js';
import type { Logger } from '../core/log.js';
import type { SelfMetrics } from '../core/self-metrics.js';

/**
 * Wraps a sink with its own bounded queue and one writer: `write` only enqueues and never
 * waits for the backend, so a slow or down sink never blocks the pipeline or another sink.
 * When the queue is full the OLDEST queued batch is dropped (fresh data matters more),
 * counted as `dropped` and logged. A write that fails or runs past `writeTimeoutMs` is
 * counted as `error` and logged with the sink's name and the reason.
 */
export class QueuedSink implements Sink {
  readonly name: string;
  private readonly queue: Batch[] = [];
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly inner: Sink,
    private readonly opts: {
      capacity: number;
      writeTimeoutMs: number;
      metrics: SelfMetrics;
      logger: Logger;
    },
  ) {
    this.name = inner.name;
  }

  /** Batches waiting to be written (for tests and self-metrics). */
  get depth(): number {
    return this.queue.length;
  }

  async write(batch: Batch): Promise<void> {
    if (this.closed) return;
    if (this.queue.length >= this.opts.capacity) {
      const dropped = this.queue.shift();
      this.opts.metrics.exporterResults.inc({ exporter: this.name, result: 'dropped' });
      this.opts.logger.warn(
        {
          sink: this.name,
          droppedTimestamp: dropped && new Date(dropped.timestampMs).toISOString(),
        },
        `sink ${this.name} is too slow: queue of ${this.opts.capacity} batches is full, dropped the oldest`,
      );
    }
    this.queue.push(batch);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private async drain(): Promise<void> {
    for (let batch = this.queue.shift(); batch; batch = this.queue.shift()) {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          this.inner.write(batch),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`write took longer than ${this.opts.writeTimeoutMs} ms`)),
              this.opts.writeTimeoutMs,
            );
          }),
        ]);
        this.opts.metrics.exporterResults.inc({ exporter: this.name, result: 'ok' });
        this.opts.metrics.exporterLastTime.set({ exporter: this.name }, Date.now() / 1000);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.opts.metrics.exporterResults.inc({ exporter: this.name, result: 'error' });
        this.opts.logger.error(
          { sink: this.name, err: message },
          `sink ${this.name} failed to export a batch: ${message}`,
        );
      } finally {
        clearTimeout(timer);
        this.opts.metrics.exporterDurationMs.observe(
          { exporter: this.name },
          performance.now() - started,
        );
      }
    }
  }

  /** Writes what is queued (bounded by the write timeout per batch), then closes the sink. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    await this.inner.close();
  }
}
