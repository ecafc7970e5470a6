import type { KubeObject } from './kube-objects.js';

/** One watch event of one resource kind, serialised when the change happened. */
export interface WatchEntry {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object as it was at `rv` (used to evaluate selectors). */
  readonly object: KubeObject;
  /** `{"type":...,"object":...}\n`, ready to write. */
  readonly line: string;
}

/** A watch subscriber: receives every entry appended after it subscribed. */
export type WatchSubscriber = (entry: WatchEntry) => void;

/**
 * The recent changes of one resource kind (like the API server's watch cache): a bounded
 * log of entries in resource-version order plus live subscribers. A watch may start at any
 * resource version at or after `compactedRv`; older ones are "too old" (410 Gone).
 */
export class WatchLog {
  private readonly entries: WatchEntry[] = [];
  private readonly subscribers = new Set<WatchSubscriber>();
  /** Entries with rv <= compactedRv are no longer in the log. */
  compactedRv: number;

  constructor(
    private readonly capacity: number,
    compactedRv: number,
  ) {
    this.compactedRv = compactedRv;
  }

  /** Appends a change and hands it to every subscriber, synchronously. */
  append(rv: number, type: WatchEntry['type'], object: KubeObject): void {
    const entry: WatchEntry = {
      rv,
      type,
      object,
      line: `{"type":"${type}","object":${JSON.stringify(object)}}\n`,
    };
    this.entries.push(entry);
    while (this.entries.length > this.capacity) {
      const dropped = this.entries.shift();
      if (dropped) this.compactedRv = dropped.rv;
    }
    for (const s of this.subscribers) s(entry);
  }

  /** Entries with rv > `rv`, or 'expired' when some of them were already dropped. */
  since(rv: number): WatchEntry[] | 'expired' {
    if (rv < this.compactedRv) return 'expired';
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1].rv > rv) i--;
    return this.entries.slice(i);
  }

  /** Subscribes to new entries; returns the unsubscribe function. */
  subscribe(fn: WatchSubscriber): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** How many watches are open on this kind. */
  get watcherCount(): number {
    return this.subscribers.size;
  }
}
