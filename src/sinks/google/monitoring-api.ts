// The Cloud Monitoring v3 calls the gcm and stackdriver sinks make, through the official
// @google-cloud/monitoring client, loaded only when such a sink sends its first request.
import type { MetricServiceClient, protos } from '@google-cloud/monitoring';
import type { Logger } from '../../core/log.js';
import type { GoogleTarget } from './google-options.js';
import {
  classifyError,
  clientOptions,
  gceMetadata,
  grpcCode,
  raceSignal,
} from './google-options.js';

export type TimeSeries = protos.google.monitoring.v3.ITimeSeries;
export type MetricDescriptor = protos.google.api.IMetricDescriptor;

/** Per-call deadline given to gax (our runtime bounds each request too). */
const DEFAULT_CALL_TIMEOUT_MS = 60_000;

/**
 * A lazily created MetricServiceClient for one sink. `project()` resolves the project (option,
 * env, or the GCE metadata server at first use); calls reject with PermanentWriteError for
 * requests Google refuses (INVALID_ARGUMENT, ...) and a plain Error for what may succeed
 * later. gax's own retries are off: the sink runtime retries and counts.
 */
export class MonitoringApi {
  private client: Promise<MetricServiceClient> | undefined;
  private projectId: Promise<string> | undefined;

  constructor(
    private readonly target: GoogleTarget,
    private readonly logger: Logger,
    private readonly callTimeoutMs = DEFAULT_CALL_TIMEOUT_MS,
  ) {}

  /** The project id (cached; on GCE without `project=` read once from the metadata server). */
  project(signal?: AbortSignal): Promise<string> {
    if (this.target.project) return Promise.resolve(this.target.project);
    this.projectId ??= gceMetadata('project/project-id', signal).then((p) => {
      if (!p) throw new Error('GCE metadata server has no project/project-id');
      return p;
    });
    this.projectId.catch(() => (this.projectId = undefined));
    return this.projectId;
  }

  private getClient(signal: AbortSignal): Promise<MetricServiceClient> {
    this.client ??= (async () => {
      const project = await this.project(signal);
      const started = performance.now();
      const { MetricServiceClient } = await import('@google-cloud/monitoring');
      const client = new MetricServiceClient(await clientOptions(this.target, project));
      this.logger.debug(
        { loadMs: Math.round(performance.now() - started) },
        'loaded @google-cloud/monitoring',
      );
      return client;
    })();
    this.client.catch(() => (this.client = undefined));
    return this.client;
  }

  /** `CreateTimeSeries` for `projects/<project>` (at most 200 series, one point each). */
  async createTimeSeries(series: TimeSeries[], signal: AbortSignal): Promise<void> {
    const client = await this.getClient(signal);
    const name = `projects/${await this.project(signal)}`;
    try {
      await raceSignal(
        client.createTimeSeries(
          { name, timeSeries: series },
          { retry: null, timeout: this.callTimeoutMs },
        ),
        signal,
      );
    } catch (err) {
      throw classifyError(`CreateTimeSeries (${series.length} series) to ${name}`, err);
    }
  }

  /**
   * `CreateMetricDescriptor`; an existing descriptor (ALREADY_EXISTS) counts as success.
   * `descriptor.name` is filled in from the project. No abort signal: callers share the
   * result, so it runs to the call deadline.
   */
  async createMetricDescriptor(descriptor: MetricDescriptor): Promise<void> {
    const signal = new AbortController().signal;
    const client = await this.getClient(signal);
    const project = await this.project(signal);
    const name = `projects/${project}`;
    const metricDescriptor = {
      ...descriptor,
      name: `${name}/metricDescriptors/${descriptor.type ?? ''}`,
    };
    try {
      await client.createMetricDescriptor(
        { name, metricDescriptor },
        { retry: null, timeout: this.callTimeoutMs },
      );
    } catch (err) {
      if (grpcCode(err) === 6) return;
      throw classifyError(`CreateMetricDescriptor ${descriptor.type ?? ''}`, err);
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await (await client.catch(() => undefined))?.close();
  }
}
