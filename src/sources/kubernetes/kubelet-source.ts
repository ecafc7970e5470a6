// The kubernetes sources: discover nodes, scrape every Ready node's kubelet in parallel.
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Batch } from '../../core/batch.js';
import { emptyBatch } from '../../core/batch.js';
import type { Source, Window } from '../../core/contracts.js';
import type { Logger } from '../../core/log.js';
import { ConfigError } from '../../config/types.js';
import type { ClusterView, HasClusterView, NodeInfo } from './cluster-view.js';
import { KubernetesDiscovery } from './discovery.js';
import type { ClusterAccess } from './kube-config.js';
import type { KubeletClientOptions } from './kubelet-client.js';
import type { KubeletTarget } from './node-answer.js';
import { InlineFetcher, WorkerFetcher } from './node-fetcher.js';
import type { NodeFetcher } from './node-fetcher.js';
import type { KubeletEndpoint, KubernetesSourceOptions } from './options.js';

export type { KubeletTarget } from './node-answer.js';

const SOURCE_NAMES: Readonly<Record<KubeletEndpoint, string>> = {
  summary: 'kubernetes.summary_api',
  cadvisor: 'kubernetes',
  resource: 'kubernetes.resource_api',
};

/**
 * The node's kubelet address by the first preferred type it has, undefined when none. The
 * `hostname` label is the node's Hostname address, else its name; `host_id` is
 * `spec.externalID`/`providerID`, else the `hostIdAnnotation` annotation.
 */
export function kubeletTarget(
  node: NodeInfo,
  addressTypes: readonly string[],
  hostIdAnnotation: string,
): KubeletTarget | undefined {
  let address: string | undefined;
  for (const t of addressTypes) {
    address = node.addresses.find((a) => a.type === t && a.address !== '')?.address;
    if (address !== undefined) break;
  }
  if (address === undefined) return undefined;
  const hostname = node.addresses.find((a) => a.type === 'Hostname')?.address || node.name;
  const hostId =
    node.externalId || (hostIdAnnotation ? (node.annotations[hostIdAnnotation] ?? '') : '');
  return { nodeName: node.name, hostname, hostId, address, schedulable: !node.unschedulable };
}

/**
 * Event loop utilization during a scrape from which cut-off nodes are blamed on heapster's own
 * load rather than on slow kubelets.
 */
const BUSY_SCRAPE = 0.8;

/** Outcome counts of the last scrape (tests, logs). */
export interface ScrapeStats {
  nodes: number;
  ok: number;
  failed: number;
  skippedNotReady: number;
  errors: string[];
}

/**
 * A kubernetes source (`kubernetes`, `kubernetes.summary_api`, `kubernetes.resource_api`):
 * on each scrape, waits (within the scrape's signal) for the first discovery lists, then
 * fetches every Ready node's kubelet endpoint in parallel (each request bounded by
 * `kubeletTimeoutMs`; fetched and parsed on the main thread, or in `kubeletWorkers` worker
 * threads, see node-fetcher.ts) and merges what parsed. A node that fails, times out or answers
 * malformed data is missing from this tick's batch only; failures are logged in one line
 * per tick. With `onPart`, each node's sets go to it as soon as they are parsed (the pipeline
 * processes and stores them while other nodes are still answering) and the returned batch is
 * empty. When the scrape budget cuts nodes off, those nodes are asked first next time, so
 * an overloaded scrape misses different nodes each tick rather than the same ones. Rejects
 * only when the scrape is aborted before discovery synced.
 */
export class KubeletSource implements Source, HasClusterView {
  readonly name: string;
  readonly cluster: ClusterView;
  lastStats: ScrapeStats = { nodes: 0, ok: 0, failed: 0, skippedNotReady: 0, errors: [] };
  private readonly discovery: KubernetesDiscovery;
  private readonly fetcher: NodeFetcher;
  /**
   * Nodes the last scrape's budget cut off: asked first in the next scrape, so a scrape that
   * cannot reach every node in time misses different nodes each tick, not the same ones.
   */
  private cutLast = new Set<string>();

  constructor(
    private readonly opts: KubernetesSourceOptions,
    access: ClusterAccess,
    private readonly logger: Logger,
    discovery?: KubernetesDiscovery,
  ) {
    this.name = SOURCE_NAMES[opts.endpoint];
    this.discovery =
      discovery ?? new KubernetesDiscovery({ kubeConfig: access.kubeConfig, logger });
    this.cluster = this.discovery;
    let caPem = access.caPem;
    if (opts.kubeletCaFile !== '') {
      try {
        caPem = readFileSync(opts.kubeletCaFile);
      } catch (err) {
        throw new ConfigError(
          `--source: option "kubeletCaFile": cannot read ${opts.kubeletCaFile}: ${(err as Error).message}`,
        );
      }
    }
    const client: KubeletClientOptions = {
      port: opts.kubeletPort,
      https: opts.kubeletHttps,
      caPem,
      // `insecure=true` with no kubelet CA keeps the original's meaning: no verification.
      insecureTls: opts.kubeletInsecureTls || (opts.insecure && opts.kubeletCaFile === ''),
      token: access.token,
      timeoutMs: opts.kubeletTimeoutMs,
      maxConcurrent: opts.maxConcurrentRequests,
    };
    this.fetcher =
      opts.kubeletWorkers === 0
        ? new InlineFetcher(opts.endpoint, client)
        : new WorkerFetcher(
            {
              endpoint: opts.endpoint,
              client: {
                ...client,
                caPem: caPem === undefined ? undefined : new Uint8Array(caPem),
                // Shared out between the workers.
                maxConcurrent: Math.ceil((opts.maxConcurrentRequests ?? 256) / opts.kubeletWorkers),
              },
            },
            opts.kubeletWorkers,
            logger,
          );
    if (discovery === undefined) this.discovery.start();
  }

  async scrape(
    window: Window,
    signal: AbortSignal,
    onPart?: (part: Batch) => void,
  ): Promise<Batch> {
    if (!this.discovery.synced()) {
      const ok = await this.discovery.waitForSync(this.opts.kubeletTimeoutMs, signal);
      if (!ok) throw new Error('the API server has not answered the first node/pod lists yet');
    }
    const batch = emptyBatch(window.endMs);
    const stats: ScrapeStats = { nodes: 0, ok: 0, failed: 0, skippedNotReady: 0, errors: [] };
    const jobs: Promise<void>[] = [];
    const cut = new Set<string>();
    // Every node request listens for the abort: one listener per node on a signal of our
    // own (no MaxListenersExceededWarning on the caller's signal at 11+ nodes).
    const scope = new AbortController();
    setMaxListeners(0, scope.signal);
    const onAbort = (): void => scope.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const budgetMs = this.opts.scrapeBudgetMs;
    // How busy this thread was during the scrape: tells a budget spent taking in answers
    // (heapster is the bottleneck) from one spent waiting for them (slow kubelets).
    const elu0 = performance.eventLoopUtilization();
    const budget =
      budgetMs === undefined
        ? undefined
        : setTimeout(() => scope.abort(new ScrapeBudgetError(budgetMs)), budgetMs);
    // Requests queue in this order (at most maxConcurrentRequests in flight).
    const cutLast = this.cutLast;
    const nodes =
      cutLast.size === 0
        ? this.discovery.nodes()
        : [...this.discovery.nodes()].sort(
            (a, b) => Number(cutLast.has(b.name)) - Number(cutLast.has(a.name)),
          );
    // Every node of the cluster, Ready or not (what the fetcher keeps per node is for these).
    const live = new Set<string>();
    for (const node of nodes) {
      live.add(node.name);
      if (!node.ready) {
        stats.skippedNotReady++;
        continue;
      }
      const target = kubeletTarget(node, this.opts.addressTypes, this.opts.hostIdAnnotation);
      if (target === undefined) {
        stats.failed++;
        stats.errors.push(
          `node ${node.name}: no address of type ${this.opts.addressTypes.join('/')} (option kubeletPreferredAddressTypes)`,
        );
        continue;
      }
      stats.nodes++;
      jobs.push(this.scrapeNode(target, batch, scope.signal, stats, onPart, cut));
    }
    try {
      await Promise.all(jobs);
    } finally {
      clearTimeout(budget);
      signal.removeEventListener('abort', onAbort);
    }
    const busy = performance.eventLoopUtilization(elu0).utilization;
    this.lastStats = stats;
    this.cutLast = cut;
    this.fetcher.retain(live);
    if (stats.failed > 0) {
      const why = cut.size > 0 ? this.cutReason(cut.size, stats, busy) : '';
      this.logger.warn(
        {
          failed: stats.failed,
          ok: stats.ok,
          cutByBudget: cut.size,
          eventLoopBusy: Math.round(busy * 100) / 100,
          errors: stats.errors.slice(0, 5),
        },
        `${this.name}: ${stats.failed} node(s) missing from this tick (${stats.ok} scraped)${why}; first: ${stats.errors[0] ?? ''}`,
      );
    }
    return batch;
  }

  /**
   * Why the budget cut nodes off: heapster busy taking in the answers (this machine cannot
   * keep up with the cluster at this resolution), or the kubelets slow to answer.
   */
  private cutReason(cut: number, stats: ScrapeStats, busy: number): string {
    const pct = Math.round(busy * 100);
    if (busy < BUSY_SCRAPE) {
      return `; ${cut} did not answer within the scrape budget (heapster was busy ${pct} % of it: the kubelets or the network were slow)`;
    }
    return (
      `; ${cut} were cut off by the scrape budget while heapster was busy ${pct} % of the scrape ` +
      `taking in the ${stats.ok} answers: it cannot take ${stats.nodes} nodes per scrape on this machine. ` +
      'Give it more time (--metric-resolution, and --scrape-timeout: the budget is 90 % of it) or more CPU'
    );
  }

  /** Stops discovery and closes kubelet connections. */
  async close(): Promise<void> {
    await Promise.all([this.discovery.stop(), this.fetcher.close()]);
  }

  private async scrapeNode(
    target: KubeletTarget,
    batch: Batch,
    signal: AbortSignal,
    stats: ScrapeStats,
    onPart: ((part: Batch) => void) | undefined,
    cut: Set<string>,
  ): Promise<void> {
    try {
      // Rejects when the budget ran out first (an answer after it is not parsed or kept).
      const local = await this.fetcher.fetch(target, batch.timestampMs, signal);
      stats.ok++;
      // A node's sets are complete here: hand them on now (processed and stored while the
      // other nodes are still answering), or merge them into the returned batch.
      if (onPart !== undefined) onPart(local);
      else local.sets.forEach((v, k) => batch.sets.set(k, v));
    } catch (err) {
      stats.failed++;
      const reason: unknown = signal.aborted ? signal.reason : undefined;
      if (reason instanceof ScrapeBudgetError) cut.add(target.nodeName);
      stats.errors.push(
        reason instanceof ScrapeBudgetError
          ? `node ${target.nodeName}: ${reason.message}`
          : (err as Error).message,
      );
    }
  }
}

/** Why a node request was cut off: the scrape of all nodes ran out of its time budget. */
class ScrapeBudgetError extends Error {
  constructor(budgetMs: number) {
    super(
      `no answer within the scrape budget of ${budgetMs} ms (90% of the scrape timeout) for all nodes; ` +
        'the nodes that answered are kept',
    );
  }
}
