import type { FastifyInstance } from 'fastify';

/**
 * On close, requests in flight get this long to finish; then every connection left is cut.
 * Without it, a socket a browser opened ahead of time and never used holds `close()`, and so the
 * shutdown, until Node's 60 s headers timeout (~100 s in practice).
 */
export const CLOSE_GRACE_MS = 2000;

/** Makes `app.close()` cut the connections still open `graceMs` after it began. */
export function cutConnectionsOnClose(app: FastifyInstance, graceMs = CLOSE_GRACE_MS): void {
  let timer: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    const server = app.server;
    timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
  });
  app.addHook('onClose', async () => clearTimeout(timer));
}
