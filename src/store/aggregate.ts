import type { AggregateBucket } from '../core/contracts.js';

/** Epoch-aligned start of the step containing t. */
export function bucketStart(t: number, stepMs: number): number {
  return Math.floor(t / stepMs) * stepMs;
}

/** Nearest-rank index of InfluxDB's PERCENTILE(p) in n sorted values (0-based, clamped). */
export function percentileRank(n: number, p: number): number {
  const i = Math.floor((n * p) / 100 + 0.5) - 1;
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/**
 * Exact buckets of raw points (times sorted ascending, finite values): count, average, min, max,
 * median (mean of the two middle values for an even count, like InfluxDB's MEDIAN) and the
 * nearest-rank 50/95/99th percentiles (InfluxDB's PERCENTILE).
 */
export function bucketsFromRaw(
  ts: ArrayLike<number>,
  vs: ArrayLike<number>,
  n: number,
  stepMs: number,
): AggregateBucket[] {
  const out: AggregateBucket[] = [];
  let i = 0;
  while (i < n) {
    const start = bucketStart(ts[i], stepMs);
    let j = i;
    while (j < n && ts[j] < start + stepMs) j++;
    const vals = new Float64Array(j - i);
    let sum = 0;
    for (let k = i; k < j; k++) {
      vals[k - i] = vs[k];
      sum += vs[k];
    }
    vals.sort();
    const c = vals.length;
    const median = c % 2 === 1 ? vals[(c - 1) / 2] : (vals[c / 2 - 1] + vals[c / 2]) / 2;
    out.push({
      startMs: start,
      count: c,
      average: sum / c,
      min: vals[0],
      max: vals[c - 1],
      median,
      p50: vals[percentileRank(c, 50)],
      p95: vals[percentileRank(c, 95)],
      p99: vals[percentileRank(c, 99)],
      exact: true,
    });
    i = j;
  }
  return out;
}

/** Roll-up records sorted by time: per record min, max, sum and count of the raw values. */
export interface Rollups {
  ts: number[];
  min: number[];
  max: number[];
  sum: number[];
  count: number[];
}

/**
 * Buckets from roll-up records (sorted by time). Count, sum, min and max combine exactly. The
 * median and percentiles are the count-weighted nearest-rank quantiles of the records' averages:
 * an estimate whose error is bounded — the true quantile lies between the same quantile taken
 * over the records' minima and over their maxima (each raw value lies in its record's
 * [min, max]); it is exact when values are constant within each record.
 */
export function bucketsFromRollups(r: Rollups, stepMs: number): AggregateBucket[] {
  const out: AggregateBucket[] = [];
  const n = r.ts.length;
  let i = 0;
  while (i < n) {
    const start = bucketStart(r.ts[i], stepMs);
    let j = i;
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    while (j < n && r.ts[j] < start + stepMs) {
      count += r.count[j];
      sum += r.sum[j];
      if (r.min[j] < min) min = r.min[j];
      if (r.max[j] > max) max = r.max[j];
      j++;
    }
    if (count > 0) {
      const idx: number[] = [];
      for (let k = i; k < j; k++) if (r.count[k] > 0) idx.push(k);
      idx.sort((a, b) => r.sum[a] / r.count[a] - r.sum[b] / r.count[b]);
      const q = (p: number): number => {
        const rank = percentileRank(count, p);
        let acc = 0;
        for (const k of idx) {
          acc += r.count[k];
          if (acc > rank) return r.sum[k] / r.count[k];
        }
        return max;
      };
      const p50 = q(50);
      out.push({
        startMs: start,
        count,
        average: sum / count,
        min,
        max,
        median: p50,
        p50,
        p95: q(95),
        p99: q(99),
        exact: false,
      });
    }
    i = j;
  }
  return out;
}
