// `--source=cadvisor:external?...`, `cadvisor:coreos?...`, `cadvisor:http://h:p,...` → CadvisorSource.
import { optionBool, optionString, uriList, uriPath } from '../../config/uri.js';
import type { ParsedUri } from '../../config/types.js';
import { ConfigError } from '../../config/types.js';
import type { Logger } from '../../core/log.js';
import { CadvisorSource } from './cadvisor-source.js';
import type { CadvisorHost, HostDiscovery } from './hosts.js';
import { FleetHosts, HostsFile, StaticHosts } from './hosts.js';

/** Options the cadvisor source accepts (all forms). */
export const CADVISOR_OPTIONS = [
  'hostsFile',
  'cadvisorPort',
  'standalone',
  'fleetEndpoint',
  'timeout',
];
const DEFAULT_HOSTS_FILE = '/var/run/heapster/hosts';

/**
 * Builds a cadvisor source from its URI. Forms: `cadvisor:external[?hostsFile=F&cadvisorPort=P
 * &standalone=B]`, `cadvisor:coreos?fleetEndpoint=URL[&fleetEndpoint=URL2][&cadvisorPort=P]`,
 * and `cadvisor:http://host:port[,http://host2:port...]`. `timeout` (ms, default the scrape
 * timeout) bounds each host request. Throws ConfigError naming the option for a bad value.
 */
export function createCadvisorSource(
  uri: ParsedUri,
  ctx: { logger: Logger; scrapeTimeoutMs: number },
): CadvisorSource {
  const where = `--source=${uri.raw}`;
  const int = (name: string, def: number, min: number, max: number): number => {
    const text = optionString(uri, name, String(def));
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max)
      throw new ConfigError(
        `${where}: option "${name}": "${text}" is not a whole number in [${min}, ${max}]`,
      );
    return n;
  };
  const port = int('cadvisorPort', 8080, 1, 65535);
  const timeoutMs = int('timeout', ctx.scrapeTimeoutMs, 1, 3_600_000);
  const path = uriPath(uri);
  let discovery: HostDiscovery;
  let kind: string;
  if (path === 'external' || (path === undefined && uri.url === undefined)) {
    kind = 'external';
    const file = optionString(uri, 'hostsFile', DEFAULT_HOSTS_FILE);
    discovery = new HostsFile(file, port, optionBool(uri, 'standalone', false));
  } else if (path === 'coreos') {
    kind = 'coreos';
    const endpoints = uri.options.get('fleetEndpoint') ?? [];
    if (endpoints.length === 0)
      throw new ConfigError(`${where}: option "fleetEndpoint" is required for cadvisor:coreos`);
    for (const ep of endpoints) {
      try {
        new URL(ep);
      } catch {
        throw new ConfigError(`${where}: option "fleetEndpoint": "${ep}" is not a URL`);
      }
    }
    discovery = new FleetHosts(endpoints, port, timeoutMs);
  } else if (path === undefined && uri.url !== undefined) {
    kind = 'static';
    discovery = new StaticHosts(staticHosts(uri, where));
  } else {
    throw new ConfigError(
      `${where}: unknown cadvisor form "${path}" (expected external, coreos or http://host:port,...)`,
    );
  }
  return new CadvisorSource({
    discovery,
    timeoutMs,
    logger: ctx.logger,
    name: kind === 'static' ? 'cadvisor' : `cadvisor:${kind}`,
  });
}

/** `http://h1:p,http://h2:p` (options after the last host apply to all). */
function staticHosts(uri: ParsedUri, where: string): CadvisorHost[] {
  const list = uriList(uri) ?? (uri.url ? uri.url.origin + uri.url.pathname : '');
  return list
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((text) => {
      let u: URL;
      try {
        u = new URL(text.trim());
      } catch {
        throw new ConfigError(`${where}: "${text}" is not a URL (expected http://host:port)`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:')
        throw new ConfigError(`${where}: "${text}": only http and https are supported`);
      const base = u.origin + u.pathname.replace(/\/+$/, '');
      return { name: u.hostname.replace(/^\[|\]$/g, ''), baseUrl: base, hostId: '' };
    });
}
