import type { ParsedUri } from '../../config/types.js';
import { ConfigError } from '../../config/types.js';
import { checkOptions, optionString } from '../../config/uri.js';
import type { Batch } from '../../core/batch.js';
import type { Logger } from '../../core/log.js';
import type { Chunk, ChunkedSink, RuntimeOptions } from '../../pipeline/sink-queue.js';
import { PermanentWriteError } from '../../pipeline/sink-queue.js';
import type { GcmMetricFilter, GcmMetricInfo } from './gcm-series.js';
import { GCM_TYPE_PREFIX, gcmDescriptor, gcmMetricInfo, gcmSeries } from './gcm-series.js';
import type { GoogleTarget } from './google-options.js';
import { GOOGLE_OPTION_NAMES, parseGoogleTarget, raceSignal } from './google-options.js';
import type { TimeSeries } from './monitoring-api.js';
import { MonitoringApi } from './monitoring-api.js';
import { seriesChunks } from './series-chunks.js';

/** Typed `--sink=gcm[:?metrics=all|autoscaling&project=...]`. */
export interface GcmConfig {
  readonly target: GoogleTarget;
  readonly metrics: GcmMetricFilter;
  readonly runtime: RuntimeOptions;
}

const OPTIONS = ['metrics', ...GOOGLE_OPTION_NAMES];

/** Parses the gcm URI; ConfigError naming the option on an unknown option or bad value. */
export function parseGcmUri(uri: ParsedUri, env?: NodeJS.ProcessEnv, onGce?: boolean): GcmConfig {
  checkOptions(uri, OPTIONS, '--sink');
  const metrics = optionString(uri, 'metrics', 'all');
  if (metrics !== 'all' && metrics !== 'autoscaling') {
    throw new ConfigError(
      `--sink=${uri.raw}: option "metrics": ${JSON.stringify(metrics)} is not "all" or "autoscaling"`,
    );
  }
  const target = parseGoogleTarget(uri, env, onGce);
  return { target, metrics, runtime: target.runtime };
}

/**
 * `--sink=gcm`: Cloud Monitoring v3 custom metrics through @google-cloud/monitoring
 * (CreateTimeSeries, up to 200 series of one point each per request; see gcm-series.ts for
 * the mapping). Before the first write of a metric it creates the metric's descriptor once
 * (CUMULATIVE/GAUGE, INT64/DOUBLE, the GCM labels); an existing descriptor is fine. The client
 * is loaded at the first request. INVALID_ARGUMENT and similar answers reject the request
 * (logged with Google's message, not retried); other failures are retried by the runtime.
 */
export class GcmSink implements ChunkedSink<TimeSeries[]> {
  readonly name: string;
  readonly runtime: RuntimeOptions;
  private readonly api: MonitoringApi;
  private readonly infos = new Map<string, GcmMetricInfo>();
  /** Metric type → its descriptor creation (kept once it succeeded or was refused for good). */
  private readonly descriptors = new Map<string, Promise<void>>();

  constructor(
    readonly config: GcmConfig,
    private readonly logger: Logger,
  ) {
    this.runtime = config.runtime;
    this.name = config.target.project ? `gcm:${config.target.project}` : 'gcm';
    this.api = new MonitoringApi(config.target, logger);
  }

  private readonly infoOf = (metric: string, value: number): GcmMetricInfo => {
    let info = this.infos.get(metric);
    if (info === undefined) {
      info = gcmMetricInfo(metric, value);
      this.infos.set(metric, info);
    }
    return info;
  };

  *encode(batch: Batch): Generator<Chunk<TimeSeries[]>, void, undefined> {
    const skipped = new Map<string, string>();
    let duplicates = 0;
    yield* seriesChunks(
      gcmSeries(batch, {
        filter: this.config.metrics,
        project: this.config.target.project,
        infoOf: this.infoOf,
        onSkip: (metric, why) => skipped.set(metric, why),
      }),
      batch.timestampMs,
      undefined,
      () => duplicates++,
    );
    if (skipped.size > 0 || duplicates > 0) {
      this.logger.debug(
        { skipped: Object.fromEntries(skipped), duplicates },
        `gcm: left out ${skipped.size} metrics and ${duplicates} duplicate series of a batch`,
      );
    }
  }

  async write(batch: Batch): Promise<void> {
    for (const c of this.encode(batch)) await this.send(c.payload, AbortSignal.timeout(60_000));
  }

  async send(series: TimeSeries[], signal: AbortSignal): Promise<void> {
    const types = new Map<string, string>();
    for (const ts of series) {
      const type = ts.metric?.type ?? '';
      if (!types.has(type)) types.set(type, type.slice(GCM_TYPE_PREFIX.length));
    }
    await raceSignal(
      Promise.all([...types].map(([type, metric]) => this.ensureDescriptor(type, metric))),
      signal,
    );
    if (!this.config.target.project) {
      const project = await this.api.project(signal);
      for (const ts of series) if (ts.resource?.labels) ts.resource.labels.project_id = project;
    }
    await this.api.createTimeSeries(series, signal);
  }

  private ensureDescriptor(type: string, metric: string): Promise<void> {
    let p = this.descriptors.get(type);
    if (p === undefined) {
      const info = this.infos.get(metric) ?? gcmMetricInfo(metric, 0);
      p = this.api.createMetricDescriptor(gcmDescriptor(info)).catch((err: unknown) => {
        if (err instanceof PermanentWriteError) {
          // Keep going: the writes will tell whether the metric can be written anyway.
          this.logger.error({ type, err: err.message }, `gcm: ${err.message}`);
          return;
        }
        this.descriptors.delete(type);
        throw err;
      });
      this.descriptors.set(type, p);
    }
    return p;
  }

  async close(): Promise<void> {
    await this.api.close();
  }
}

/** Factory for the registry. */
export function createGcmSink(uri: ParsedUri, ctx: { logger: Logger }): GcmSink {
  return new GcmSink(parseGcmUri(uri), ctx.logger.child({ sink: 'gcm' }));
}
