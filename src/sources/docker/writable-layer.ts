// Disk usage of each container's writable layer, walked in small time-boxed slices.
import type { Dirent } from 'node:fs';
import { lstatSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** A container whose writable layer can be measured. */
export interface LayerRef {
  readonly id: string;
  /** Directory of the writable layer (overlay2 `UpperDir`). */
  readonly upperDir?: string;
}

/** Options of the walker. */
export interface WritableLayerOptions {
  /** Time between the starts of two full rounds over every container, ms (default 60 s). */
  readonly intervalMs?: number;
  /** Most time one `tick` may spend walking, ms (default 20 ms); the rest waits for the next tick. */
  readonly budgetMs?: number;
  readonly nowMs?: () => number;
}

/** What the last finished round cost. */
export interface LayerRoundStats {
  /** Wall time spent walking over the round's slices, ms (the walk is synchronous: ≈ CPU). */
  readonly walkMs: number;
  /** Number of `tick` slices the round took. */
  readonly slices: number;
  readonly containers: number;
  /** Files and directories stat'ed. */
  readonly entries: number;
  /** When it finished, ms since the epoch. */
  readonly finishedMs: number;
}

interface Walk {
  readonly id: string;
  readonly stack: string[];
  bytes: number;
}

/**
 * Measures each container's writable layer like `du` (allocated blocks × 512 of every file
 * and directory below `upperDir`, symlinks not followed). A round over all containers
 * starts every `intervalMs`; each `tick` walks for at most `budgetMs` (checked after each
 * directory) and resumes where it stopped on the next tick, so measuring disk never blocks the
 * event loop long. A container's figure is replaced only when its walk completes; containers
 * that vanish lose their figure. Synchronous, single-threaded.
 */
export class WritableLayerUsage {
  private readonly intervalMs: number;
  private readonly budgetMs: number;
  private readonly nowMs: () => number;
  private readonly usage = new Map<string, number>();
  private pending: LayerRef[] = [];
  private current: Walk | undefined;
  private roundActive = false;
  private nextRoundMs = 0;
  private round = { walkMs: 0, slices: 0, containers: 0, entries: 0 };
  private last: LayerRoundStats | undefined;

  constructor(opts: WritableLayerOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.budgetMs = opts.budgetMs ?? 20;
    this.nowMs = opts.nowMs ?? Date.now;
  }

  /** Bytes used by the container's writable layer, if measured. */
  get(id: string): number | undefined {
    return this.usage.get(id);
  }

  /** Cost of the last completed round. */
  lastRound(): LayerRoundStats | undefined {
    return this.last;
  }

  /**
   * Walks for at most the budget if a round is due or unfinished. `containers` is read only
   * when a round starts (the set of containers is fixed for the round).
   */
  tick(containers: () => Iterable<LayerRef>): void {
    if (!this.roundActive) {
      if (this.nowMs() < this.nextRoundMs) return;
      this.startRound(containers());
    }
    this.walkFor(this.budgetMs);
  }

  /** Walks a whole round now, ignoring the budget (benchmarks, tests). */
  refreshAll(containers: Iterable<LayerRef>): LayerRoundStats {
    this.startRound(containers);
    while (this.roundActive) this.walkFor(Number.POSITIVE_INFINITY);
    return this.last!;
  }

  private startRound(containers: Iterable<LayerRef>): void {
    this.pending = [];
    const keep = new Set<string>();
    for (const c of containers) {
      keep.add(c.id);
      if (c.upperDir !== undefined) this.pending.push(c);
    }
    for (const id of this.usage.keys()) if (!keep.has(id)) this.usage.delete(id);
    this.current = undefined;
    this.roundActive = true;
    this.nextRoundMs = this.nowMs() + this.intervalMs;
    this.round = { walkMs: 0, slices: 0, containers: this.pending.length, entries: 0 };
  }

  private walkFor(budgetMs: number): void {
    const t0 = performance.now();
    const deadline = t0 + budgetMs;
    let n = 0;
    this.round.slices++;
    try {
      for (;;) {
        if (this.current === undefined) {
          const next = this.pending.pop();
          if (next === undefined) {
            this.roundActive = false;
            break;
          }
          this.current = { id: next.id, stack: [next.upperDir!], bytes: 0 };
          // the upper dir's own blocks
          try {
            this.current.bytes += lstatSync(next.upperDir!).blocks * 512;
          } catch {
            this.current = undefined; // removed with its container
            continue;
          }
        }
        const w = this.current;
        const dir = w.stack.pop();
        if (dir === undefined) {
          this.usage.set(w.id, w.bytes);
          this.current = undefined;
          continue;
        }
        let entries: Dirent[];
        try {
          entries = readdirSync(dir, { withFileTypes: true });
        } catch {
          continue; // removed while walking: what is gone uses no space
        }
        for (const e of entries) {
          const p = `${dir}/${e.name}`;
          try {
            w.bytes += lstatSync(p).blocks * 512;
          } catch {
            continue;
          }
          if (e.isDirectory()) w.stack.push(p);
          n++;
        }
        if (performance.now() >= deadline) break;
      }
    } finally {
      this.round.walkMs += performance.now() - t0;
      this.round.entries += n;
      if (!this.roundActive) {
        this.last = { ...this.round, finishedMs: this.nowMs() };
      }
    }
  }
}
