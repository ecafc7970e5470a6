import type { Batch } from '../core/batch.js';
import type { Sink, Store } from '../core/contracts.js';

/**
 * The implicit `metric` sink (§4.16): appends every batch to the embedded store that backs the
 * Model API, `/healthz` and the metrics API. `write` is synchronous underneath and resolves at
 * once; `close` does nothing (the store outlives the sink).
 */
export class StoreSink implements Sink {
  readonly name = 'metric';

  constructor(private readonly store: Store) {}

  write(batch: Batch): Promise<void> {
    try {
      this.store.append(batch);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
