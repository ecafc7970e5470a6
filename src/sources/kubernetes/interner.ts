// Sharing of equal strings and records between the discovery's view records: the pods of
// one Deployment have the same namespace, node names, label set, images and container
// specs, so 150,000 pods need a few thousand distinct values, not 150,000 copies.

/** Entries kept before the tables start over (bounds memory under heavy churn). */
const MAX_ENTRIES = 200_000;

/**
 * Returns one shared instance per distinct string or record key. Shared records must be
 * treated as immutable by everyone who receives them. Tables are cleared when they exceed
 * a bound, which only loses sharing, never correctness.
 */
export class Interner {
  private strings = new Map<string, string>();
  private records = new Map<string, object>();

  /** The shared copy of `s`. */
  str(s: string): string {
    const hit = this.strings.get(s);
    if (hit !== undefined) return hit;
    if (this.strings.size >= MAX_ENTRIES) this.strings = new Map();
    this.strings.set(s, s);
    return s;
  }

  /** The shared record for `key`, made by `make` the first time (or after a reset). */
  record<T extends object>(key: string, make: () => T): T {
    const hit = this.records.get(key);
    if (hit !== undefined) return hit as T;
    if (this.records.size >= MAX_ENTRIES) this.records = new Map();
    const made = make();
    this.records.set(key, made);
    return made;
  }

  /** The shared string-valued record with the entries of `r` (keys and values shared). */
  stringRecord(r: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    const keys = Object.keys(r);
    if (keys.length === 0) return EMPTY;
    return this.record(`s${JSON.stringify(r)}`, () => {
      const out: Record<string, string> = {};
      for (const k of keys) out[this.str(k)] = this.str(r[k] as string);
      return Object.freeze(out);
    });
  }
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});
