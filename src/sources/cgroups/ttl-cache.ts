// A value recomputed at most once per TTL (mountinfo, interface lists, host netns).

/**
 * Holds the result of `load` for `ttlMs` milliseconds (clock: `nowMs`). `get` reloads when
 * the value is older than the TTL or was invalidated; a throwing `load` is not cached.
 */
export class TtlValue<T> {
  private value: T | undefined;
  private loadedAtMs = -Infinity;

  constructor(
    private readonly ttlMs: number,
    private readonly load: () => T,
    private readonly nowMs: () => number = Date.now,
  ) {}

  get(): T {
    const now = this.nowMs();
    if (this.value === undefined || now - this.loadedAtMs >= this.ttlMs) {
      this.value = this.load();
      this.loadedAtMs = now;
    }
    return this.value;
  }

  invalidate(): void {
    this.value = undefined;
  }
}
