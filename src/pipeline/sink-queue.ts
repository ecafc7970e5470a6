import type { Batch } from '../core/batch.js';
import { countPoints } from '../core/batch.js';
import type { Logger } from '../core/log.js';
import type { SelfMetrics } from '../core/self-metrics.js';

/** One request's worth of encoded points, e.g. up to 10,000 lines of InfluxDB line protocol. */
export interface Chunk<P> {
  readonly payload: P;
  /** Points in the payload (what the queue capacity and the self-metrics count). */
  readonly points: number;
  /** Timestamp of the batch the points came from (ms since the epoch), for log lines. */
  readonly timestampMs: number;
}

/** How the sink runtime queues and retries one point sink. Durations in ms. */
export interface RuntimeOptions {
  /**
   * Queue capacity in points (queued + in flight); the oldest are dropped beyond it, except
   * the newest batch, which is always kept whole.
   */
  readonly capacityPoints: number;
  /** Requests in flight at once (>= 1). */
  readonly concurrency: number;
  /** Largest delay between retries (exponential backoff from 500 ms, with jitter). */
  readonly retryMaxDelayMs: number;
}

/**
 * A sink the runtime drives point by point: `encode` turns a batch into request payloads
 * (pure, each at most the backend's batch size), lazily when it returns a generator: the
 * runtime pulls one chunk at a time when it is about to send it, so encoding a huge batch
 * never blocks the event loop for long; `send` delivers one payload,
 * honouring `signal` (timeout or shutdown), and rejects on any failure. Rejecting with
 * PermanentWriteError means the backend refused the data itself (retrying cannot help), so
 * the chunk is dropped and counted as `rejected`; any other rejection is retried.
 * `write` (encode + send each chunk in turn, no retry) lets the sink be used without a queue.
 */
export interface ChunkedSink<P = unknown, B = Batch> extends SinkOf<B> {
  readonly runtime: RuntimeOptions;
  encode(batch: B): Iterable<Chunk<P>>;
  send(payload: P, signal: AbortSignal): Promise<void>;
}

/** The backend refused the data (e.g. HTTP 400): retrying the same payload cannot succeed. */
export class PermanentWriteError extends Error {
  override readonly name = 'PermanentWriteError';
}

/**
 * What the runtime carries: `Sink` (metric batches) is `SinkOf<Batch>`; the eventer queues
 * the events of a tick (`SinkOf<readonly KubeEvent[]>`, with QueuedSinkOptions.measure).
 */
export interface SinkOf<B> {
  readonly name: string;
  write(item: B): Promise<void>;
  close(): Promise<void>;
}

/** True when `s` is a ChunkedSink (has `encode`, `send` and `runtime`). */
export function isChunkedSink<B = Batch>(s: SinkOf<B>): s is ChunkedSink<unknown, B> {
  const c = s as Partial<ChunkedSink<unknown, B>>;
  return typeof c.encode === 'function' && typeof c.send === 'function' && c.runtime !== undefined;
}

/** Default longest flush at shutdown (capped by the write timeout). */
const DEFAULT_FLUSH_TIMEOUT_MS = 5000;

/** First retry waits about this long; each further consecutive failure doubles it. */
const RETRY_BASE_MS = 500;

/**
 * Delay before retry number `failures` (1-based): min(max, base·2^(failures−1)), then
 * "equal jitter" (a uniform factor in [0.5, 1)) so that many sinks do not retry in step.
 */
export function backoffDelayMs(failures: number, maxDelayMs: number, random = Math.random): number {
  const exp = Math.min(maxDelayMs, RETRY_BASE_MS * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return exp * (0.5 + random() / 2);
}

/** A chunk ready to send (or to send again after a failure). */
interface ChunkEntry {
  readonly kind: 'chunk';
  readonly chunk: Chunk<unknown>;
  attempts: number;
}

/** A batch not encoded yet (or partly): `points` still to come (an upper bound: its values). */
interface BatchEntry {
  readonly kind: 'batch';
  readonly chunks: Iterator<Chunk<unknown>>;
  points: number;
  readonly timestampMs: number;
}

type Entry = ChunkEntry | BatchEntry;

function entryPoints(e: Entry): number {
  return e.kind === 'chunk' ? e.chunk.points : e.points;
}

function entryTime(e: Entry): number {
  return e.kind === 'chunk' ? e.chunk.timestampMs : e.timestampMs;
}

function isoOf(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Options of QueuedSink. Durations in ms. */
export interface QueuedSinkOptions<B = Batch> {
  /** Batch mode only (plain sinks such as `log`): queued batches beyond this drop the oldest. */
  capacity: number;
  /** Longest a single write (batch mode) or request (point sinks) may take. */
  writeTimeoutMs: number;
  /**
   * Longest `close` keeps flushing a point sink before it drops what is left (default: the
   * smaller of writeTimeoutMs and 5 s, so a dead backend cannot hold up shutdown).
   */
  flushTimeoutMs?: number;
  metrics: SelfMetrics;
  logger: Logger;
  /**
   * Points and timestamp (ms) of a queued item; default: a Batch's values and timestamp.
   * Required when the items are not Batches.
   */
  measure?: (item: B) => { points: number; timestampMs: number };
}

function measureBatch(item: unknown): { points: number; timestampMs: number } {
  const batch = item as Batch;
  return { points: countPoints(batch), timestampMs: batch.timestampMs };
}

/**
 * The sink runtime. Wraps a sink with its own bounded queue: `write` only enqueues and never
 * waits for the backend, so a slow or down sink never blocks the pipeline or another sink.
 *
 * Point sinks (ChunkedSink: influxdb, prometheus, graphite, ...): the batch is queued as it
 * is and encoded chunk by chunk just before sending; the queue holds up to
 * `runtime.capacityPoints` points (counting every value of a queued batch), always at least
 * the newest batch whole (so callers must not change a batch after writing it); up to
 * `runtime.concurrency` requests run at a time, each bounded by `writeTimeoutMs`; a failed
 * request goes back to the head of the queue and the whole sink pauses with exponential
 * backoff and jitter (500 ms doubling up to `runtime.retryMaxDelayMs`), so an outage loses
 * nothing that fits in the queue and no point is sent twice by us. When the queue is full the
 * OLDEST chunks are dropped, counted (`heapster_sink_points_dropped_total{reason=queue_full}`)
 * and logged with the sink's name and the number of points. `close` retries at once, flushes
 * for at most `flushTimeoutMs` (default min(writeTimeoutMs, 5 s)), then drops (and counts,
 * reason `shutdown`) what is left.
 *
 * Plain sinks (batch mode): at most `capacity` batches wait; one write at a time; a failed or
 * timed-out write is logged and counted as `error` (no retry).
 */
export class QueuedSink<B = Batch> implements SinkOf<B> {
  readonly name: string;
  private readonly queue: B[] = [];
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly chunked: ChunkedSink<unknown, B> | undefined;
  private readonly measure: (item: B) => { points: number; timestampMs: number };
  // Point mode state.
  private readonly pending: Entry[] = [];
  private queued = 0;
  private active = 0;
  private failures = 0;
  private pausedUntilMs = 0;
  private pauseTimer: NodeJS.Timeout | undefined;
  private readonly stopAll = new AbortController();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly inner: SinkOf<B>,
    private readonly opts: QueuedSinkOptions<B>,
  ) {
    this.name = inner.name;
    this.chunked = isChunkedSink(inner) ? inner : undefined;
    this.measure = opts.measure ?? measureBatch;
  }

  /** Batches (batch mode) or batches and chunks (point mode) waiting, not counting in-flight ones. */
  get depth(): number {
    return this.chunked ? this.pending.length : this.queue.length;
  }

  /** Point mode: points queued or in flight. */
  get queuedPoints(): number {
    return this.queued;
  }

  async write(batch: B): Promise<void> {
    if (this.closed) return;
    if (this.chunked) return this.enqueueChunks(this.chunked, batch);
    if (this.queue.length >= this.opts.capacity) {
      const dropped = this.queue.shift();
      this.opts.metrics.exporterResults.inc({ exporter: this.name, result: 'dropped' });
      this.opts.logger.warn(
        {
          sink: this.name,
          droppedTimestamp: dropped && isoOf(this.measure(dropped).timestampMs),
        },
        `sink ${this.name} is too slow: queue of ${this.opts.capacity} batches is full, dropped the oldest`,
      );
    }
    this.queue.push(batch);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private enqueueChunks(sink: ChunkedSink<unknown, B>, batch: B): void {
    const { metrics, logger } = this.opts;
    const { points, timestampMs } = this.measure(batch);
    if (points === 0) return;
    let chunks: Iterator<Chunk<unknown>>;
    try {
      chunks = sink.encode(batch)[Symbol.iterator]();
    } catch (err) {
      this.encodeFailed(err);
      return;
    }
    const entry: BatchEntry = { kind: 'batch', chunks, points, timestampMs };
    this.pending.push(entry);
    this.queued += points;
    // Drop the oldest, but never the batch just queued: the queue always holds the newest
    // batch whole, even when it alone is larger than the capacity.
    const capacity = sink.runtime.capacityPoints;
    let droppedPoints = 0;
    let fromMs = Infinity;
    let toMs = -Infinity;
    while (this.queued > capacity && this.pending[0] !== entry) {
      const e = this.pending.shift() as Entry;
      const n = entryPoints(e);
      this.queued -= n;
      droppedPoints += n;
      fromMs = Math.min(fromMs, entryTime(e));
      toMs = Math.max(toMs, entryTime(e));
    }
    if (droppedPoints > 0) {
      metrics.sinkPointsDropped.inc({ sink: this.name, reason: 'queue_full' }, droppedPoints);
      logger.warn(
        {
          sink: this.name,
          droppedPoints,
          capacityPoints: capacity,
          from: isoOf(fromMs),
          to: isoOf(toMs),
        },
        `sink ${this.name}: queue full (capacity ${capacity} points), dropped the ${droppedPoints} oldest points (batches ${isoOf(fromMs)} to ${isoOf(toMs)})`,
      );
    }
    if (points > capacity) {
      logger.warn(
        { sink: this.name, points, capacityPoints: capacity },
        `sink ${this.name}: one batch has ${points} points, more than the queue capacity of ${capacity}; raise queue_points to keep older batches during an outage`,
      );
    }
    metrics.sinkQueuePoints.set({ sink: this.name }, this.queued);
    this.pump();
  }

  private encodeFailed(err: unknown): void {
    const message = messageOf(err);
    this.opts.metrics.exporterResults.inc({ exporter: this.name, result: 'error' });
    this.opts.logger.error(
      { sink: this.name, err: message },
      `sink ${this.name} could not encode a batch: ${message}`,
    );
  }

  /**
   * Takes the next chunk to send off the head of the queue, encoding it now if the head is
   * a batch. Points of a batch that the encoder skipped leave the queue when it is done.
   */
  private nextChunk(): ChunkEntry | undefined {
    while (this.pending.length > 0) {
      const head = this.pending[0];
      if (head.kind === 'chunk') return this.pending.shift() as ChunkEntry;
      let next: IteratorResult<Chunk<unknown>>;
      try {
        next = head.chunks.next();
      } catch (err) {
        next = { done: true, value: undefined };
        this.encodeFailed(err);
      }
      if (next.done || next.value.points > head.points) {
        this.pending.shift();
        this.queued -= head.points;
        if (!next.done) {
          // The encoder made more points than the batch has values: count it as it is.
          this.queued += next.value.points;
          return { kind: 'chunk', chunk: next.value, attempts: 0 };
        }
        continue;
      }
      if (next.value.points <= 0) continue;
      head.points -= next.value.points;
      return { kind: 'chunk', chunk: next.value, attempts: 0 };
    }
    return undefined;
  }

  /** Starts requests while there is work, a free slot, and the sink is not backing off. */
  private pump(): void {
    const sink = this.chunked;
    if (!sink) return;
    while (this.active < sink.runtime.concurrency && this.pending.length > 0) {
      if (this.stopAll.signal.aborted) return;
      const waitMs = this.pausedUntilMs - Date.now();
      if (waitMs > 0) {
        this.pauseTimer ??= setTimeout(() => {
          this.pauseTimer = undefined;
          this.pump();
        }, waitMs);
        return;
      }
      const entry = this.nextChunk();
      if (entry === undefined) break;
      this.active++;
      void this.sendOne(sink, entry).finally(() => {
        this.active--;
        this.pump();
        this.checkIdle();
      });
    }
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.active > 0 || (this.pending.length > 0 && !this.stopAll.signal.aborted)) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async sendOne(sink: ChunkedSink<unknown, B>, entry: ChunkEntry): Promise<void> {
    const { metrics, logger, writeTimeoutMs } = this.opts;
    const points = entry.chunk.points;
    entry.attempts++;
    const started = performance.now();
    const timeout = new AbortController();
    const signal = AbortSignal.any([timeout.signal, this.stopAll.signal]);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        sink.send(entry.chunk.payload, signal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const err = new Error(`write took longer than ${writeTimeoutMs} ms`);
            timeout.abort(err);
            reject(err);
          }, writeTimeoutMs);
        }),
      ]);
      this.queued -= points;
      metrics.sinkPointsWritten.inc({ sink: this.name }, points);
      metrics.exporterLastTime.set({ exporter: this.name }, Date.now() / 1000);
      if (this.failures > 0) {
        logger.info(
          { sink: this.name, failures: this.failures },
          `sink ${this.name} is writing again after ${this.failures} failed requests`,
        );
      }
      this.failures = 0;
    } catch (err) {
      const message = messageOf(err);
      metrics.sinkWriteErrors.inc({ sink: this.name });
      if (err instanceof PermanentWriteError) {
        this.queued -= points;
        metrics.sinkPointsDropped.inc({ sink: this.name, reason: 'rejected' }, points);
        logger.error(
          { sink: this.name, err: message, points },
          `sink ${this.name} rejected ${points} points (not retried): ${message}`,
        );
      } else if (this.stopAll.signal.aborted) {
        this.queued -= points;
        metrics.sinkPointsDropped.inc({ sink: this.name, reason: 'shutdown' }, points);
      } else {
        this.failures++;
        const delayMs = backoffDelayMs(this.failures, sink.runtime.retryMaxDelayMs);
        this.pausedUntilMs = Math.max(this.pausedUntilMs, Date.now() + delayMs);
        metrics.sinkPointsRetried.inc({ sink: this.name }, points);
        this.pending.unshift(entry);
        logger.warn(
          {
            sink: this.name,
            err: message,
            points,
            attempt: entry.attempts,
            retryInMs: Math.round(delayMs),
            queuedPoints: this.queued,
          },
          `sink ${this.name}: write of ${points} points failed (attempt ${entry.attempts}), retrying in ${Math.round(delayMs)} ms: ${message}`,
        );
      }
    } finally {
      clearTimeout(timer);
      metrics.sinkWriteDurationMs.observe({ sink: this.name }, performance.now() - started);
      metrics.sinkQueuePoints.set({ sink: this.name }, this.queued);
    }
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
        const message = messageOf(err);
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

  /**
   * Batch mode: writes what is queued (each write bounded by the write timeout), then closes
   * the sink. Point mode: keeps sending (with retries) for at most `flushTimeoutMs`, then
   * aborts what is in flight, drops and counts what is left, and closes the sink.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.chunked) await this.flushPoints();
    else await this.running;
    await this.inner.close();
  }

  private async flushPoints(): Promise<void> {
    const deadlineMs =
      this.opts.flushTimeoutMs ?? Math.min(this.opts.writeTimeoutMs, DEFAULT_FLUSH_TIMEOUT_MS);
    // One immediate attempt even if the sink is backing off: the backend may be back.
    this.pausedUntilMs = 0;
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    this.pump();
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => {
      this.idleWaiters.push(() => resolve(true));
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    this.checkIdle();
    const flushed = await idle;
    clearTimeout(timer);
    if (flushed) return;
    this.stopAll.abort(new Error('shutting down'));
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    await new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
    let left = 0;
    for (const e of this.pending.splice(0)) left += entryPoints(e);
    this.queued -= left;
    this.opts.metrics.sinkQueuePoints.set({ sink: this.name }, this.queued);
    if (left > 0) {
      this.opts.metrics.sinkPointsDropped.inc({ sink: this.name, reason: 'shutdown' }, left);
      this.opts.logger.error(
        { sink: this.name, droppedPoints: left, flushTimeoutMs: deadlineMs },
        `sink ${this.name}: could not flush ${left} points within ${deadlineMs} ms at shutdown; dropped them`,
      );
    }
  }
}
