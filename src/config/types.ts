/** A `--source`/`--sink` value `key[:url][?opts]` after env expansion (§3). */
export interface ParsedUri {
  /** The flag value as given. */
  readonly raw: string;
  /** Text before the first `:` (or the whole value when there is no `:` and no `?`). */
  readonly key: string;
  /** Parsed URL of the rest, undefined when empty. Scheme+host of e.g. `http://h:8086`. */
  readonly url: URL | undefined;
  /** Query options; every value of a repeated option, in order. First value wins for scalars. */
  readonly options: ReadonlyMap<string, readonly string[]>;
  /** `--source=cadvisor:WORD?opts` only: the bare word (`external`, `coreos`), as Go's url.Parse kept it in Path. */
  readonly path?: string;
  /** `--source=cadvisor:URL1,URL2?opts` only: the comma-separated URL list (expanded). */
  readonly hosts?: string;
}

/** Typed command line of the main job (§2). Durations are milliseconds. */
export interface Config {
  sources: ParsedUri[];
  sinks: ParsedUri[];
  metricResolutionMs: number;
  heapsterPort: number;
  listenIp: string;
  maxProcs: number;
  tlsCert: string;
  tlsKey: string;
  tlsClientCa: string;
  allowedUsers: string[];
  historicalSource: string;
  apiServer: boolean;
  labelSeparator: string;
  ignoreLabels: string[];
  storeLabels: string[];
  disableExport: boolean;
  sinkExportDataTimeoutMs: number;
  disableMetricSink: boolean;
  /** How long the store keeps raw samples (`--retention-raw`, alias `--store-retention`; default 24h). */
  storeRetentionMs: number;
  /** How long the store keeps hourly roll-ups (`--retention`; default 30d, ≥ storeRetentionMs). */
  retentionMs: number;
  /** The store's data directory (`--data-dir`); '' = memory only. */
  dataDir: string;
  /** Delay after the window end before scraping (ours; original hard-coded 5s). */
  scrapeOffsetMs: number;
  /** Per-source scrape timeout (ours; original hard-coded 20s). */
  scrapeTimeoutMs: number;
  /** Node name used for the local source (ours; default os.hostname()). */
  nodeName: string;
  version: boolean;
  help: boolean;
}

/** A configuration error: says which flag or option is wrong. Exit code 2 in the CLI. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
