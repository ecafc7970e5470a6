import { createServer } from 'node:net';
import type { TestContext } from 'node:test';

/** True when CI asked that every real service and capability the tests need be present. */
export const REQUIRE_SERVICES = process.env.HEAPSTER_REQUIRE_SERVICES === '1';

/**
 * Skips the test with `why` (saying what to install or how to run) when `ok` is false —
 * unless HEAPSTER_REQUIRE_SERVICES=1, where a missing prerequisite fails the test instead.
 * Returns `ok` so callers can `if (!need(...)) return;`.
 */
export function need(t: TestContext, ok: boolean, why: string): boolean {
  if (ok) return true;
  if (REQUIRE_SERVICES)
    throw new Error(`required for this test (HEAPSTER_REQUIRE_SERVICES=1): ${why}`);
  t.skip(why);
  return false;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `fn` every `intervalMs` until it returns a value other than undefined or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}
