// Factory of the kubernetes sources from their `--source` URI.
import type { ParsedUri } from '../../config/types.js';
import type { Logger } from '../../core/log.js';
import { resolveClusterAccess } from './kube-config.js';
import { KubeletSource } from './kubelet-source.js';
import type { KubeletEndpoint } from './options.js';
import { parseKubernetesOptions } from './options.js';

/**
 * Builds a kubernetes source for `endpoint` from its URI (§3.1 options): resolves the API
 * server access, starts discovery (informers, in the background) and returns the source.
 * Throws ConfigError naming the option for a bad value or an unreadable file.
 */
export function createKubernetesSource(
  uri: ParsedUri,
  endpoint: KubeletEndpoint,
  ctx: { logger: Logger; scrapeTimeoutMs: number },
): KubeletSource {
  const opts = parseKubernetesOptions(uri, endpoint, ctx.scrapeTimeoutMs);
  const access = resolveClusterAccess(opts, `--source=${uri.raw}`);
  return new KubeletSource(opts, access, ctx.logger);
}
