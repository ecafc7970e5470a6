// The Cloud Monitoring v3 calls the gcm and stackdriver sinks make, through the official
// @google-cloud/monitoring client, loaded only when such a sink sends its first request.
import type { MetricServiceClient, protos } from '@google-cloud/monitoring';
import type { Logger } from '../../core/log.js';
import type { GoogleTarget } from './google-options.js';
import { classifyError, grpcCode, raceSignal } from './google-options.js';
import { LazyGoogleClient } from './lazy-client.js';

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
  private readonly client: LazyGoogleClient<MetricServiceClient>;

  constructor(
    target: GoogleTarget,
    logger: Logger,
    private readonly callTimeoutMs = DEFAULT_CALL_TIMEOUT_MS,
  ) {
    this.client = new LazyGoogleClient(target, logger, '@google-cloud/monitoring', async (opts) => {
      const { MetricServiceClient } = await import('@google-cloud/monitoring');
      return new MetricServiceClient(opts);
    });
  }

  /** The project id (cached; on GCE without `project=` read once from the metadata server). */
  project(signal?: AbortSignal): Promise<string> {
    return this.client.project(signal);
  }

  /** `CreateTimeSeries` for `projects/<project>` (at most 200 series, one point each). */
  async createTimeSeries(series: TimeSeries[], signal: AbortSignal): Promise<void> {
    const client = await this.client.get(signal);
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
    const client = await this.client.get(signal);
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

  close(): Promise<void> {
    return this.client.close();
  }
}
