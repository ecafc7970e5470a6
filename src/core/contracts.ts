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
 *
 * `onPart`, when given, may be called synchronously with one node's complete sets (every set
 * of that node: node, system containers, pods, containers) as soon as they are read, so the
 * pipeline can process and store them while other nodes are still answering; a set handed to
 * `onPart` must not also be in the returned batch. Sources that read everything at once
 * ignore it and return all their sets.
 */
export interface Source {
  readonly name: string;
  scrape(window: Window, signal: AbortSignal, onPart?: (part: Batch) => void): Promise<Batch>;
}

/**
 * A synchronous batch transformation; may mutate and return its input. Must not throw on data.
 *
 * A processor whose work on a set reads only sets of the same node (and its own state) may
 * also offer `processPart`: the pipeline then runs it on each node's part of a tick as the
 * part arrives, bracketed by `beginTick` and `endTick` — the same result as `process` on the
 * whole batch. The pipeline runs the chain's node-local prefix per part and the rest (e.g.
 * the namespace and cluster aggregators) once on the whole batch; as parts are stored when
 * they arrive, those later processors may add sets, and add values to sets, but must not
 * change a value already there.
 */
export interface Processor {
  readonly name: string;
  process(batch: Batch): Batch;
  /** Called once per tick before its first part (with the tick's batch timestamp). */
  beginTick?(timestampMs: number): void;
  /** Processes one node's part of the tick begun by `beginTick`. */
  processPart?(part: Batch): Batch;
  /** Called once per tick after its last part. */
  endTick?(): void;
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
  /**
   * Stores every value of the batch. With `partial`, the batch is one part of a tick (its
   * timestamp is the tick's): `latest()` keeps answering the previous whole batch until
   * `setLatest` is called with the whole batch of this tick.
   */
  append(batch: Batch, opts?: { readonly partial?: boolean }): void;
  /** Makes `batch` (whose parts were appended with `partial`) the one `latest()` returns. */
  setLatest(batch: Batch): void;
  query(q: Query): Point[];
  /** Latest batch appended, if any. */
  latest(): Batch | undefined;
  /** Names of the metrics (plain and labeled) stored for a key, sorted. */
  metricNames(key: string): string[];
  /** How long history is kept, in ms. */
  readonly retentionMs: number;
}

/** Aggregations of the historical API (§7.2): `…/metrics-aggregated/{aggregations}/…`. */
export type Aggregation =
  'average' | 'max' | 'min' | 'median' | 'count' | '50-perc' | '95-perc' | '99-perc';

/** An aggregated query: `Query` cut into buckets of `stepMs` aligned to the epoch (like InfluxDB's `GROUP BY time(step)`). */
export interface AggregateQuery extends Query {
  /** Bucket length in ms, ≥ 1. */
  readonly stepMs: number;
}

/**
 * One bucket of an aggregated query: the values with time in [startMs, startMs + step). Buckets
 * without values are left out. `exact` is false when the bucket came from a roll-up tier: then
 * count, min, max and average are still exact (for steps that are multiples of the tier's
 * resolution) but the median and percentiles are estimates (see the store's contract).
 */
export interface AggregateBucket {
  readonly startMs: number;
  readonly count: number;
  readonly average: number;
  readonly max: number;
  readonly min: number;
  readonly median: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly exact: boolean;
}

/**
 * A store with long history: aggregated queries over raw data or roll-ups, every entity key
 * with history, and `close` (flush and release files). Aggregated queries follow the same key,
 * metric, labels and inclusive [startMs, endMs] rules as `query`.
 */
export interface HistoryStore extends Store {
  queryAggregated(q: AggregateQuery): AggregateBucket[];
  /** Keys of every entity with stored history (any tier), sorted. */
  keys(): string[];
  close(): Promise<void>;
}
