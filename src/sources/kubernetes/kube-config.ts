// Builds the API server client configuration from the source options (§3.1).
import { existsSync, readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import { clientNode } from './client-node.js';
import { ConfigError } from '../../config/types.js';
import type { KubernetesSourceOptions } from './options.js';

/** Where a pod's service account token and CA are mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A client configuration plus what kubelet requests reuse from it. */
export interface ClusterAccess {
  readonly kubeConfig: KubeConfig;
  /** API server base URL, e.g. `https://10.0.0.1:443`. */
  readonly server: string;
  /** Bearer token sent to the API server (and to kubelets over https), if any. */
  readonly token: string | undefined;
  /** PEM CA of the API server, if any. */
  readonly caPem: Buffer | undefined;
}

/**
 * Resolves the options into a KubeConfig: in-cluster (service account token + CA, URL host
 * overrides the server), a kubeconfig file (`auth=`, current context), or the URL alone
 * (`inClusterConfig=false`), with `insecure` and `useServiceAccount` applied. Reads files
 * only; throws ConfigError naming the option when what it needs is missing.
 */
export function resolveClusterAccess(
  opts: KubernetesSourceOptions,
  at: string,
  env: NodeJS.ProcessEnv = process.env,
  serviceAccountDir: string = SERVICE_ACCOUNT_DIR,
): ClusterAccess {
  const kc = new (clientNode().KubeConfig)();
  const saToken = (): string => {
    const file = `${serviceAccountDir}/token`;
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(
        `${at}: cannot read the service account token ${file}: ${(err as Error).message}`,
      );
    }
  };
  let token: string | undefined;
  if (opts.inClusterConfig) {
    if (opts.apiServer === undefined && !env.KUBERNETES_SERVICE_HOST) {
      throw new ConfigError(
        `${at}: option "inClusterConfig" is true (the default) but KUBERNETES_SERVICE_HOST is not set: ` +
          'run inside a pod, or pass inClusterConfig=false with the API server URL or auth=<kubeconfig>',
      );
    }
    const server =
      opts.apiServer ??
      `https://${env.KUBERNETES_SERVICE_HOST}:${env.KUBERNETES_SERVICE_PORT ?? 443}`;
    const caFile = `${serviceAccountDir}/ca.crt`;
    token = existsSync(`${serviceAccountDir}/token`) ? saToken() : undefined;
    kc.loadFromClusterAndUser(
      {
        name: 'in-cluster',
        server,
        skipTLSVerify: opts.insecure || isPlainHttp(server),
        ...(!opts.insecure && existsSync(caFile) ? { caFile } : {}),
      },
      { name: 'in-cluster', ...(token !== undefined ? { token } : {}) },
    );
  } else if (opts.auth !== '') {
    try {
      kc.loadFromFile(opts.auth);
    } catch (err) {
      throw new ConfigError(
        `${at}: option "auth": cannot load kubeconfig ${opts.auth}: ${(err as Error).message}`,
      );
    }
    const cluster = kc.getCurrentCluster();
    if (cluster === null) {
      throw new ConfigError(`${at}: option "auth": kubeconfig ${opts.auth} has no current cluster`);
    }
    const user = kc.getCurrentUser();
    token = user?.token;
    if (token === undefined && opts.useServiceAccount) token = saToken();
    kc.loadFromClusterAndUser(
      {
        ...cluster,
        server: opts.apiServer ?? cluster.server,
        skipTLSVerify:
          opts.insecure || cluster.skipTLSVerify || isPlainHttp(opts.apiServer ?? cluster.server),
      },
      { ...(user ?? { name: 'user' }), ...(token !== undefined ? { token } : {}) },
    );
  } else {
    if (opts.apiServer === undefined) {
      throw new ConfigError(
        `${at}: with inClusterConfig=false give the API server URL (e.g. kubernetes:http://127.0.0.1:8080?inClusterConfig=false) or auth=<kubeconfig>`,
      );
    }
    if (opts.useServiceAccount) token = saToken();
    kc.loadFromClusterAndUser(
      {
        name: 'cluster',
        server: opts.apiServer,
        skipTLSVerify: opts.insecure || isPlainHttp(opts.apiServer),
      },
      { name: 'user', ...(token !== undefined ? { token } : {}) },
    );
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new ConfigError(`${at}: no API server configured`);
  let caPem: Buffer | undefined;
  if (cluster.caData) caPem = Buffer.from(cluster.caData, 'base64');
  else if (cluster.caFile) {
    try {
      caPem = readFileSync(cluster.caFile);
    } catch (err) {
      throw new ConfigError(
        `${at}: cannot read CA file ${cluster.caFile}: ${(err as Error).message}`,
      );
    }
  }
  return { kubeConfig: kc, server: cluster.server, token, caPem };
}

/** client-node refuses http:// unless TLS verification is off; there is no TLS to verify. */
function isPlainHttp(server: string): boolean {
  return server.startsWith('http:');
}
