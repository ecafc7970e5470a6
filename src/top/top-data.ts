import type { MetricResult, ModelClient } from './model-client.js';
import { mapLimit } from '../core/map-limit.js';
import { TopError, latestValue } from './model-client.js';
import type { TopKind, TopRow } from './top-format.js';
import type { TopOptions } from './top-flags.js';
import { matchesSelector, parseLabelsLabel } from './selector.js';

const MODEL = '/api/v1/model';
/** Requests in flight at once (the client's pool holds as many connections). */
export const TOP_CONCURRENCY = 8;
/** Pods per `pod-list` request (keeps URLs short). */
const POD_LIST_CHUNK = 50;

const seg = encodeURIComponent;

/** What one `top` run found: the table kind, its rows (unsorted), and what to say when empty. */
export interface TopData {
  kind: TopKind;
  rows: TopRow[];
  /** Printed on stderr instead of a table when `rows` is empty (kubectl's wording). */
  emptyMessage: string;
}

/** Metrics of one entity path: its metric names, then the values `top` shows. */
async function entityUsage(
  client: ModelClient,
  base: string,
  withCapacity: boolean,
): Promise<Omit<TopRow, 'name'>> {
  const names = new Set(await client.getJson<string[]>(`${base}/metrics/`));
  const get = async (metric: string): Promise<number | undefined> =>
    names.has(metric)
      ? latestValue(await client.getJson<MetricResult>(`${base}/metrics/${metric}`))
      : undefined;
  const firstPositive = async (a: string, b: string): Promise<number | undefined> => {
    const v = await get(a);
    return v !== undefined && v > 0 ? v : get(b);
  };
  const [cpu, mem, cpuCap, memCap] = await Promise.all([
    get('cpu/usage_rate'),
    names.has('memory/working_set') ? get('memory/working_set') : get('memory/usage'),
    withCapacity ? firstPositive('cpu/node_allocatable', 'cpu/node_capacity') : undefined,
    withCapacity ? firstPositive('memory/node_allocatable', 'memory/node_capacity') : undefined,
  ]);
  return {
    cpuMillicores: cpu,
    memoryBytes: mem,
    cpuCapacityMillicores: cpuCap,
    memoryCapacityBytes: memCap,
  };
}

function filterNames(
  all: string[],
  wanted: readonly string[],
  what: (n: string) => string,
): string[] {
  if (wanted.length === 0) return all;
  const have = new Set(all);
  for (const n of wanted) if (!have.has(n)) throw new TopError(`${what(n)} not found`);
  return all.filter((n) => wanted.includes(n));
}

/** Pod labels by pod name from `/api/v1/metric-export` (the only Model-era API with labels). */
async function podLabels(client: ModelClient): Promise<Map<string, Record<string, string>[]>> {
  const series =
    await client.getJson<{ labels?: Record<string, string> }[]>('/api/v1/metric-export');
  const out = new Map<string, Record<string, string>[]>();
  for (const ts of series) {
    const l = ts.labels;
    if (!l?.pod_name || l.container_name !== '/pod') continue;
    const list = out.get(l.pod_name) ?? [];
    list.push(parseLabelsLabel(l.labels));
    out.set(l.pod_name, list);
  }
  if (series.length === 0) {
    throw new TopError(
      `--selector needs pod labels, but heapster at ${client.server} exports none (/api/v1/metric-export is empty: started with --disable_export?)`,
    );
  }
  return out;
}

/** The namespaces and pods (after names and selector) that `pods`/`containers` show. */
async function selectedPods(
  client: ModelClient,
  opts: TopOptions,
): Promise<{ namespace: string; pod: string }[]> {
  const namespaces = opts.allNamespaces
    ? await client.getJson<string[]>(`${MODEL}/namespaces/`)
    : [opts.namespace];
  const perNs = await mapLimit(namespaces, TOP_CONCURRENCY, async (namespace) =>
    (await client.getJson<string[]>(`${MODEL}/namespaces/${seg(namespace)}/pods/`)).map((pod) => ({
      namespace,
      pod,
    })),
  );
  let pods = perNs.flat();
  if (opts.names.length > 0 && opts.kind === 'pods') {
    const have = new Set(pods.map((p) => p.pod));
    for (const n of opts.names) {
      if (!have.has(n)) {
        throw new TopError(`pod "${opts.allNamespaces ? n : `${opts.namespace}/${n}`}" not found`);
      }
    }
    pods = pods.filter((p) => opts.names.includes(p.pod));
  }
  if (opts.selector.length > 0 && pods.length > 0) {
    const labels = await podLabels(client);
    // The export has no namespace label: a pod matches when any pod of that name does.
    pods = pods.filter((p) =>
      (labels.get(p.pod) ?? [{}]).some((l) => matchesSelector(opts.selector, l)),
    );
  }
  return pods;
}

async function podRows(client: ModelClient, opts: TopOptions): Promise<TopRow[]> {
  const pods = await selectedPods(client, opts);
  const byNs = new Map<string, string[]>();
  for (const p of pods) byNs.set(p.namespace, [...(byNs.get(p.namespace) ?? []), p.pod]);
  const chunks: { namespace: string; pods: string[] }[] = [];
  for (const [namespace, list] of byNs) {
    for (let i = 0; i < list.length; i += POD_LIST_CHUNK) {
      chunks.push({ namespace, pods: list.slice(i, i + POD_LIST_CHUNK) });
    }
  }
  const podList = (c: { namespace: string; pods: string[] }, metric: string) =>
    client
      .getJson<{ items: MetricResult[] }>(
        `${MODEL}/namespaces/${seg(c.namespace)}/pod-list/${c.pods.map(seg).join(',')}/metrics/${metric}`,
      )
      .then((r) => r.items.map(latestValue));
  const rows = await mapLimit(chunks, TOP_CONCURRENCY, async (c) => {
    const [cpu, ws] = await Promise.all([
      podList(c, 'cpu/usage_rate'),
      podList(c, 'memory/working_set'),
    ]);
    const mem = ws.every((v) => v === undefined) ? await podList(c, 'memory/usage') : ws;
    return c.pods.map((pod, i): TopRow => ({
      namespace: c.namespace,
      name: pod,
      cpuMillicores: cpu[i],
      memoryBytes: mem[i],
    }));
  });
  return rows.flat();
}

async function containerRows(client: ModelClient, opts: TopOptions): Promise<TopRow[]> {
  const pods = await selectedPods(client, opts);
  const perPod = await mapLimit(pods, TOP_CONCURRENCY, async ({ namespace, pod }) => {
    const base = `${MODEL}/namespaces/${seg(namespace)}/pods/${seg(pod)}/containers`;
    const names = await client.getJson<string[]>(`${base}/`);
    return names.map((name) => ({ namespace, pod, name, base: `${base}/${seg(name)}` }));
  });
  let containers = perPod.flat();
  if (opts.names.length > 0) {
    const have = new Set(containers.map((c) => c.name));
    for (const n of opts.names) if (!have.has(n)) throw new TopError(`container "${n}" not found`);
    containers = containers.filter((c) => opts.names.includes(c.name));
  }
  return mapLimit(containers, TOP_CONCURRENCY, async (c) => ({
    namespace: c.namespace,
    pod: c.pod,
    name: c.name,
    ...(await entityUsage(client, c.base, false)),
  }));
}

async function systemContainerRows(
  client: ModelClient,
  opts: TopOptions,
  nodes: string[],
): Promise<TopRow[]> {
  const perNode = await mapLimit(nodes, TOP_CONCURRENCY, async (node) => {
    const base = `${MODEL}/nodes/${seg(node)}/freecontainers`;
    const names = await client.getJson<string[]>(`${base}/`);
    return names.map((name) => ({ node, name, base: `${base}/${seg(name)}` }));
  });
  let containers = perNode.flat();
  if (opts.names.length > 0) {
    const have = new Set(containers.map((c) => c.name));
    for (const n of opts.names) {
      if (!have.has(n)) throw new TopError(`system container "${n}" not found`);
    }
    containers = containers.filter((c) => opts.names.includes(c.name));
  }
  return mapLimit(containers, TOP_CONCURRENCY, async (c) => ({
    node: c.node,
    name: c.name,
    ...(await entityUsage(client, c.base, false)),
  }));
}

/**
 * Reads what `heapster top` shows from a server's Model API (any heapster): node rows with
 * allocatable (else capacity) for the % columns, pods via `pod-list` in bulk, containers,
 * system containers (`containers --system`, or `containers` on a server with no pods) and
 * namespaces. CPU is `cpu/usage_rate`, memory `memory/working_set` (`memory/usage` when the
 * server has none). Rejects with TopError when the server is unreachable, answers badly, has
 * no data yet (no nodes, or no row with any value), or a named entity does not exist.
 */
export async function fetchTopData(client: ModelClient, opts: TopOptions): Promise<TopData> {
  const nodes = await client.getJson<string[]>(`${MODEL}/nodes/`);
  if (nodes.length === 0) {
    throw new TopError(`metrics not available yet: heapster at ${client.server} has no data yet`);
  }
  let kind: TopKind = opts.kind;
  let rows: TopRow[];
  const nsText = opts.allNamespaces ? '' : ` in ${opts.namespace} namespace`;
  let emptyMessage = `No resources found${nsText}.`;
  switch (opts.kind) {
    case 'nodes': {
      const names = filterNames(nodes, opts.names, (n) => `node "${n}"`);
      rows = await mapLimit(names, TOP_CONCURRENCY, async (name) => ({
        name,
        ...(await entityUsage(client, `${MODEL}/nodes/${seg(name)}`, true)),
      }));
      break;
    }
    case 'namespaces': {
      const all = await client.getJson<string[]>(`${MODEL}/namespaces/`);
      const names = filterNames(all, opts.names, (n) => `namespace "${n}"`);
      rows = await mapLimit(names, TOP_CONCURRENCY, async (name) => ({
        name,
        ...(await entityUsage(client, `${MODEL}/namespaces/${seg(name)}`, false)),
      }));
      emptyMessage = 'No resources found.';
      break;
    }
    case 'pods':
      rows = await podRows(client, opts);
      break;
    case 'containers': {
      const system =
        opts.system ||
        (opts.selector.length === 0 &&
          (await client.getJson<string[]>(`${MODEL}/namespaces/`)).length === 0);
      if (system) {
        kind = 'system-containers';
        rows = await systemContainerRows(client, opts, nodes);
        emptyMessage = 'No resources found.';
      } else {
        rows = await containerRows(client, opts);
      }
      break;
    }
  }
  if (
    rows.length > 0 &&
    rows.every((r) => r.cpuMillicores === undefined && r.memoryBytes === undefined)
  ) {
    throw new TopError(`metrics not available yet: heapster at ${client.server} has no values yet`);
  }
  return { kind, rows, emptyMessage };
}
