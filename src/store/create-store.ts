import type { Registry } from 'prom-client';
import type { Logger } from '../core/log.js';
import { openTsdbStore } from './store-files.js';
import { TsdbStore } from './tsdb-store.js';

/** What the main job's store is built from (durations in ms). */
export interface StoreSettings {
  /** '' = memory only. */
  dataDir: string;
  retentionRawMs: number;
  retentionMs: number;
}

/**
 * The main job's store: persistent in `dataDir`, or memory-only when it is ''. When the
 * directory cannot be created or opened, logs why and falls back to memory only (the daemon
 * still serves; history then ends at restart). Never throws.
 */
export function createStore(
  settings: StoreSettings,
  registry: Registry,
  logger: Logger,
): TsdbStore {
  const base = {
    retentionRawMs: settings.retentionRawMs,
    retentionMs: settings.retentionMs,
    registry,
  };
  if (settings.dataDir === '') return new TsdbStore(base);
  try {
    return openTsdbStore({ ...base, dataDir: settings.dataDir, logger });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.error(
      { dataDir: settings.dataDir, err: message },
      `store: cannot use --data-dir ${settings.dataDir} (${message}); keeping history in memory only`,
    );
    return new TsdbStore(base);
  }
}
