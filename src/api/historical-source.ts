import { parseUri } from '../config/uri.js';
import { ConfigError } from '../config/types.js';
import type { HistoricalBackend } from './historical.js';
import { createInfluxdbHistoricalBackend } from './historical-influxdb.js';

/** A historical backend the CLI can close on shutdown. */
export type ClosableHistoricalBackend = HistoricalBackend & { close(): Promise<void> };

/**
 * Builds the backend of `--historical_source=KEY:URL?opts` (the value repeats a `--sink`).
 * Only `influxdb` can serve history; any other key, or a bad option, is a ConfigError naming
 * the flag.
 */
export function createHistoricalBackend(value: string): ClosableHistoricalBackend {
  const uri = parseUri('--historical_source', value);
  if (uri.key === 'influxdb') return createInfluxdbHistoricalBackend(uri);
  throw new ConfigError(
    `--historical_source=${value}: sink "${uri.key}" cannot serve /api/v1/historical (only influxdb can)`,
  );
}
