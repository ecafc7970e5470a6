// The `cadvisor` source: scrape `/api/v1.3/subcontainers/` of every cAdvisor (or heapster agent).
import { setMaxListeners } from 'node:events';
import { Agent } from 'undici';
import type { Batch } from '../../core/batch.js';
import { emptyBatch } from '../../core/batch.js';
import type { Source, Window } from '../../core/contracts.js';
import type { Logger } from '../../core/log.js';
import type { CadvisorHost, HostDiscovery } from './hosts.js';
import { containerInfosToSets } from './parser.js';

/** The path every host is asked. */
export const SUBCONTAINERS_PATH = '/api/v1.3/subcontainers/';
/**
 * A v1 ContainerInfoRequest sent as the GET body (cAdvisor reads it on any method): only
 * the last sample is used, so ask for one instead of cAdvisor's default 60.
 */
const REQUEST_BODY = '{"num_stats":1}';

/** Counters since creation. */
export interface CadvisorSourceCounters {
  scrapes: number;
  /** Host answers parsed. */
  hostsOk: number;
  /** Host scrapes that failed, timed out or answered garbage. */
  hostsFailed: number;
  /** Discovery (hosts file, fleet) failures. */
  discoveryFailures: number;
}

/** Options of a cadvisor source. */
export interface CadvisorSourceOptions {
  readonly discovery: HostDiscovery;
  /** Per-host request timeout, ms. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Source name, e.g. `cadvisor:external`. */
  readonly name?: string;
}

/**
 * Scrapes every discovered host in parallel, each request bounded by `timeoutMs` and the
 * tick's signal, and merges what parsed. A host that is down, slow or answers malformed JSON
 * is missing from this tick only; a host going down or coming back is logged once per change
 * (with the URL and the reason) and counted. Rejects only when discovery has never produced
 * a host list.
 */
export class CadvisorSource implements Source {
  readonly name: string;
  readonly counters: CadvisorSourceCounters = {
    scrapes: 0,
    hostsOk: 0,
    hostsFailed: 0,
    discoveryFailures: 0,
  };
  /** Last error per failing host URL (absent = healthy). */
  private readonly failing = new Map<string, string>();
  private discoveryError = '';
  /** Keep-alive connections to the hosts. */
  private readonly http = new Agent({ keepAliveTimeout: 120_000, connections: 4 });

  constructor(private readonly opts: CadvisorSourceOptions) {
    this.name = opts.name ?? 'cadvisor';
  }

  async scrape(window: Window, signal: AbortSignal): Promise<Batch> {
    this.counters.scrapes++;
    let hosts: readonly CadvisorHost[];
    try {
      hosts = await this.opts.discovery.hosts(signal);
      if (this.discoveryError !== '') {
        this.opts.logger.info(`${this.name}: host discovery works again`);
        this.discoveryError = '';
      }
    } catch (err) {
      this.counters.discoveryFailures++;
      const message = (err as Error).message;
      if (message !== this.discoveryError) {
        this.opts.logger.warn({ err: message }, `${this.name}: host discovery failed: ${message}`);
        this.discoveryError = message;
      }
      const kept = (err as { keptHosts?: readonly CadvisorHost[] }).keptHosts;
      if (kept === undefined) throw err;
      hosts = kept;
    }
    const batch = emptyBatch(window.endMs);
    // One abort listener per host on a signal of our own (no MaxListenersExceededWarning
    // on the caller's signal with 11+ hosts).
    const scope = new AbortController();
    setMaxListeners(0, scope.signal);
    const onAbort = (): void => scope.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.all(hosts.map((h) => this.scrapeHost(h, batch, scope.signal)));
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    return batch;
  }

  private async scrapeHost(host: CadvisorHost, batch: Batch, signal: AbortSignal): Promise<void> {
    const url = host.baseUrl + SUBCONTAINERS_PATH;
    const target = new URL(url);
    try {
      const timeout = AbortSignal.timeout(this.opts.timeoutMs);
      let status: number;
      let text: string;
      try {
        const res = await this.http.request({
          origin: target.origin,
          path: target.pathname,
          method: 'GET',
          headers: { 'content-type': 'application/json' },
          body: REQUEST_BODY,
          signal: AbortSignal.any([signal, timeout]),
        });
        status = res.statusCode;
        text = await res.body.text();
      } catch (err) {
        const e = err as Error & { code?: string };
        const why = timeout.aborted
          ? `no answer within ${this.opts.timeoutMs} ms`
          : signal.aborted
            ? 'the tick ended before the answer'
            : (e.code ?? e.message);
        throw new Error(why);
      }
      if (status !== 200) throw new Error(`HTTP ${status}: ${text.slice(0, 200).trim()}`);
      if (signal.aborted) throw new Error('answer arrived after the tick ended');
      const local = emptyBatch(batch.timestampMs);
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (err) {
        throw new Error(`malformed JSON: ${(err as Error).message}`);
      }
      containerInfosToSets(
        doc,
        { nodeName: host.name, hostname: host.name, hostId: host.hostId },
        Date.now(),
        local,
      );
      local.sets.forEach((v, k) => batch.sets.set(k, v));
      this.counters.hostsOk++;
      if (this.failing.delete(url)) {
        this.opts.logger.info(
          { host: host.name, url },
          `${this.name}: host ${host.name} (${url}) answers again`,
        );
      }
    } catch (err) {
      this.counters.hostsFailed++;
      const message = `host ${host.name}: GET ${url}: ${(err as Error).message}`;
      const prev = this.failing.get(url);
      // Log once per state change: a host that keeps failing for the same reason is quiet.
      if (prev !== message) {
        this.opts.logger.warn({ host: host.name, url, err: message }, `${this.name}: ${message}`);
      }
      this.failing.set(url, message);
    }
  }

  /** Closes the connections to the hosts. */
  async close(): Promise<void> {
    await this.http.close();
  }

  /** URLs of the hosts whose last scrape failed, with the reason. */
  failingHosts(): ReadonlyMap<string, string> {
    return this.failing;
  }
}
