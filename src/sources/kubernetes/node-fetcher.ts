// How a kubernetes source gets one node's sets: fetched and parsed on the main thread
// (InlineFetcher, the default), or in kubelet worker threads (WorkerFetcher, `kubeletWorkers=N`)
// that post compact frames back, so that HTTP, JSON parsing and conversion run on another
// core. One worker made a 1,000-node tick faster on 2 cores but a 5,000-node tick slower and
// larger (bench/RESULTS.md, 2026-12-07); hence opt-in.
import { Worker } from 'node:worker_threads';
import type { Batch } from '../../core/batch.js';
import { emptyBatch } from '../../core/batch.js';
import type { Logger } from '../../core/log.js';
import { KubeletClient } from './kubelet-client.js';
import type { KubeletClientOptions } from './kubelet-client.js';
import { KUBELET_PATHS, parseNodeAnswer } from './node-answer.js';
import type { KubeletTarget } from './node-answer.js';
import { FrameDecoder, FrameError } from './node-frame.js';
import type { NodeFrame } from './node-frame.js';
import type { KubeletEndpoint } from './options.js';

/** Fetches one node's kubelet endpoint and parses it into that node's sets. */
export interface NodeFetcher {
  /**
   * The node's sets in a new batch stamped `timestampMs`. Rejects with an Error naming the
   * node (HTTP, TLS, timeout, malformed answer) or when `signal` aborts.
   */
  fetch(target: KubeletTarget, timestampMs: number, signal: AbortSignal): Promise<Batch>;
  /** Drops what is kept per node for nodes not in `live` (nodes that left the cluster). */
  retain(live: ReadonlySet<string>): void;
  close(): Promise<void>;
}

/** Fetches and parses on the calling thread. */
export class InlineFetcher implements NodeFetcher {
  private readonly client: KubeletClient;

  constructor(
    private readonly endpoint: KubeletEndpoint,
    clientOpts: KubeletClientOptions,
  ) {
    this.client = new KubeletClient(clientOpts);
  }

  async fetch(target: KubeletTarget, timestampMs: number, signal: AbortSignal): Promise<Batch> {
    const text = await this.client.get(
      target.address,
      KUBELET_PATHS[this.endpoint],
      target.nodeName,
      signal,
    );
    // An answer that arrives after the budget is not parsed: the tick is already over.
    if (signal.aborted) throw new Error('aborted after the answer arrived');
    const local = emptyBatch(timestampMs);
    parseNodeAnswer(this.endpoint, text, target, Date.now(), local);
    return local;
  }

  retain(): void {}

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** What a kubelet worker starts with (its workerData). */
export interface WorkerInit {
  readonly endpoint: KubeletEndpoint;
  readonly client: Omit<KubeletClientOptions, 'caPem'> & { readonly caPem?: Uint8Array };
}

/** Messages to a kubelet worker. */
export type ToWorker =
  | { readonly t: 'get'; readonly id: number; readonly target: KubeletTarget }
  | { readonly t: 'cancel'; readonly id: number }
  | { readonly t: 'forget'; readonly nodes: readonly string[] };

/** Messages from a kubelet worker. */
type FromWorker =
  | { readonly t: 'ok'; readonly id: number; readonly node: string; readonly frame: NodeFrame }
  | { readonly t: 'err'; readonly id: number; readonly message: string };

interface Pending {
  readonly node: string;
  readonly timestampMs: number;
  resolve(b: Batch): void;
  reject(e: Error): void;
}

/**
 * Requests a worker has unanswered at most: its kubelet requests in flight plus the answers
 * queued for the main thread (a few MB at most).
 */
const MAX_OUTSTANDING = 128;

/** A request not sent yet: how to send it, how to fail it. */
interface Waiting {
  start(): void;
  fail(e: Error): void;
}

/** One worker thread and what it owes. */
class Lane {
  worker: Worker | undefined;
  /** Requests sent to the worker and not answered yet. */
  readonly pending = new Map<number, Pending>();
  /** Requests not sent yet (at most MAX_OUTSTANDING are pending), in order. */
  readonly waiting: Waiting[] = [];
  readonly decoder = new FrameDecoder();
}

/**
 * Fetches and parses in `workers` worker threads (kubelet-worker.ts); each node always goes to
 * the same worker, which sends the node's names and labels only when they change. A worker
 * that dies fails its requests in flight (those nodes miss one tick), is logged, and is
 * started again on the next request.
 */
export class WorkerFetcher implements NodeFetcher {
  private readonly lanes: Lane[];
  private nextId = 1;
  private closed = false;
  /** Frames received that carried a node's layout (the first of a node, or a changed one). */
  layoutsReceived = 0;

  constructor(
    private readonly init: WorkerInit,
    workers: number,
    private readonly logger: Logger,
  ) {
    if (!(workers >= 1)) throw new RangeError(`workers must be >= 1, got ${workers}`);
    this.lanes = Array.from({ length: workers }, () => new Lane());
  }

  fetch(target: KubeletTarget, timestampMs: number, signal: AbortSignal): Promise<Batch> {
    if (this.closed) return Promise.reject(new Error('the kubernetes source is closed'));
    const lane = this.lanes[laneOf(target.nodeName, this.lanes.length)];
    return new Promise<Batch>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortError(signal));
        return;
      }
      const id = this.nextId++;
      let sent: Worker | undefined;
      const start = (): void => {
        // Aborted while waiting (its abort listener runs after this one's pump).
        if (signal.aborted) {
          waiting.fail(abortError(signal));
          return;
        }
        sent = this.worker(lane);
        lane.pending.set(id, {
          node: target.nodeName,
          timestampMs,
          resolve: (b) => {
            signal.removeEventListener('abort', onAbort);
            resolve(b);
          },
          reject: (e) => {
            signal.removeEventListener('abort', onAbort);
            reject(e);
          },
        });
        sent.postMessage({ t: 'get', id, target: plainTarget(target) } satisfies ToWorker);
      };
      const waiting: Waiting = {
        start,
        fail: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = (): void => {
        const i = lane.waiting.indexOf(waiting);
        if (i >= 0) lane.waiting.splice(i, 1);
        else if (lane.pending.delete(id)) {
          sent?.postMessage({ t: 'cancel', id } satisfies ToWorker);
          this.pump(lane);
        } else return;
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      lane.waiting.push(waiting);
      this.pump(lane);
    });
  }

  /**
   * Sends waiting requests while fewer than MAX_OUTSTANDING are unanswered: the main thread
   * takes in nodes only as fast as it processes them, as it would reading sockets itself.
   * Without the bound a worker that parses faster than the main thread processes queues up
   * every node's frame in memory (10 GB at 5,000 nodes, measured).
   */
  private pump(lane: Lane): void {
    while (lane.pending.size < MAX_OUTSTANDING && lane.waiting.length > 0 && !this.closed) {
      lane.waiting.shift()!.start();
    }
  }

  retain(live: ReadonlySet<string>): void {
    for (const lane of this.lanes) {
      const gone = [...lane.decoder.nodes()].filter((n) => !live.has(n));
      if (gone.length === 0) continue;
      for (const n of gone) lane.decoder.forget(n);
      lane.worker?.postMessage({ t: 'forget', nodes: gone } satisfies ToWorker);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.lanes.map(async (lane) => {
        const w = lane.worker;
        lane.worker = undefined;
        this.failAll(lane, new Error('the kubernetes source is closed'));
        if (w !== undefined) await w.terminate();
      }),
    );
  }

  private worker(lane: Lane): Worker {
    if (lane.worker !== undefined) return lane.worker;
    const w = startWorker(this.init);
    w.unref();
    w.on('message', (msg: FromWorker) => this.onMessage(lane, w, msg));
    const onDeath = (why: string): void => {
      if (lane.worker !== w) return;
      lane.worker = undefined;
      if (this.closed) return;
      const err = new Error(
        `kubelet worker thread stopped (${why}); its nodes are retried next tick`,
      );
      this.logger.error({ err: why }, err.message);
      this.failAll(lane, err);
      // Its layouts died with it.
      for (const n of [...lane.decoder.nodes()]) lane.decoder.forget(n);
    };
    w.on('error', (err) => onDeath(err.message));
    w.on('exit', (code) => onDeath(`exit code ${code}`));
    lane.worker = w;
    return w;
  }

  private onMessage(lane: Lane, w: Worker, msg: FromWorker): void {
    const p = lane.pending.get(msg.id);
    if (lane.pending.delete(msg.id)) this.pump(lane);
    if (msg.t === 'err') {
      p?.reject(new Error(msg.message));
      return;
    }
    if (msg.frame.layout !== undefined) this.layoutsReceived++;
    let batch: Batch;
    try {
      // A late answer (its request was given up) is still decoded: its layout may be new.
      batch = lane.decoder.decode(msg.node, msg.frame, p?.timestampMs ?? 0);
    } catch (err) {
      // The worker sends the whole layout next time.
      if (err instanceof FrameError) {
        w.postMessage({ t: 'forget', nodes: [msg.node] } satisfies ToWorker);
      }
      p?.reject(err as Error);
      return;
    }
    p?.resolve(batch);
  }

  /** Fails the requests sent to a lane's worker (it died), and the waiting ones on close. */
  private failAll(lane: Lane, err: Error): void {
    const all = [...lane.pending.values()];
    lane.pending.clear();
    for (const p of all) p.reject(err);
    if (this.closed) {
      const waiting = lane.waiting.splice(0);
      for (const w of waiting) w.fail(err);
    } else this.pump(lane);
  }
}

/** The worker (sticky per node) of `node` among `n`. */
function laneOf(node: string, n: number): number {
  if (n === 1) return 0;
  let h = 0;
  for (let i = 0; i < node.length; i++) h = (Math.imul(h, 31) + node.charCodeAt(i)) | 0;
  return (h >>> 0) % n;
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error('scrape aborted');
}

/** The target's fields only (the structured clone of a class instance would fail or lose them). */
function plainTarget(t: KubeletTarget): KubeletTarget {
  return {
    nodeName: t.nodeName,
    hostname: t.hostname,
    hostId: t.hostId,
    address: t.address,
    schedulable: t.schedulable,
  };
}

/**
 * Starts kubelet-worker: the compiled .js next to this file, or the TypeScript source through
 * tsx when running from src/ (tests, `npm start` without a build).
 */
function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./kubelet-worker.js', import.meta.url), { workerData: init });
  }
  // Module hooks registered in this thread do not reach workers on Node 20: register tsx's
  // in the worker before importing the source.
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./kubelet-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: init });
}
