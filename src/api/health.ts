import type { FastifyInstance } from 'fastify';
import type { Batch } from '../core/batch.js';
import type { Store } from '../core/contracts.js';
import type { SelfMetrics } from '../core/self-metrics.js';

/** Result of a health check: ok, or the reason it failed. */
export type Health = { ok: true } | { ok: false; reason: string };

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}

/**
 * The original's health rule: healthy when there is a latest batch, it is no older than
 * `maxDelayMs` at `nowMs` (age measured from its timestamp, the window end) and it has at least
 * one metric set.
 */
export function checkHealth(latest: Batch | undefined, nowMs: number, maxDelayMs: number): Health {
  if (latest === undefined) return { ok: false, reason: 'no batch yet' };
  const ageMs = nowMs - latest.timestampMs;
  if (ageMs > maxDelayMs) {
    return {
      ok: false,
      reason: `latest batch is ${seconds(ageMs)} old (limit ${seconds(maxDelayMs)})`,
    };
  }
  if (latest.sets.size < 1) return { ok: false, reason: 'latest batch has no metric sets' };
  return { ok: true };
}

/** Dependencies of the health and self-metrics routes. */
export interface HealthRoutesDeps {
  store: Store;
  selfMetrics: SelfMetrics;
  healthMaxDelayMs: number;
  now: () => number;
  /** While the store reads its files back: why it is not healthy yet, else undefined. */
  recovering?: () => string | undefined;
}

/**
 * Registers `/healthz` (200 `ok`, or 500 with the reason as text; while the store recovers,
 * 500 with its progress) and `/metrics` (the
 * self-metrics registry in the Prometheus text format).
 */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthRoutesDeps): void {
  app.get('/healthz', async (_req, reply) => {
    const recovering = deps.recovering?.();
    reply.type('text/plain; charset=utf-8');
    if (recovering !== undefined)
      return reply.code(500).header('retry-after', '5').send(recovering);
    const health = checkHealth(deps.store.latest(), deps.now(), deps.healthMaxDelayMs);
    if (health.ok) return 'ok';
    return reply.code(500).send(health.reason);
  });
  app.get('/metrics', async (_req, reply) => {
    const body = await deps.selfMetrics.registry.metrics();
    return reply.type(deps.selfMetrics.registry.contentType).send(body);
  });
}
