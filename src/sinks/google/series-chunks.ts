// Groups Cloud Monitoring time series into CreateTimeSeries requests.
import { labelsKey } from '../../core/batch.js';
import type { Chunk } from '../../pipeline/sink-queue.js';
import type { TimeSeries } from './monitoring-api.js';

/** Cloud Monitoring accepts at most 200 time series per CreateTimeSeries request. */
export const MAX_SERIES_PER_REQUEST = 200;

/** One series to send; `counted` when it stands for one value of the batch (see seriesChunks). */
export interface SeriesItem {
  readonly series: TimeSeries;
  readonly counted: boolean;
}

/** Identity of a series: resource type and labels, metric type and labels. */
export function seriesKey(ts: TimeSeries): string {
  const r = ts.resource;
  const m = ts.metric;
  return `${r?.type ?? ''}{${labelsKey(r?.labels ?? {})}}${m?.type ?? ''}{${labelsKey(m?.labels ?? {})}}`;
}

/**
 * Splits series into requests of at most `max` series. A series whose identity already
 * appeared in this batch is left out and reported to `onDuplicate` (Cloud Monitoring refuses
 * two points of one series in a request, and a second request with the same end time).
 * A chunk's `points` counts its `counted` series (derived series and the second resource
 * model are not counted), so that the chunks of a batch add up to at most its values, as the
 * runtime needs; but it is at least 1, since the runtime skips empty chunks (a chunk of only
 * derived series borrows one point from the next chunks).
 */
export function* seriesChunks(
  items: Iterable<SeriesItem>,
  timestampMs: number,
  max = MAX_SERIES_PER_REQUEST,
  onDuplicate: (key: string) => void = () => undefined,
): Generator<Chunk<TimeSeries[]>, void, undefined> {
  const seen = new Set<string>();
  let payload: TimeSeries[] = [];
  let counted = 0;
  let assigned = 0;
  const take = (): number => {
    const points = Math.max(1, counted - assigned);
    assigned += points;
    return points;
  };
  for (const item of items) {
    const key = seriesKey(item.series);
    if (seen.has(key)) {
      onDuplicate(key);
      continue;
    }
    seen.add(key);
    payload.push(item.series);
    if (item.counted) counted++;
    if (payload.length >= max) {
      yield { payload, points: take(), timestampMs };
      payload = [];
    }
  }
  if (payload.length > 0) yield { payload, points: take(), timestampMs };
}
