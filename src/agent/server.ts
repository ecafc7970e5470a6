// The agent's HTTP API: cAdvisor's REST API v1.0–v1.3 and v2.0, `/metrics` and `/healthz`.
import { fastify } from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cutConnectionsOnClose } from '../core/close-grace.js';
import type { Logger } from '../core/log.js';
import type { ContainerInfo, MachineInfo } from '../sources/cadvisor/types.js';
import { containerInfoOf, derivedOf, specV2Of, statsV2Of } from './cadvisor-json.js';
import type { Housekeeper, TrackedContainer } from './housekeeper.js';
import { renderMetrics } from './prometheus.js';

/** A request cAdvisor would refuse: HTTP status and the message cAdvisor gives. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the agent's API serves from. */
export interface AgentApiDeps {
  readonly housekeeper: Housekeeper;
  /** MachineInfo with the current filesystems (called per request; cheap). */
  machineInfo(): MachineInfo;
  readonly logger?: Logger;
}

const V1_VERSIONS = ['v1.0', 'v1.1', 'v1.2', 'v1.3'];
const V1_TYPES: Readonly<Record<string, readonly string[]>> = {
  'v1.0': ['containers', 'machine'],
  'v1.1': ['containers', 'machine', 'subcontainers'],
  'v1.2': ['containers', 'machine', 'subcontainers', 'docker'],
  'v1.3': ['containers', 'machine', 'subcontainers', 'docker'],
};
const V2_TYPES = ['machine', 'spec', 'stats', 'summary'];
/** cAdvisor's defaults: v1 `num_stats` 60, v2 `count` 64. */
const DEFAULT_NUM_STATS = 60;
const DEFAULT_COUNT = 64;

/** `path.Join("/", parts...)`: absolute, no empty or trailing segments. */
export function containerName(rest: string): string {
  const parts = rest.split('/').filter((p) => p !== '' && p !== '.');
  return '/' + parts.join('/');
}

/** v2 request options, validated like cAdvisor's getRequestOptions (400 on a bad value). */
export interface RequestOptions {
  readonly idType: 'name' | 'docker';
  readonly count: number;
  readonly recursive: boolean;
}

export function requestOptions(q: Record<string, string | undefined>): RequestOptions {
  let idType: 'name' | 'docker' = 'name';
  const type = q.type ?? '';
  if (type !== '') {
    if (type !== 'name' && type !== 'docker') throw new ApiError(400, `unknown 'type' "${type}"`);
    idType = type;
  }
  let count = DEFAULT_COUNT;
  const c = q.count ?? '';
  if (c !== '') {
    if (!/^\d+$/.test(c) || Number(c) > 0xffffffff)
      throw new ApiError(400, `failed to parse 'count' option: ${c}`);
    count = Number(c);
  }
  return { idType, count, recursive: q.recursive === 'true' };
}

/** Lookups over the housekeeper's containers. */
class Containers {
  constructor(private readonly hk: Housekeeper) {}

  get(name: string): TrackedContainer | undefined {
    return this.hk.containers.get(name);
  }

  /** The container and every container below it, by name. */
  tree(name: string): TrackedContainer[] {
    const prefix = name === '/' ? '/' : name + '/';
    const out: TrackedContainer[] = [];
    for (const c of this.hk.containers.values()) {
      if (c.name === name || c.name.startsWith(prefix)) out.push(c);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Direct children of `name`. */
  children(name: string): TrackedContainer[] {
    return this.tree(name).filter((c) => c.name !== name && parentOf(c.name) === name);
  }

  docker(): TrackedContainer[] {
    return [...this.hk.containers.values()].filter((c) => c.namespace === 'docker');
  }

  /** A Docker container by name, full id or unique id prefix (≥ 4 characters). */
  dockerByRef(ref: string): TrackedContainer | undefined {
    const all = this.docker();
    const exact = all.find((c) => c.aliases.includes(ref));
    if (exact) return exact;
    if (ref.length < 4) return undefined;
    const byPrefix = all.filter((c) => c.id?.startsWith(ref));
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }
}

function parentOf(name: string): string {
  const i = name.lastIndexOf('/');
  return i <= 0 ? '/' : name.slice(0, i);
}

/** v1 `ContainerInfoRequest` body: `num_stats`, `start`, `end` (all optional). */
function v1Request(body: unknown): { numStats: number; startMs?: number; endMs?: number } {
  if (body === undefined || body === null || body === '') return { numStats: DEFAULT_NUM_STATS };
  if (typeof body !== 'object') throw new ApiError(400, 'unable to decode the json value');
  const b = body as { num_stats?: unknown; start?: unknown; end?: unknown };
  const numStats = typeof b.num_stats === 'number' ? b.num_stats : DEFAULT_NUM_STATS;
  const time = (v: unknown): number | undefined => {
    if (typeof v !== 'string') return undefined;
    const ms = Date.parse(v);
    return Number.isFinite(ms) && ms > 0 ? ms : undefined;
  };
  return { numStats, startMs: time(b.start), endMs: time(b.end) };
}

const MAX_GET_BODY_BYTES = 64 * 1024;

/**
 * cAdvisor (Go) reads a request body on GET too: `GET /api/v1.3/subcontainers/` with
 * `{"num_stats":1}` is how clients ask for less. Fastify parses bodies only for POST & co.,
 * so a GET body is read here.
 */
async function getBody(req: FastifyRequest): Promise<void> {
  if (req.method !== 'GET') return;
  const length = Number(req.headers['content-length'] ?? 0);
  if (!(length > 0) && req.headers['transfer-encoding'] === undefined) return;
  let text = '';
  for await (const chunk of req.raw) {
    text += String(chunk);
    if (text.length > MAX_GET_BODY_BYTES) throw new ApiError(413, 'request body too large');
  }
  text = text.trim();
  if (text === '') return;
  try {
    req.body = JSON.parse(text);
  } catch {
    throw new ApiError(400, `unable to decode the json value: ${text.slice(0, 100)}`);
  }
}

/**
 * Builds the agent's API (not listening): `/api/v1.{0..3}/{machine,containers,subcontainers,
 * docker}/…`, `/api/v2.0/{machine,spec,stats,summary}/…?type=name|docker&recursive=&count=`,
 * `/metrics` and `/healthz`. Unknown paths answer 404, bad `type`/`count` 400, an unknown
 * container 500 with cAdvisor's message (`unknown container "/x"`). Everything is served
 * from the housekeeper's memory; nothing is read from disk per request.
 */
export function createAgentServer(deps: AgentApiDeps): FastifyInstance {
  const app = fastify({ logger: false, bodyLimit: 64 * 1024 });
  cutConnectionsOnClose(app);
  const containers = new Containers(deps.housekeeper);
  // cAdvisor accepts a JSON body on any method; so do we, whatever the content type says.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body).trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new ApiError(400, `unable to decode the json value: ${text.slice(0, 100)}`), undefined);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err instanceof ApiError ? err.status : (err.statusCode ?? 500);
    if (status >= 500 && !(err instanceof ApiError))
      deps.logger?.warn({ err: err.message }, 'agent API error');
    void reply
      .code(status)
      .type('text/plain; charset=utf-8')
      .send(err.message + '\n');
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .type('text/plain; charset=utf-8')
      .send(
        `404 page not found: ${req.url} (the agent serves /api/v1.3/..., /api/v2.0/..., /metrics, /healthz)\n`,
      );
  });

  app.get('/healthz', (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/metrics', (_req, reply) => {
    const m = deps.machineInfo();
    return reply.type('text/plain; version=0.0.4').send(
      renderMetrics(deps.housekeeper.containers.values(), {
        cores: m.num_cores,
        memoryBytes: m.memory_capacity,
      }),
    );
  });

  const apiIndex = (_req: FastifyRequest, reply: FastifyReply): FastifyReply =>
    reply.type('text/plain').send(`Supported API versions: ${[...V1_VERSIONS, 'v2.0'].join(',')}`);
  app.get('/api', apiIndex);
  app.get('/api/', apiIndex);

  const handler = (req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const params = req.params as { version: string; '*'?: string };
    const rest = params['*'] ?? '';
    const slash = rest.indexOf('/');
    const type = slash < 0 ? rest : rest.slice(0, slash);
    const args = slash < 0 ? '' : rest.slice(slash + 1);
    const version = params.version;
    if (V1_VERSIONS.includes(version)) {
      return v1(version, type, args, req, reply);
    }
    if (version === 'v2.0') return v2(type, args, req, reply);
    throw new ApiError(404, `unsupported API version "${version}"`);
  };

  const v1 = (
    version: string,
    type: string,
    args: string,
    req: FastifyRequest,
    reply: FastifyReply,
  ): FastifyReply => {
    const types = V1_TYPES[version];
    if (type === '')
      return reply
        .type('text/plain')
        .send(`Supported request types: "${[...types].sort().join(',')}"`);
    if (!types.includes(type)) throw new ApiError(404, `unknown request type "${type}"`);
    if (type === 'machine') return reply.send(deps.machineInfo());
    const q = v1Request(req.body);
    const info = (c: TrackedContainer): ContainerInfo =>
      containerInfoOf(c, containers.children(c.name), q.numStats, q.startMs, q.endMs);
    if (type === 'containers') {
      const name = containerName(args);
      const c = containers.get(name);
      if (c === undefined)
        throw new ApiError(
          500,
          `failed to get container "${name}" with error: unknown container "${name}"`,
        );
      return reply.send(info(c));
    }
    if (type === 'subcontainers') {
      const name = containerName(args);
      if (containers.get(name) === undefined)
        throw new ApiError(
          500,
          `failed to get subcontainers for container "${name}" with error: unknown container "${name}"`,
        );
      return reply.send(containers.tree(name).map(info));
    }
    // docker
    const parts = args.split('/').filter((p) => p !== '');
    if (parts.length === 0) {
      return reply.send(Object.fromEntries(containers.docker().map((c) => [c.name, info(c)])));
    }
    if (parts.length > 1)
      throw new ApiError(400, `unknown request for Docker container [${parts.join(' ')}]`);
    const c = containers.dockerByRef(parts[0]);
    if (c === undefined)
      throw new ApiError(
        500,
        `failed to get Docker container "${parts[0]}" with error: unable to find Docker container "${parts[0]}"`,
      );
    return reply.send({ [c.name]: info(c) });
  };

  const requested = (args: string, opt: RequestOptions): TrackedContainer[] => {
    if (opt.idType === 'docker') {
      const ref = args
        .split('/')
        .filter((p) => p !== '')
        .join('/');
      if (ref === '') return containers.docker();
      const c = containers.dockerByRef(ref);
      if (c === undefined) throw new ApiError(500, `unable to find Docker container "${ref}"`);
      return [c];
    }
    const name = containerName(args);
    const c = containers.get(name);
    if (c === undefined) throw new ApiError(500, `unknown container "${name}"`);
    return opt.recursive ? containers.tree(name) : [c];
  };

  const v2 = (
    type: string,
    args: string,
    req: FastifyRequest,
    reply: FastifyReply,
  ): FastifyReply => {
    const opt = requestOptions(req.query as Record<string, string | undefined>);
    if (type === '')
      return reply.type('text/plain').send(`Supported request types: "${V2_TYPES.join(',')}"`);
    switch (type) {
      case 'machine':
        return reply.send(deps.machineInfo());
      case 'spec':
        return reply.send(
          Object.fromEntries(requested(args, opt).map((c) => [c.name, specV2Of(c)])),
        );
      case 'stats':
        return reply.send(
          Object.fromEntries(requested(args, opt).map((c) => [c.name, statsV2Of(c, opt.count)])),
        );
      case 'summary':
        return reply.send(
          Object.fromEntries(requested(args, opt).map((c) => [c.name, derivedOf(c)])),
        );
      default:
        throw new ApiError(404, `unknown request type "${type}"`);
    }
  };

  app.route({ method: ['GET', 'POST'], url: '/api/:version', handler, preValidation: getBody });
  app.route({ method: ['GET', 'POST'], url: '/api/:version/*', handler, preValidation: getBody });
  return app;
}
