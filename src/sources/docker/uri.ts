// `--source=docker:...` and the local source's `docker` option → typed options.
import { optionDurationMs, optionInt, optionString } from '../../config/uri.js';
import type { ParsedUri } from '../../config/types.js';
import { ConfigError } from '../../config/types.js';
import type { Logger } from '../../core/log.js';
import type { DockerSource } from './docker-source.js';
import { createDockerSource } from './docker-source.js';
import type { DockerEndpoint } from './identity.js';
import { dockerEndpoint } from './identity.js';

function endpointOf(spec: string | undefined, at: string): DockerEndpoint {
  try {
    return dockerEndpoint(spec);
  } catch (err) {
    throw new ConfigError(`${at}: ${(err as Error).message}`);
  }
}

/**
 * The local source's `docker` option: absent → undefined (DOCKER_HOST, else the default
 * socket); `false`, `none` or empty → false (no Docker names); else an endpoint
 * (`unix:///path`, `tcp://h:p`), checked here. Throws ConfigError naming flag and option.
 */
export function localDockerOption(uri: ParsedUri, flag: string): string | false | undefined {
  const text = uri.options.get('docker')?.[0];
  if (text === undefined) return undefined;
  if (text === '' || text === 'false' || text === 'none' || text === '0') return false;
  endpointOf(text, `${flag}=${uri.raw}: option "docker"`);
  return text;
}

/**
 * Builds the `docker` source from `docker[:unix:///path|tcp://host:port][?opts]`: no URL
 * means DOCKER_HOST, else `/var/run/docker.sock`. Options: `nodeName` (default the
 * `--node_name` for a socket, the host for TCP), `parallelism` (1–512, default 64) and
 * `timeout` (per stats request, default 5 s, at most the resolution).
 */
export function createDockerSourceFromUri(
  uri: ParsedUri,
  flag: string,
  ctx: { nodeName: string; resolutionMs: number; logger: Logger },
): DockerSource {
  const at = `${flag}=${uri.raw}`;
  let spec: string | undefined;
  if (uri.url !== undefined) {
    const u = uri.url;
    if (u.protocol === 'unix:') spec = `unix://${u.pathname}`;
    else if (u.protocol === 'tcp:' || u.protocol === 'http:' || u.protocol === 'https:') {
      spec = `${u.protocol}//${u.host}`;
    } else {
      throw new ConfigError(
        `${at}: unsupported scheme ${JSON.stringify(u.protocol)} (use unix:///var/run/docker.sock or tcp://host:port)`,
      );
    }
  }
  const endpoint = endpointOf(spec, at);
  const defaultNode = 'socketPath' in endpoint ? ctx.nodeName : endpoint.host;
  const nodeName = optionString(uri, 'nodeName', defaultNode);
  if (nodeName === '') throw new ConfigError(`${at}: option "nodeName" must not be empty`);
  const maxTimeoutMs = Math.max(1000, ctx.resolutionMs);
  return createDockerSource({
    nodeName,
    endpoint,
    logger: ctx.logger,
    parallelism: optionInt(uri, 'parallelism', 64, { min: 1, max: 512 }),
    requestTimeoutMs: optionDurationMs(uri, 'timeout', Math.min(5000, maxTimeoutMs), {
      min: 1,
      max: maxTimeoutMs,
    }),
  });
}
