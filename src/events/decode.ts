// Decoding v1 Event objects (plain JSON from list/watch) into KubeEvent.
import type { InvolvedObject, KubeEvent } from './types.js';

function rec(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function optStr(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** RFC3339 (with or without fractional seconds) to ms; undefined when absent or unparsable. */
function timeMs(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Decodes a v1 Event (as the API server sends it in a list or a watch event) into a KubeEvent,
 * keeping `o` itself as `raw`. Times: `lastTimestampMs` is lastTimestamp, else eventTime
 * (events.k8s.io-style events set only that), else metadata.creationTimestamp;
 * `firstTimestampMs` likewise from firstTimestamp. `count` is count, else series.count, else 1.
 * Returns undefined for an object without metadata.name (not an event).
 */
export function decodeEvent(o: Record<string, unknown>): KubeEvent | undefined {
  const m = rec(o.metadata);
  const name = str(m.name);
  if (name === '') return undefined;
  const created = timeMs(m.creationTimestamp);
  const eventTime = timeMs(o.eventTime);
  const last = timeMs(o.lastTimestamp) ?? eventTime ?? created ?? 0;
  const first = timeMs(o.firstTimestamp) ?? eventTime ?? created ?? last;
  const io = rec(o.involvedObject);
  const involvedObject: InvolvedObject = {
    kind: str(io.kind),
    name: str(io.name),
    ...(optStr(io.namespace) !== undefined ? { namespace: str(io.namespace) } : {}),
    ...(optStr(io.uid) !== undefined ? { uid: str(io.uid) } : {}),
    ...(optStr(io.apiVersion) !== undefined ? { apiVersion: str(io.apiVersion) } : {}),
    ...(optStr(io.fieldPath) !== undefined ? { fieldPath: str(io.fieldPath) } : {}),
  };
  const source = rec(o.source);
  const seriesCount = rec(o.series).count;
  const count =
    typeof o.count === 'number' && o.count > 0
      ? o.count
      : typeof seriesCount === 'number'
        ? seriesCount
        : 1;
  const host = optStr(source.host);
  return {
    namespace: str(m.namespace),
    name,
    uid: str(m.uid),
    resourceVersion: str(m.resourceVersion),
    reason: str(o.reason),
    message: str(o.message),
    type: str(o.type),
    involvedObject,
    sourceComponent: str(source.component) || str(o.reportingComponent),
    ...(host !== undefined ? { sourceHost: host } : {}),
    firstTimestampMs: first,
    lastTimestampMs: last,
    count,
    raw: o,
  };
}

/**
 * The event as text for sinks that store it whole (influxdb's `value` field): JSON indented by
 * one space like the original's `json.MarshalIndent(event, "", " ")`, without `kind` and
 * `apiVersion` (the original's typed object had no TypeMeta, and list items carry none).
 */
export function eventJson(event: KubeEvent): string {
  const rest: Record<string, unknown> = { ...event.raw };
  delete rest.kind;
  delete rest.apiVersion;
  return JSON.stringify(rest, null, ' ');
}
