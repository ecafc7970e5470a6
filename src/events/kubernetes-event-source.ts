// List+watch of v1 Events in every namespace (`--source=kubernetes:...` of the eventer).
import type {
  Informer,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  ObjectCache,
} from '@kubernetes/client-node';
import type { ParsedUri } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import { checkOptions } from '../config/uri.js';
import type { Logger } from '../core/log.js';
import { clientNode } from '../sources/kubernetes/client-node.js';
import { PagedLister } from '../sources/kubernetes/list-pages.js';
import { resolveClusterAccess } from '../sources/kubernetes/kube-config.js';
import { KUBERNETES_OPTIONS, parseKubernetesOptions } from '../sources/kubernetes/options.js';
import { decodeEvent } from './decode.js';
import { EventBuffer } from './event-buffer.js';
import type { EventerMetrics } from './eventer-metrics.js';
import type { KubeEvent } from './types.js';

const EVENTS_PATH = '/api/v1/events';

type Obj = KubernetesObject & Record<string, unknown>;

/** Marks list items (not enumerable, so copies of the object do not carry it). */
const FROM_LIST = Symbol('fromList');
type ListOrigin = 'initial' | 'relist';

/** Options of the event source. Durations in ms. */
export interface KubernetesEventSourceOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly metrics: EventerMetrics;
  /**
   * Events of the FIRST list whose last timestamp is before this are not exported (they were
   * exported before this eventer started, or are too old to matter). Later lists (after a 410
   * Gone or an API server outage) export every event not seen before.
   */
  readonly initialCutoffMs: number;
  /** Events held between ticks (default 100,000); beyond it new ones are dropped and counted. */
  readonly bufferCapacity?: number;
  /** First wait before restarting a failed list/watch (doubles up to `maxBackoffMs`). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Page size of list calls (`limit`), default 500. */
  readonly pageSize?: number;
  readonly listTimeoutMs?: number;
}

/**
 * Watches the Events of every namespace of one API server and buffers the new and changed
 * ones until the eventer's next tick (`take`). Built on @kubernetes/client-node's informer:
 * a list, then a watch from the list's resource version; a closed watch is resumed from the
 * last resource version seen, a 410 Gone relists, and a failed list or watch (API server
 * down or restarting) is retried with backoff for ever. The informer's cache (namespace,
 * name and resource version of every event, nothing else) makes each (event, version)
 * exported once: a relist hands over only events that are new or changed since the cache
 * saw them, so nothing is lost across a watch restart and nothing is exported twice.
 * `start` returns at once.
 */
export class KubernetesEventSource {
  readonly name = 'kubernetes';
  private informer: (Informer<Obj> & ObjectCache<Obj>) | undefined;
  private readonly buffer: EventBuffer;
  private readonly logger: Logger;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private backoffMs: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private lister: PagedLister | undefined;
  private stopped = false;
  private listedOnce = false;
  private droppedLogged = false;
  /** Events of the first list left out as older than the cut-off. */
  skippedOld = 0;

  constructor(private readonly opts: KubernetesEventSourceOptions) {
    this.buffer = new EventBuffer(opts.bufferCapacity);
    this.logger = opts.logger;
    this.minBackoffMs = opts.minBackoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.backoffMs = this.minBackoffMs;
  }

  /** Starts the list+watch (non-blocking). */
  start(): void {
    const { ERROR, makeInformer } = clientNode();
    const informer = makeInformer<Obj>(this.opts.kubeConfig, EVENTS_PATH, () => this.list());
    informer.on(ERROR, (err: unknown) => this.onError(err));
    informer.on('add', (o) => this.onEvent(o));
    informer.on('update', (o) => this.onEvent(o));
    this.informer = informer;
    void informer.start().catch((err: unknown) => this.onError(err));
  }

  /** Stops watching and releases connections. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.informer?.stop();
    await this.lister?.close();
  }

  /** True once the first list has been received. */
  synced(): boolean {
    return this.listedOnce;
  }

  /** Events waiting for the next tick. */
  get buffered(): number {
    return this.buffer.size;
  }

  /** Empties the buffer: the events received since the last call, and how many were dropped. */
  take(): { events: KubeEvent[]; dropped: number } {
    const out = this.buffer.take();
    this.droppedLogged = false;
    this.opts.metrics.bufferEvents.set(0);
    return out;
  }

  /** A new or changed event from a list or the watch: buffer it, keep only its key in the cache. */
  private onEvent(o: Obj): void {
    const origin = (o as Record<symbol, ListOrigin | undefined>)[FROM_LIST];
    const event = decodeEvent({ ...o });
    // The informer's cache keeps this object: leave it only what it compares.
    const m = o.metadata ?? {};
    for (const k of Object.keys(o)) if (k !== 'metadata') delete o[k];
    o.metadata = { name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion };
    if (event === undefined) return;
    if (origin === 'initial' && event.lastTimestampMs < this.opts.initialCutoffMs) {
      this.skippedOld++;
      return;
    }
    const { metrics } = this.opts;
    metrics.received.inc({ via: origin === undefined ? 'watch' : 'list' });
    if (this.buffer.push(event)) {
      metrics.bufferEvents.set(this.buffer.size);
      return;
    }
    metrics.dropped.inc({ reason: 'buffer_full' });
    if (!this.droppedLogged) {
      this.droppedLogged = true;
      this.logger.error(
        { capacity: this.buffer.capacity },
        `event buffer full (${this.buffer.capacity} events since the last tick): dropping new events until the next tick`,
      );
    }
  }

  private onError(err: unknown): void {
    if (this.stopped) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.maxBackoffMs, wait * 2);
    const message = err instanceof Error ? err.message : String(err);
    this.logger.warn(
      { err: message, retryInMs: wait },
      `watch of events failed (${message}); retrying in ${wait} ms`,
    );
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.stopped) return;
      this.opts.metrics.watchRestarts.inc();
      void this.informer?.start().catch((e: unknown) => this.onError(e));
    }, wait);
    this.timers.add(t);
  }

  /** Lists every event page by page as plain JSON, marking the items with their origin. */
  private async list(): Promise<KubernetesListObject<Obj>> {
    this.lister ??= new PagedLister(this.opts.kubeConfig, {
      pageSize: this.opts.pageSize ?? 500,
      timeoutMs: this.opts.listTimeoutMs ?? 60_000,
    });
    const items: Obj[] = [];
    const resourceVersion = await this.lister.list(EVENTS_PATH, (it) => items.push(it));
    const origin: ListOrigin = this.listedOnce ? 'relist' : 'initial';
    for (const it of items) {
      Object.defineProperty(it, FROM_LIST, { value: origin, enumerable: false });
    }
    this.backoffMs = this.minBackoffMs;
    if (!this.listedOnce) {
      // The informer takes the items right after this resolves.
      setImmediate(() => {
        this.logger.info(
          { events: items.length, skippedOld: this.skippedOld },
          `listed ${items.length} events; ${this.skippedOld} older than ${new Date(this.opts.initialCutoffMs).toISOString()} are not exported`,
        );
      });
    }
    this.listedOnce = true;
    return { apiVersion: 'v1', kind: 'EventList', metadata: { resourceVersion }, items };
  }
}

/**
 * Builds the event source from `--source=kubernetes[:<url>][?opts]` (§3.1 options: the API
 * server access ones apply; the kubelet ones are accepted, as they may be copied from the main
 * job's source, and ignored). Throws ConfigError naming the option for a bad key, option or
 * file.
 */
export function createKubernetesEventSource(
  uri: ParsedUri,
  ctx: Omit<KubernetesEventSourceOptions, 'kubeConfig'>,
): KubernetesEventSource {
  if (uri.key !== 'kubernetes') {
    throw new ConfigError(
      `--source=${uri.raw}: unknown event source "${uri.key}" (known: kubernetes)`,
    );
  }
  checkOptions(uri, KUBERNETES_OPTIONS, '--source');
  const opts = parseKubernetesOptions(uri, 'summary', 10_000);
  const access = resolveClusterAccess(opts, `--source=${uri.raw}`);
  const kubeletOptions = [...uri.options.keys()].filter((k) => /^kubelet|^host_id/.test(k));
  if (kubeletOptions.length > 0) {
    ctx.logger.info(
      { options: kubeletOptions },
      `--source: options ${kubeletOptions.join(', ')} are about kubelets and do not apply to events; ignored`,
    );
  }
  return new KubernetesEventSource({ ...ctx, kubeConfig: access.kubeConfig });
}
