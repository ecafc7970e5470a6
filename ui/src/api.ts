import type { EntitiesJson, EntityJson, StatusJson } from '../../src/api/dashboard-types.js';

/** Time range of the page: relative (last `rangeMs`) or fixed [startMs, endMs]. */
export type RangeSpec = { rangeMs: number } | { startMs: number; endMs: number };

/** The API answered with an error status: `status` and its `{ error }` message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The API could not be reached (network error or timeout). */
export class UnreachableError extends Error {}

const TIMEOUT_MS = 10_000;

function rangeParams(r: RangeSpec): Record<string, string> {
  return 'rangeMs' in r
    ? { range: String(r.rangeMs) }
    : { start: String(r.startMs), end: String(r.endMs) };
}

/** GETs `api/v1/dashboard/<path>` (relative to the page, so proxies with a prefix work). */
async function get<T>(path: string, params: Record<string, string | undefined>): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) qs.set(k, v);
  const url = `api/v1/dashboard/${path}${qs.size > 0 ? `?${qs}` : ''}`;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetch(url, { signal: ctl.signal, headers: { accept: 'application/json' } });
  } catch (err) {
    throw new UnreachableError(
      ctl.signal.aborted ? `no answer within ${TIMEOUT_MS / 1000} s` : (err as Error).message,
    );
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: string; message?: string };
      message = body.error ?? body.message ?? message;
    } catch {
      // not JSON
    }
    throw new ApiError(message, res.status);
  }
  return (await res.json()) as T;
}

/** `status`. */
export function fetchStatus(): Promise<StatusJson> {
  return get('status', {});
}

/** `entity` of `key` over `range`. */
export function fetchEntity(key: string, range: RangeSpec): Promise<EntityJson> {
  return get('entity', { key, ...rangeParams(range) });
}

/** Query of one table page. */
export interface TableQuery {
  type: string;
  parent?: string;
  sort: string;
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
  filter?: string;
  range?: RangeSpec;
}

/** `entities` (with sparklines over `range` when given). */
export function fetchEntities(q: TableQuery): Promise<EntitiesJson> {
  return get('entities', {
    type: q.type,
    parent: q.parent,
    sort: q.sort,
    order: q.order,
    offset: String(q.offset),
    limit: String(q.limit),
    q: q.filter || undefined,
    ...(q.range ? { spark: '1', ...rangeParams(q.range) } : {}),
  });
}
