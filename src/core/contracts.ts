import type { Batch } from './batch.js';

/** A scrape window: [startMs, endMs). The batch a source returns is stamped `endMs`. */
export interface Window {
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * A source of metrics. `scrape` returns what it could read for the window; entities it could
 * not read are missing from the batch (never a partial failure of the whole scrape). It must
 * stop work promptly when `signal` aborts. A rejected promise means the whole source failed.
 */
export interface Source {
  readonly name: string;
  scrape(window: Window, signal: AbortSignal): Promise<Batch>;
}

/** A synchronous batch transformation; may mutate and return its input. Must not throw on data. */
export interface Processor {
  readonly name: string;
  process(batch: Batch): Batch;
}

/**
 * A destination of batches. `write` resolves when the batch is handed over or sent; it may
 * reject (the pipeline logs and counts it). `close` flushes what can be flushed and releases
 * resources.
 */
export interface Sink {
  readonly name: string;
  write(batch: Batch): Promise<void>;
  close(): Promise<void>;
}

/** A point of a series: time (ms since epoch) and value. */
export interface Point {
  readonly timestampMs: number;
  readonly value: number;
}

/** What to read from a store: one metric of one entity, [startMs, endMs] inclusive. */
export interface Query {
  readonly key: string;
  readonly metric: string;
  /** For labeled metrics: the exact label set of the labeled value. */
  readonly labels?: Record<string, string>;
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * Recent history of every metric of every entity. `append` is synchronous and cheap (it runs
 * on every tick); queries return points in time order.
 */
export interface Store {
  append(batch: Batch): void;
  query(q: Query): Point[];
  /** Latest batch appended, if any. */
  latest(): Batch | undefined;
  /** Names of the metrics (plain and labeled) stored for a key, sorted. */
  metricNames(key: string): string[];
  /** How long history is kept, in ms. */
  readonly retentionMs: number;
}
