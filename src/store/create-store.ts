import type { Registry } from 'prom-client';
import type { Logger } from '../core/log.js';
import { openTsdbStoreInBackground } from './store-files.js';
import type { RecoveringStore } from './store-files.js';
import { TsdbStore } from './tsdb-store.js';

/** What the main job's store is built from (durations in ms). */
export interface StoreSettings {
  /** '' = memory only. */
  dataDir: string;
  retentionRawMs: number;
  retentionMs: number;
}

/**
 * The main job's store: persistent in `dataDir`, or memory-only when it is ''. A persistent
 * store recovers its files in the background (`recovered` resolves when it is done; append
 * only after it). When the directory cannot be created or opened, logs why and falls back to
 * memory only (the daemon still serves; history then ends at restart). Never throws.
 */
export function createStore(
  settings: StoreSettings,
  registry: Registry,
  logger: Logger,
): RecoveringStore {
  const base = {
    retentionRawMs: settings.retentionRawMs,
    retentionMs: settings.retentionMs,
    registry,
  };
  const memoryOnly = (): RecoveringStore => ({
    store: new TsdbStore(base),
    progress: { doneBytes: 0, totalBytes: 0 },
    recovered: Promise.resolve(),
    start: () => undefined,
    cancel: () => undefined,
  });
  if (settings.dataDir === '') return memoryOnly();
  try {
    return openTsdbStoreInBackground({ ...base, dataDir: settings.dataDir, logger });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.error(
      { dataDir: settings.dataDir, err: message },
      `store: cannot use --data-dir ${settings.dataDir} (${message}); keeping history in memory only`,
    );
    return memoryOnly();
  }
}

/** While a recovery runs: what to tell clients ("recovering history from …: 42 % …"). */
export function recoveryMessage(dataDir: string, r: RecoveringStore): string {
  const { doneBytes, totalBytes } = r.progress;
  const mb = (n: number) => (n / 1e6).toFixed(0);
  const pct = totalBytes > 0 ? Math.floor((100 * doneBytes) / totalBytes) : 0;
  return `recovering the stored history from ${dataDir}: ${pct} % (${mb(doneBytes)} of ${mb(totalBytes)} MB); metrics are served when it is done`;
}
