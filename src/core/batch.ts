import type { EntityType } from './keys.js';
import { SlotMap } from './slot-map.js';

/** Entity labels (`type`, `nodename`, `pod_name`, ...). */
export type Labels = Record<string, string>;

/** One value of a labeled metric, e.g. `filesystem/usage{resource_id="/dev/sda1"}`. */
export interface LabeledValue {
  readonly name: string;
  readonly labels: Labels;
  /** int64 metrics hold integers; double metrics any finite number. */
  value: number;
}

/**
 * What one entity reported in one tick. Times are milliseconds since the epoch.
 * `collectionStartMs` changes when the entity restarts (the rate calculator then emits no
 * rate for that tick); `createMs` survives restarts. `values` maps a metric name to its
 * value (integers for int64 metrics, see the catalogue).
 */
export interface MetricSet {
  labels: Labels;
  values: Map<string, number>;
  labeled: LabeledValue[];
  scrapeTimeMs: number;
  collectionStartMs: number;
  createMs: number;
}

/** A tick's data: `timestampMs` is the end of the scrape window; `sets` is keyed as in keys.ts. */
export interface Batch {
  timestampMs: number;
  sets: Map<string, MetricSet>;
}

export function newMetricSet(
  type: EntityType,
  labels: Labels,
  times: { scrapeTimeMs: number; collectionStartMs?: number; createMs?: number },
): MetricSet {
  const start = times.collectionStartMs ?? 0;
  return {
    labels: { ...labels, type },
    values: new SlotMap(),
    labeled: [],
    scrapeTimeMs: times.scrapeTimeMs,
    collectionStartMs: start,
    createMs: times.createMs ?? start,
  };
}

export function emptyBatch(timestampMs: number): Batch {
  return { timestampMs, sets: new Map() };
}

/** Merges `from` into `into` (later sets with the same key win). Returns `into`. */
export function mergeInto(into: Batch, from: Batch): Batch {
  for (const [k, v] of from.sets) into.sets.set(k, v);
  return into;
}

/** Number of values (plain + labeled) in a batch. */
export function countPoints(batch: Batch): number {
  let n = 0;
  for (const set of batch.sets.values()) n += set.values.size + set.labeled.length;
  return n;
}

/** Stable text key of a labeled value's labels (sorted `k=v` joined by `,`). */
export function labelsKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  let out = '';
  for (const k of keys) out += (out ? ',' : '') + k + '=' + labels[k];
  return out;
}
