import type { Labels } from '../core/batch.js';
import { LABEL_LABELS } from '../core/labels.js';

/** How Kubernetes object labels are copied onto metric sets (`--label_separator`, `--store_label`, `--ignore_label`). */
export interface LabelCopyOptions {
  /** Separator between `k:v` pairs of the joined `labels` label (default `,`). */
  readonly separator?: string;
  /** Object label keys left out of the joined `labels` label. */
  readonly ignore?: readonly string[];
  /** Labels stored on their own: `name` or `newName=name`. */
  readonly store?: readonly string[];
}

/**
 * Copies object labels onto metric-set labels like the original's LabelCopier: `labels` =
 * sorted `k:v` pairs joined by the separator, minus ignored keys; each stored label
 * `newName=name` (or `name`) sets label `newName` to the object's `name` label when it has
 * one. What a labels object gives is computed once and cached per labels object (objects
 * from the discovery caches are immutable and shared), so repeated ticks cost a lookup.
 */
export class LabelCopier {
  private readonly separator: string;
  private readonly ignore: ReadonlySet<string>;
  private readonly store: readonly (readonly [string, string])[];
  private readonly cache = new WeakMap<object, readonly string[]>();

  constructor(opts: LabelCopyOptions = {}) {
    this.separator = opts.separator ?? ',';
    this.ignore = new Set(opts.ignore ?? []);
    this.store = (opts.store ?? []).map((s) => {
      const eq = s.indexOf('=');
      return eq < 0 ? ([s, s] as const) : ([s.slice(0, eq), s.slice(eq + 1)] as const);
    });
  }

  /**
   * The labels `copy` sets from `from`, flattened as `name, value, name, value, ...` in the
   * order they are set: `labels` first, then the stored labels `from` has. Cached; do not
   * modify.
   */
  entries(from: Readonly<Record<string, string>>): readonly string[] {
    let out = this.cache.get(from);
    if (out === undefined) {
      const keys = Object.keys(from)
        .filter((k) => !this.ignore.has(k))
        .sort();
      const list = [LABEL_LABELS, keys.map((k) => `${k}:${from[k]}`).join(this.separator)];
      for (const [as, name] of this.store) {
        const v = from[name];
        if (v !== undefined) list.push(as, v);
      }
      out = Object.freeze(list);
      this.cache.set(from, out);
    }
    return out;
  }

  /** The joined `labels` text of `labels`. */
  join(labels: Readonly<Record<string, string>>): string {
    return this.entries(labels)[1] as string;
  }

  /** Sets `labels` and the stored labels of `from` on `into`. */
  copy(from: Readonly<Record<string, string>>, into: Labels): void {
    setEntries(into, this.entries(from));
  }
}

/** Sets flattened `name, value, ...` pairs (as `LabelCopier.entries` gives) on `into`, in order. */
export function setEntries(into: Labels, entries: readonly string[]): void {
  for (let i = 0; i < entries.length; i += 2) {
    into[entries[i] as string] = entries[i + 1] as string;
  }
}
