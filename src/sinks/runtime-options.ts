import type { ParsedUri } from '../config/types.js';
import { optionDurationMs, optionInt } from '../config/uri.js';
import type { RuntimeOptions } from '../pipeline/sink-queue.js';

/** Options every point sink accepts besides its own: queue size and retry back-off. */
export const RUNTIME_OPTION_NAMES: readonly string[] = ['queue_points', 'retry_max_delay'];

/** Default queue capacity in points per sink (about 50 minutes of a 10-node cluster at 60 s). */
export const DEFAULT_QUEUE_POINTS = 1_000_000;

/** Default cap of the delay between retries. */
export const DEFAULT_RETRY_MAX_DELAY_MS = 30_000;

/**
 * Reads `queue_points` (integer ≥ 1, default 1,000,000) and `retry_max_delay` (duration
 * 100ms..10m, default 30s) from a sink URI; `concurrency` is the sink's own. Throws
 * ConfigError naming the option on a bad value.
 */
export function runtimeOptions(uri: ParsedUri, concurrency = 1): RuntimeOptions {
  return {
    capacityPoints: optionInt(uri, 'queue_points', DEFAULT_QUEUE_POINTS, { min: 1 }),
    retryMaxDelayMs: optionDurationMs(uri, 'retry_max_delay', DEFAULT_RETRY_MAX_DELAY_MS, {
      min: 100,
      max: 600_000,
    }),
    concurrency,
  };
}
