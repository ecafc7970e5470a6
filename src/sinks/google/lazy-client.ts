// What the Google API wrappers share: the project id (option or GCE metadata, cached) and one
// official client per sink, created at the first request (its package is imported then).
import type { Logger } from '../../core/log.js';
import type { GoogleTarget } from './google-options.js';
import { clientOptions, gceMetadata } from './google-options.js';

/** A gapic client as far as this wrapper needs it. */
interface Closable {
  close(): Promise<void>;
}

/**
 * The project and the lazily created client of one sink. `create` imports the client package
 * and builds the client from `clientOptions`; a failed creation or project lookup is retried at
 * the next call.
 */
export class LazyGoogleClient<C extends Closable> {
  private client: Promise<C> | undefined;
  private projectId: Promise<string> | undefined;

  constructor(
    private readonly target: GoogleTarget,
    private readonly logger: Logger,
    /** Package name, for the log line. */
    private readonly packageName: string,
    private readonly create: (options: Record<string, string | number | object>) => Promise<C>,
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

  /** The client, created (and its package loaded) at the first call. */
  get(signal: AbortSignal): Promise<C> {
    this.client ??= (async () => {
      const project = await this.project(signal);
      const started = performance.now();
      const client = await this.create(await clientOptions(this.target, project));
      this.logger.debug(
        { loadMs: Math.round(performance.now() - started) },
        `loaded ${this.packageName}`,
      );
      return client;
    })();
    this.client.catch(() => (this.client = undefined));
    return this.client;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await (await client.catch(() => undefined))?.close();
  }
}
