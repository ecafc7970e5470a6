import type { ParsedUri } from '../../config/types.js';
import { ConfigError } from '../../config/types.js';
import { checkOptions, optionBool, optionInt, optionString } from '../../config/uri.js';
import type { Batch } from '../../core/batch.js';
import type { Logger } from '../../core/log.js';
import type { Chunk, ChunkedSink, RuntimeOptions } from '../../pipeline/sink-queue.js';
import type { GoogleTarget } from './google-options.js';
import { GOOGLE_OPTION_NAMES, gceMetadata, parseGoogleTarget } from './google-options.js';
import type { TimeSeries } from './monitoring-api.js';
import { MonitoringApi } from './monitoring-api.js';
import { seriesChunks } from './series-chunks.js';
import type { StackdriverResourceOptions } from './stackdriver-series.js';
import { stackdriverSeries } from './stackdriver-series.js';

/** Typed `--sink=stackdriver[:?opts]` (§4.3). */
export interface StackdriverConfig extends StackdriverResourceOptions {
  readonly target: GoogleTarget;
  /** Batches closer than this to the last exported one are skipped (`min_interval_sec`). */
  readonly minIntervalMs: number;
  /** Deadline of each CreateTimeSeries call (`batch_export_timeout_sec`, default 60). */
  readonly callTimeoutMs: number;
  readonly runtime: RuntimeOptions;
}

const OPTIONS = [
  'cluster_name',
  'cluster_location',
  'zone',
  'min_interval_sec',
  'batch_export_timeout_sec',
  'initial_delay_sec',
  'use_old_resources',
  'use_new_resources',
  'workers',
  ...GOOGLE_OPTION_NAMES,
];

/**
 * Parses the stackdriver URI. Off GCE there is no metadata server, so `zone` (old resources)
 * or `cluster_location`/`zone` (new resources) and the project are required options.
 * `workers` is an alias of `concurrency`; `initial_delay_sec` is accepted and ignored (the
 * runtime's queue replaces the original's randomly delayed workers). ConfigError naming the
 * option on a bad value.
 */
export function parseStackdriverUri(
  uri: ParsedUri,
  env?: NodeJS.ProcessEnv,
  onGce?: boolean,
): StackdriverConfig {
  checkOptions(uri, OPTIONS, '--sink');
  const useOld = optionBool(uri, 'use_old_resources', true);
  const useNew = optionBool(uri, 'use_new_resources', false);
  if (!useOld && !useNew) {
    throw new ConfigError(
      `--sink=${uri.raw}: options "use_old_resources" and "use_new_resources" are both false: nothing to export`,
    );
  }
  optionInt(uri, 'initial_delay_sec', 3, { min: 0 });
  const workers = optionInt(uri, 'workers', 1, { min: 1, max: 64 });
  const target = parseGoogleTarget(uri, env, onGce);
  const zone = optionString(uri, 'zone', '');
  const clusterLocation = optionString(uri, 'cluster_location', '') || zone;
  if (!target.onGce) {
    if (useOld && zone === '') {
      throw new ConfigError(
        `--sink=${uri.raw}: option "zone" is required when not running on GCE (no metadata server to ask), e.g. zone=us-central1-a`,
      );
    }
    if (useNew && clusterLocation === '') {
      throw new ConfigError(
        `--sink=${uri.raw}: option "cluster_location" (or "zone") is required for the new resources when not running on GCE, e.g. cluster_location=us-central1`,
      );
    }
  }
  const runtime = uri.options.has('workers')
    ? { ...target.runtime, concurrency: workers }
    : target.runtime;
  return {
    target,
    project: target.project,
    clusterName: optionString(uri, 'cluster_name', ''),
    clusterLocation,
    zone,
    useOldResources: useOld,
    useNewResources: useNew,
    minIntervalMs: optionInt(uri, 'min_interval_sec', 0, { min: 0 }) * 1000,
    callTimeoutMs: optionInt(uri, 'batch_export_timeout_sec', 60, { min: 1, max: 3600 }) * 1000,
    runtime,
  };
}

/** Resource labels known only on GCE: read from the metadata server at the first request. */
interface GceFacts {
  project: string;
  zone: string;
  clusterName: string;
  clusterLocation: string;
}

/**
 * `--sink=stackdriver`: the Kubernetes system metrics of Cloud Monitoring through
 * @google-cloud/monitoring (CreateTimeSeries, ≤ 200 series per request; mapping in
 * stackdriver-series.ts). No descriptors are created: the metric types are Google's own.
 * On GCE, the project, zone, cluster name and location missing from the options are read from
 * the metadata server before the first request. Failures as for gcm.
 */
export class StackdriverSink implements ChunkedSink<TimeSeries[]> {
  readonly name = 'stackdriver';
  readonly runtime: RuntimeOptions;
  private readonly api: MonitoringApi;
  private lastExportMs = -Infinity;
  private facts: Promise<GceFacts> | undefined;

  constructor(
    readonly config: StackdriverConfig,
    private readonly logger: Logger,
  ) {
    this.runtime = config.runtime;
    this.api = new MonitoringApi(config.target, logger, config.callTimeoutMs);
  }

  *encode(batch: Batch): Generator<Chunk<TimeSeries[]>, void, undefined> {
    if (batch.timestampMs < this.lastExportMs + this.config.minIntervalMs) {
      this.logger.debug(
        { timestamp: new Date(batch.timestampMs).toISOString() },
        'stackdriver: skipping a batch within min_interval_sec of the last export',
      );
      return;
    }
    this.lastExportMs = batch.timestampMs;
    yield* seriesChunks(stackdriverSeries(batch, this.config), batch.timestampMs);
  }

  async write(batch: Batch): Promise<void> {
    for (const c of this.encode(batch)) await this.send(c.payload, AbortSignal.timeout(60_000));
  }

  async send(series: TimeSeries[], signal: AbortSignal): Promise<void> {
    if (this.config.target.onGce) {
      const facts = await this.gceFacts(signal);
      for (const ts of series) {
        const l = ts.resource?.labels;
        if (!l) continue;
        if (l.project_id === '') l.project_id = facts.project;
        if (l.zone === '') l.zone = facts.zone;
        if (l.location === '') l.location = facts.clusterLocation;
        if (l.cluster_name === '') l.cluster_name = facts.clusterName;
      }
    }
    await this.api.createTimeSeries(series, signal);
  }

  private gceFacts(signal: AbortSignal): Promise<GceFacts> {
    this.facts ??= (async () => {
      const c = this.config;
      const project = await this.api.project(signal);
      const zone =
        c.zone || ((await gceMetadata('instance/zone', signal)) ?? '').split('/').pop() || '';
      const clusterName =
        c.clusterName || ((await gceMetadata('instance/attributes/cluster-name', signal)) ?? '');
      const clusterLocation =
        c.clusterLocation ||
        (await gceMetadata('instance/attributes/cluster-location', signal)) ||
        zone;
      this.logger.info(
        { project, zone, clusterName, clusterLocation },
        'stackdriver: resource labels from the GCE metadata server',
      );
      return { project, zone, clusterName, clusterLocation };
    })();
    this.facts.catch(() => (this.facts = undefined));
    return this.facts;
  }

  async close(): Promise<void> {
    await this.api.close();
  }
}

/** Factory for the registry. */
export function createStackdriverSink(uri: ParsedUri, ctx: { logger: Logger }): StackdriverSink {
  return new StackdriverSink(parseStackdriverUri(uri), ctx.logger.child({ sink: 'stackdriver' }));
}
