import { Readable, pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { Batch, Labels } from '../core/batch.js';
import type { Store } from '../core/contracts.js';
import { metricDescriptor } from '../core/metrics.js';
import { acceptsGzip } from './server.js';

/** Path of the Prometheus exposition of the rolled-up metrics. */
export const FEDERATE_PATH = '/federate';

/** Content type of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Prefix of every exposed metric name. */
export const PROMETHEUS_PREFIX = 'heapster_';

const INVALID_NAME_CHARS = /[^a-zA-Z0-9_:]/g;
const INVALID_LABEL_CHARS = /[^a-zA-Z0-9_]/g;
const NEEDS_ESCAPE = /[\\"\n]/;

/** What a Heapster metric becomes in Prometheus: its name, TYPE and HELP text. */
export interface PrometheusFamily {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'untyped';
  readonly help: string;
}

/**
 * Maps a Heapster metric name to its Prometheus family (see docs/prometheus.md):
 * `heapster_` + the name with every character outside `[a-zA-Z0-9_:]` replaced by `_`;
 * cumulative metrics of the catalogue are counters and get the `_total` suffix, other
 * catalogue metrics are gauges, unknown ones (custom, dynamic `<resource>/request`) untyped.
 * Values keep Heapster's units (named in HELP), so they equal the Model API's.
 */
export function prometheusFamily(metric: string): PrometheusFamily {
  const base = PROMETHEUS_PREFIX + metric.replace(INVALID_NAME_CHARS, '_');
  const desc = metricDescriptor(metric);
  if (desc === undefined) {
    return { name: base, type: 'untyped', help: `Heapster metric ${metric}.` };
  }
  const counter = desc.kind === 'cumulative';
  const units = desc.units === '' ? 'count' : desc.units;
  const text = desc.description.replace(/\.$/, '');
  return {
    name: counter ? `${base}_total` : base,
    type: counter ? 'counter' : 'gauge',
    help: `${text} (heapster ${metric}, ${desc.kind}, ${units}).`,
  };
}

/** A label name valid in Prometheus: characters outside `[a-zA-Z0-9_]` become `_`, a leading digit gets `_`. */
export function prometheusLabelName(key: string): string {
  const s = key.replace(INVALID_LABEL_CHARS, '_');
  return /^[0-9]/.test(s) || s === '' ? `_${s}` : s;
}

/** Escapes a label value for the text format: `\` → `\\`, `"` → `\"`, newline → `\n`. */
export function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes HELP text: `\` → `\\`, newline → `\n` (quotes stay). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the text format spells it (`NaN`, `+Inf`, `-Inf`, else JS number text). */
export function formatSampleValue(v: number): string {
  if (Number.isFinite(v)) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? '+Inf' : '-Inf';
}

/** Cache of label-key → Prometheus label name (label keys repeat across every set). */
const labelNames = new Map<string, string>();

function labelName(key: string): string {
  let n = labelNames.get(key);
  if (n === undefined) {
    n = prometheusLabelName(key);
    if (labelNames.size < 10_000) labelNames.set(key, n);
  }
  return n;
}

/** `k="v",k2="v2"` for the non-empty labels of `labels`, skipping keys in `skip`. */
function labelPairs(labels: Labels, skip?: Labels): string {
  let out = '';
  for (const k in labels) {
    const v = labels[k];
    if (v === undefined || v === '') continue;
    if (skip !== undefined && Object.hasOwn(skip, k)) continue;
    out += (out === '' ? '' : ',') + labelName(k) + '="' + escapeLabelValue(v) + '"';
  }
  return out;
}

/** Samples per yielded chunk of `prometheusTextChunks`, bounding each chunk to a few MB. */
const CHUNK_SAMPLES = 10_000;

/**
 * The Prometheus text exposition (format 0.0.4) of every value of `batch`, plain and labeled,
 * as a sequence of chunks whose concatenation is the whole text: one `# HELP` and `# TYPE`
 * per family (families sorted by name, all samples of a family together, sets in batch
 * order), each sample labelled with its metric set's non-empty labels (a labeled value's own
 * labels win over its set's on the same key), its value, and the batch timestamp in ms. Label
 * values are escaped; the `labels` label passes through as it is. Memory stays bounded by one
 * chunk plus one label string per set (a 1,000-node tick is ~500 MB of text, close to V8's
 * maximum string length). Pure; the batch must not change while the iterator is consumed.
 */
export function* prometheusTextChunks(batch: Batch): Generator<string> {
  const suffix = ' ' + String(Math.round(batch.timestampMs)) + '\n';
  // Pass 1: the label string of every set, and the metric names of each family.
  const sets = [...batch.sets.values()];
  const open: string[] = new Array<string>(sets.length);
  const families = new Map<string, { family: PrometheusFamily; metrics: Set<string> }>();
  const seen = new Set<string>();
  const note = (metric: string): void => {
    if (seen.has(metric)) return;
    seen.add(metric);
    const family = prometheusFamily(metric);
    const f = families.get(family.name);
    if (f === undefined) families.set(family.name, { family, metrics: new Set([metric]) });
    else f.metrics.add(metric);
  };
  for (let i = 0; i < sets.length; i++) {
    const set = sets[i];
    const pairs = labelPairs(set.labels);
    open[i] = pairs;
    for (const metric of set.values.keys()) note(metric);
    for (const lv of set.labeled) note(lv.name);
  }
  // Pass 2: one family at a time.
  for (const name of [...families.keys()].sort()) {
    const { family, metrics } = families.get(name)!;
    let out = `# HELP ${name} ${escapeHelp(family.help)}\n# TYPE ${name} ${family.type}\n`;
    let n = 0;
    const single = metrics.size === 1 ? [...metrics][0] : undefined;
    for (let i = 0; i < sets.length; i++) {
      const set = sets[i];
      const pairs = open[i];
      const head = pairs === '' ? name + ' ' : name + '{' + pairs + '} ';
      if (single !== undefined) {
        const v = set.values.get(single);
        if (v !== undefined) {
          out += head + formatSampleValue(v) + suffix;
          n++;
        }
      } else {
        for (const metric of metrics) {
          const v = set.values.get(metric);
          if (v === undefined) continue;
          out += head + formatSampleValue(v) + suffix;
          n++;
        }
      }
      for (const lv of set.labeled) {
        if (!metrics.has(lv.name)) continue;
        const own = labelPairs(lv.labels);
        const rest = own === '' ? pairs : labelPairs(set.labels, lv.labels);
        const all = rest === '' ? own : own === '' ? rest : rest + ',' + own;
        out +=
          name + (all === '' ? '' : '{' + all + '}') + ' ' + formatSampleValue(lv.value) + suffix;
        n++;
      }
      if (n >= CHUNK_SAMPLES) {
        yield out;
        out = '';
        n = 0;
      }
    }
    if (out !== '') yield out;
  }
}

/** `prometheusTextChunks(batch)` as one string (fine for tests and small clusters). */
export function toPrometheusText(batch: Batch): string {
  let out = '';
  for (const chunk of prometheusTextChunks(batch)) out += chunk;
  return out;
}

/** Dependencies of the `/federate` route. */
export interface FederateRoutesDeps {
  store: Store;
}

/**
 * Registers `GET /federate`: the latest batch in the Prometheus text format (see
 * `prometheusTextChunks` and docs/prometheus.md), streamed chunk by chunk and gzipped on the
 * fly for clients that accept gzip (Prometheus does). Before the first batch it answers 200
 * with a comment line only, so a scraping Prometheus sees the target up but no series.
 */
export function registerFederateRoutes(app: FastifyInstance, deps: FederateRoutesDeps): void {
  app.get(FEDERATE_PATH, async (req, reply) => {
    const latest = deps.store.latest();
    reply.type(PROMETHEUS_CONTENT_TYPE);
    if (latest === undefined) return reply.send('# no batch collected yet\n');
    const text = Readable.from(prometheusTextChunks(latest));
    const accept = req.headers['accept-encoding'];
    if (typeof accept === 'string' && acceptsGzip(accept)) {
      reply.header('content-encoding', 'gzip');
      reply.header('vary', 'accept-encoding');
      const gzip = createGzip();
      pipeline(text, gzip, () => {});
      return reply.send(gzip);
    }
    return reply.send(text);
  });
}
