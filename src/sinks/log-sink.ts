import type { Batch } from '../core/batch.js';
import { labelsKey } from '../core/batch.js';
import type { Sink } from '../core/contracts.js';
import { isIntMetric } from '../core/metrics.js';

/** Where the log sink writes: anything with a Node-style `write` (process.stdout, a file stream). */
export interface LogSinkOutput {
  write(chunk: string, callback: (err?: Error | null) => void): boolean;
}

/** RFC3339 UTC, fractional seconds only when non-zero (`2018-06-01T10:01:00Z`). */
function rfc3339(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/(\.\d*?)0+Z$/, '$1Z')
    .replace(/\.Z$/, 'Z');
}

/** `<RFC3339> <unix nanoseconds>`, like the original's `%v %v` of a time and its UnixNano. */
function timeWithNanos(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const nanos = BigInt(Math.round(ms * 1000)) * 1000n;
  return `${rfc3339(ms)} ${nanos}`;
}

/** `%d` for int64 metrics, `%f` (6 decimals) for double ones, as the original printed them. */
function formatValue(name: string, value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return isIntMetric(name, value) ? String(Math.round(value)) : value.toFixed(6);
}

const PAD = '   ';

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The log sink's text dump of a batch (§4.15): a `DataBatch     Timestamp:` header, then per
 * metric-set key (sorted) its scrape and create times, labels, metrics and labeled metrics
 * (`name{k=v,...} = value`), each list sorted, and a blank line after every set.
 */
export function formatBatch(batch: Batch): string {
  const lines: string[] = [`DataBatch     Timestamp: ${rfc3339(batch.timestampMs)}`, ''];
  for (const key of [...batch.sets.keys()].sort()) {
    const ms = batch.sets.get(key);
    if (ms === undefined) continue;
    lines.push(`MetricSet: ${key}`);
    lines.push(`${PAD}Scrape time: ${timeWithNanos(ms.scrapeTimeMs)}`);
    lines.push(`${PAD}Create time: ${timeWithNanos(ms.createMs)}`);
    lines.push(`${PAD}Labels:`);
    for (const k of Object.keys(ms.labels).sort()) lines.push(`${PAD}${PAD}${k} = ${ms.labels[k]}`);
    lines.push(`${PAD}Metrics:`);
    for (const name of [...ms.values.keys()].sort()) {
      lines.push(`${PAD}${PAD}${name} = ${formatValue(name, ms.values.get(name) ?? NaN)}`);
    }
    lines.push(`${PAD}Labeled Metrics:`);
    const labeled = ms.labeled
      .map((lv) => ({ name: lv.name, lk: labelsKey(lv.labels), value: lv.value }))
      .sort((a, b) => compare(a.name, b.name) || compare(a.lk, b.lk));
    for (const lv of labeled) {
      lines.push(`${PAD}${PAD}${lv.name}{${lv.lk}} = ${formatValue(lv.name, lv.value)}`);
    }
    lines.push('');
  }
  return lines.join('\n') + '\n';
}

/** Options of the log sink. */
export interface LogSinkOptions {
  /** Default process.stdout. */
  out?: LogSinkOutput;
}

/**
 * `--sink=log`: writes `formatBatch(batch)` of every batch to `out`. `write` resolves when the
 * text is handed to the stream (rejects on a stream error); `close` does nothing (the stream is
 * not ours).
 */
export class LogSink implements Sink {
  readonly name = 'log';
  private readonly out: LogSinkOutput;

  constructor(opts: LogSinkOptions = {}) {
    this.out = opts.out ?? process.stdout;
  }

  write(batch: Batch): Promise<void> {
    const text = formatBatch(batch);
    return new Promise((resolve, reject) => {
      this.out.write(text, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
