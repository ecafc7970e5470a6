// HTTPS serving options and client-certificate checks (`--tls_cert`, `--tls_key`,
// `--tls_client_ca`, `--allowed_users`, §2).
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../config/types.js';

/** PEM material and the client policy of the HTTPS API. */
export interface ApiTlsOptions {
  readonly certPem: Buffer;
  readonly keyPem: Buffer;
  /** Client certificates must chain to this CA (all paths but /healthz). */
  readonly clientCaPem?: Buffer;
  /** Allowed client certificate common names; empty = any certificate the CA signed. */
  readonly allowedUsers?: readonly string[];
}

/**
 * Reads the files named by the TLS flags; undefined when `--tls_cert` is not set. Throws
 * ConfigError naming the flag of a file that cannot be read.
 */
export function loadApiTls(flags: {
  tlsCert: string;
  tlsKey: string;
  tlsClientCa: string;
  allowedUsers: readonly string[];
}): ApiTlsOptions | undefined {
  if (flags.tlsCert === '') return undefined;
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`--${flag}=${path}: ${(err as Error).message}`);
    }
  };
  return {
    certPem: read('tls_cert', flags.tlsCert),
    keyPem: read('tls_key', flags.tlsKey),
    ...(flags.tlsClientCa ? { clientCaPem: read('tls_client_ca', flags.tlsClientCa) } : {}),
    allowedUsers: flags.allowedUsers,
  };
}

/** Node `https.ServerOptions` for fastify's `https` option. */
export function httpsServerOptions(tls: ApiTlsOptions): {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  requestCert: boolean;
  rejectUnauthorized: boolean;
} {
  return {
    cert: tls.certPem,
    key: tls.keyPem,
    ...(tls.clientCaPem ? { ca: tls.clientCaPem } : {}),
    // Verified per request so /healthz stays open to probes and errors are Status bodies.
    requestCert: tls.clientCaPem !== undefined,
    rejectUnauthorized: false,
  };
}

/**
 * With a client CA: every request but `/healthz` needs a client certificate signed by it
 * (401 otherwise) whose common name is in `allowedUsers` when that list is not empty (403).
 */
export function registerClientCertCheck(app: FastifyInstance, tls: ApiTlsOptions): void {
  if (tls.clientCaPem === undefined) return;
  const allowed = new Set(tls.allowedUsers ?? []);
  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/healthz' || req.url.startsWith('/healthz?')) return;
    const socket = req.raw.socket as TLSSocket;
    const status = (code: number, reason: string, message: string) =>
      reply.code(code).type('application/json').send({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason,
        code,
      });
    if (!socket.authorized) {
      return status(
        401,
        'Unauthorized',
        `a client certificate signed by --tls_client_ca is required (${String(socket.authorizationError ?? 'none sent')})`,
      );
    }
    const cn = socket.getPeerCertificate().subject?.CN;
    const name = Array.isArray(cn) ? cn[0] : cn;
    if (allowed.size > 0 && (name === undefined || !allowed.has(name))) {
      return status(403, 'Forbidden', `user "${name ?? ''}" is not in --allowed_users`);
    }
  });
}
