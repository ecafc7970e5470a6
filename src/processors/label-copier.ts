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
 * one. Results are cached per labels object (objects from the discovery caches are
 * immutable), so repeated ticks cost a lookup.
 */
export class LabelCopier {
  private readonly separator: string;
  private readonly ignore: ReadonlySet<string>;
  private readonly store: readonly (readonly [string, string])[];
  private readonly joined = new WeakMap<object, string>();

  constructor(opts: LabelCopyOptions = {}) {
    this.separator = opts.separator ?? ',';
    this.ignore = new Set(opts.ignore ?? []);
    this.store = (opts.store ?? []).map((s) => {
      const eq = s.indexOf('=');
      return eq < 0 ? ([s, s] as const) : ([s.slice(0, eq), s.slice(eq + 1)] as const);
    });
  }

  /** The joined `labels` text of `labels`. */
  join(labels: Readonly<Record<string, string>>): string {
    let text = this.joined.get(labels);
    if (text === undefined) {
      const keys = Object.keys(labels)
        .filter((k) => !this.ignore.has(k))
        .sort();
      text = keys.map((k) => `${k}:${labels[k]}`).join(this.separator);
      this.joined.set(labels, text);
    }
    return text;
  }

  /** Sets `labels` and the stored labels of `from` on `into`. */
  copy(from: Readonly<Record<string, string>>, into: Labels): void {
    into[LABEL_LABELS] = this.join(from);
    for (const [as, name] of this.store) {
      const v = from[name];
      if (v !== undefined) into[as] = v;
    }
  }
}
