// The §3.1 options of the kubernetes sources, parsed and checked once at start.
import type { ParsedUri } from '../../config/types.js';
import { ConfigError } from '../../config/types.js';
import { optionBool, optionDurationMs, optionInt, optionString } from '../../config/uri.js';

/** Which kubelet endpoint a kubernetes source reads. */
export type KubeletEndpoint = 'summary' | 'cadvisor' | 'resource';

/** Address types a node's kubelet may be reached at, in the order tried by default. */
export const DEFAULT_ADDRESS_TYPES: readonly string[] = ['InternalIP', 'ExternalIP', 'Hostname'];
const ADDRESS_TYPES = ['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS'];

/** Options of `kubernetes`, `kubernetes.summary_api` and `kubernetes.resource_api` (§3.1). */
export interface KubernetesSourceOptions {
  readonly endpoint: KubeletEndpoint;
  /** `scheme://host[:port]` of the API server from the URI, undefined = from the config. */
  readonly apiServer: string | undefined;
  readonly inClusterConfig: boolean;
  /** Skip TLS verification of the API server. */
  readonly insecure: boolean;
  /** kubeconfig file (`auth=`), '' = none. */
  readonly auth: string;
  readonly useServiceAccount: boolean;
  readonly kubeletPort: number;
  readonly kubeletHttps: boolean;
  /** Skip TLS verification of kubelets (ours; default false: verify against the cluster CA). */
  readonly kubeletInsecureTls: boolean;
  /** PEM CA bundle for kubelet certificates (ours), '' = the API server's CA. */
  readonly kubeletCaFile: string;
  /** Timeout of one kubelet request, ms (ours; the original had none). */
  readonly kubeletTimeoutMs: number;
  /**
   * Time one scrape of all nodes may take, ms (90% of the pipeline's scrape timeout): nodes
   * not answered by then are missing from the tick and the others are kept, rather than the
   * pipeline dropping the whole source at its timeout. Undefined = no budget.
   */
  readonly scrapeBudgetMs?: number;
  /**
   * Worker threads that fetch and parse kubelet answers (`kubeletWorkers`); 0 (default) = on
   * the main thread. On 2 cores one worker made a 1,000-node tick 37 % faster for 0.6 MB more
   * per node, and 5,000 nodes slower and twice as large (bench/RESULTS.md, 2026-12-07).
   */
  readonly kubeletWorkers: number;
  /** Kubelet requests in flight at most (not a --source option; default 256). */
  readonly maxConcurrentRequests?: number;
  /** Node address types tried in order to reach a kubelet. */
  readonly addressTypes: readonly string[];
  /** Node annotation used for `host_id` when `spec.externalID` is empty ('' = none). */
  readonly hostIdAnnotation: string;
}

/** Query options every kubernetes source accepts. */
export const KUBERNETES_OPTIONS: readonly string[] = [
  'inClusterConfig',
  'insecure',
  'auth',
  'useServiceAccount',
  'kubeletPort',
  'kubeletHttps',
  'kubeletInsecureTls',
  'kubeletCaFile',
  'kubeletTimeout',
  'kubeletWorkers',
  'kubeletPreferredAddressTypes',
  'host_id_annotation',
];

/**
 * Reads the options of a kubernetes source URI (`kubernetes[.summary_api|.resource_api]:
 * [scheme://host[:port]][?opts]`). `scrapeTimeoutMs` bounds the default kubelet timeout.
 * Throws ConfigError naming the flag and option for a bad value.
 */
export function parseKubernetesOptions(
  uri: ParsedUri,
  endpoint: KubeletEndpoint,
  scrapeTimeoutMs: number,
): KubernetesSourceOptions {
  const at = `--source=${uri.raw}`;
  let apiServer: string | undefined;
  if (uri.url !== undefined && uri.url.host !== '') {
    if (uri.url.protocol !== 'http:' && uri.url.protocol !== 'https:') {
      throw new ConfigError(
        `${at}: the API server URL must be http:// or https://, not ${uri.url.protocol}`,
      );
    }
    apiServer = `${uri.url.protocol}//${uri.url.host}`;
  }
  const types = optionString(uri, 'kubeletPreferredAddressTypes', DEFAULT_ADDRESS_TYPES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const t of types) {
    if (!ADDRESS_TYPES.includes(t)) {
      throw new ConfigError(
        `${at}: option "kubeletPreferredAddressTypes": unknown address type "${t}" (known: ${ADDRESS_TYPES.join(', ')})`,
      );
    }
  }
  if (types.length === 0) {
    throw new ConfigError(`${at}: option "kubeletPreferredAddressTypes" must name a type`);
  }
  const defTimeoutMs = Math.max(1000, Math.min(10_000, Math.floor(scrapeTimeoutMs * 0.8)));
  return {
    endpoint,
    apiServer,
    inClusterConfig: optionBool(uri, 'inClusterConfig', true),
    insecure: optionBool(uri, 'insecure', false),
    auth: optionString(uri, 'auth', ''),
    useServiceAccount: optionBool(uri, 'useServiceAccount', false),
    kubeletPort: optionInt(uri, 'kubeletPort', 10255, { min: 1, max: 65535 }),
    kubeletHttps: optionBool(uri, 'kubeletHttps', false),
    kubeletInsecureTls: optionBool(uri, 'kubeletInsecureTls', false),
    kubeletCaFile: optionString(uri, 'kubeletCaFile', ''),
    kubeletTimeoutMs: optionDurationMs(uri, 'kubeletTimeout', defTimeoutMs, {
      min: 10,
      max: 600_000,
    }),
    kubeletWorkers: optionInt(uri, 'kubeletWorkers', 0, {
      min: 0,
      max: 64,
    }),
    addressTypes: types,
    hostIdAnnotation: optionString(uri, 'host_id_annotation', ''),
    scrapeBudgetMs: Math.floor(scrapeTimeoutMs * 0.9),
  };
}
