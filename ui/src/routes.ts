import type { RangeSpec } from './api.js';

/** A parsed location hash. */
export type Route =
  { view: 'overview' } | { view: 'list'; type: string } | { view: 'entity'; key: string };

/** Relative ranges offered by the buttons. */
export const RANGES: readonly { label: string; rangeMs: number }[] = [
  { label: '15 min', rangeMs: 15 * 60_000 },
  { label: '1 h', rangeMs: 3_600_000 },
  { label: '6 h', rangeMs: 6 * 3_600_000 },
  { label: '24 h', rangeMs: 24 * 3_600_000 },
];

/** Hash of an entity's page (the cluster's is the overview). */
export function entityHref(key: string): string {
  return key === 'cluster'
    ? `#/${rangeSuffix()}`
    : `#/e/${encodeURIComponent(key)}${rangeSuffix()}`;
}

let currentRange: RangeSpec = RANGES[0];

function rangeSuffix(): string {
  const r = currentRange;
  if ('rangeMs' in r) return r.rangeMs === RANGES[0].rangeMs ? '' : `?range=${r.rangeMs}`;
  return `?start=${r.startMs}&end=${r.endMs}`;
}

/** Parses `location.hash` into a route and the time range (default: last 15 min). */
export function parseHash(hash: string): { route: Route; range: RangeSpec } {
  const raw = hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  let range: RangeSpec = { rangeMs: RANGES[0].rangeMs };
  const r = Number(params.get('range'));
  const s = Number(params.get('start'));
  const e = Number(params.get('end'));
  if (params.has('start') && params.has('end') && s > 0 && e > s) range = { startMs: s, endMs: e };
  else if (r > 0) range = { rangeMs: r };
  currentRange = range;
  const parts = path.split('/').filter((p) => p !== '');
  let route: Route = { view: 'overview' };
  if (parts[0] === 'list' && parts[1]) route = { view: 'list', type: parts[1] };
  else if (parts[0] === 'e' && parts[1])
    route = { view: 'entity', key: decodeURIComponent(parts.slice(1).join('/')) };
  return { route, range };
}

/** Hash for `route` with `range`. */
export function toHash(route: Route, range: RangeSpec): string {
  currentRange = range;
  const suffix = rangeSuffix();
  switch (route.view) {
    case 'overview':
      return `#/${suffix}`;
    case 'list':
      return `#/list/${route.type}${suffix}`;
    case 'entity':
      return `#/e/${encodeURIComponent(route.key)}${suffix}`;
  }
}

/** Hash of a list page keeping the current range. */
export function listHref(type: string): string {
  return `#/list/${type}${rangeSuffix()}`;
}
