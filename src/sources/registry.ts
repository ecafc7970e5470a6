// Explicit registry of `--source` kinds: URI → Source, validated before any work starts.
import { checkOptions, optionDurationMs, optionString } from '../config/uri.js';
import type { ParsedUri } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import type { Source } from '../core/contracts.js';
import type { Logger } from '../core/log.js';
import { createLocalSource } from './local-source.js';
import { CADVISOR_OPTIONS, createCadvisorSource } from './cadvisor/create.js';
import { createDockerSourceFromUri, localDockerOption } from './docker/uri.js';
import { createKubernetesSource } from './kubernetes/create.js';
import { KUBERNETES_OPTIONS } from './kubernetes/options.js';

/** What every source factory gets besides its URI. */
export interface SourceFactoryContext {
  /** Name of the node this process runs on (`--node_name`, default the hostname). */
  readonly nodeName: string;
  readonly logger: Logger;
  /** Metric resolution (tick length), ms. */
  readonly resolutionMs: number;
}

interface SourceKind {
  /** Query options the kind accepts. */
  readonly options: readonly string[];
  /** Builds the source; throws ConfigError for a bad option value. */
  create(uri: ParsedUri, ctx: SourceFactoryContext): Source;
}

const FLAG = '--source';

/** Kubernetes sources: the scrape timeout bounds the kubelet timeout's default. */
const k8s = (endpoint: 'summary' | 'cadvisor' | 'resource'): SourceKind => ({
  options: KUBERNETES_OPTIONS,
  create: (uri, ctx) =>
    createKubernetesSource(uri, endpoint, {
      logger: ctx.logger.child({ component: `source-${uri.key}` }),
      scrapeTimeoutMs: Math.min(20_000, ctx.resolutionMs),
    }),
});

const SOURCES: Readonly<Record<string, SourceKind>> = {
  kubernetes: k8s('cadvisor'),
  'kubernetes.summary_api': k8s('summary'),
  'kubernetes.resource_api': k8s('resource'),
  cadvisor: {
    options: CADVISOR_OPTIONS,
    create: (uri, ctx) =>
      createCadvisorSource(uri, {
        logger: ctx.logger.child({ component: 'source-cadvisor' }),
        scrapeTimeoutMs: Math.min(20_000, ctx.resolutionMs),
      }),
  },
  local: {
    options: ['procRoot', 'sysRoot', 'cgroupRoot', 'nodeName', 'docker', 'fsUsageInterval'],
    create(uri, ctx) {
      if (uri.url !== undefined) {
        throw new ConfigError(
          `${FLAG}=${uri.raw}: source "local" takes no URL, only options (e.g. ${FLAG}=local?procRoot=/host/proc)`,
        );
      }
      const path = (name: string, def: string): string => {
        const value = optionString(uri, name, def);
        if (!value.startsWith('/')) {
          throw new ConfigError(
            `${FLAG}=${uri.raw}: option "${name}": ${JSON.stringify(value)} is not an absolute path`,
          );
        }
        return value.length > 1 ? value.replace(/\/+$/, '') : value;
      };
      const nodeName = optionString(uri, 'nodeName', ctx.nodeName);
      if (nodeName === '') {
        throw new ConfigError(`${FLAG}=${uri.raw}: option "nodeName" must not be empty`);
      }
      return createLocalSource({
        nodeName,
        procRoot: path('procRoot', '/proc'),
        sysRoot: path('sysRoot', '/sys'),
        cgroupRoot: path('cgroupRoot', '/sys/fs/cgroup'),
        docker: localDockerOption(uri, FLAG),
        fsUsageIntervalMs: optionDurationMs(uri, 'fsUsageInterval', 60_000, { min: 1000 }),
        logger: ctx.logger.child({ component: 'source-local' }),
      });
    },
  },
  docker: {
    options: ['nodeName', 'parallelism', 'timeout'],
    create: (uri, ctx) =>
      createDockerSourceFromUri(uri, FLAG, {
        nodeName: ctx.nodeName,
        resolutionMs: ctx.resolutionMs,
        logger: ctx.logger.child({ component: 'source-docker' }),
      }),
  },
};

/** Keys `--source` accepts, sorted. */
export function knownSources(): string[] {
  return Object.keys(SOURCES).sort();
}

/**
 * Creates the source a `--source` URI names. Throws ConfigError naming the flag value for an
 * unknown key (`--source=foo: unknown source "foo" (known: local)`), an unknown option
 * (`--source=local?bar=1: unknown option "bar" (known: ...)`) or a bad option value. Does no
 * I/O beyond what the source's constructor does (none for `local`).
 */
export function createSource(uri: ParsedUri, ctx: SourceFactoryContext): Source {
  const kind = Object.hasOwn(SOURCES, uri.key) ? SOURCES[uri.key] : undefined;
  if (kind === undefined) {
    throw new ConfigError(
      `${FLAG}=${uri.raw}: unknown source "${uri.key}" (known: ${knownSources().join(', ')})`,
    );
  }
  checkOptions(uri, kind.options, FLAG);
  return kind.create(uri, ctx);
}
