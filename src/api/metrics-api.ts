// Resource Metrics API (metrics.k8s.io) for `kubectl top` and the HPA (§7.3), plus the
// discovery documents and the core /api/v1 answers kubectl needs when it talks to us directly.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Batch, MetricSet } from '../core/batch.js';
import type { Store } from '../core/contracts.js';
import { parseEntityKey } from '../core/keys.js';
import {
  LABEL_CONTAINER_NAME,
  LABEL_LABELS,
  LABEL_NAMESPACE_NAME,
  LABEL_NODENAME,
  LABEL_POD_NAME,
  LABEL_TYPE,
} from '../core/labels.js';
import type { ClusterView, NodeInfo, PodInfo } from '../sources/kubernetes/cluster-view.js';
import { formatRfc3339 } from './rfc3339.js';
import type { Selector } from './selectors.js';
import { SelectorError, parseFieldSelector, parseLabelSelector } from './selectors.js';

/** What the Metrics API reads. */
export interface MetricsApiDeps {
  readonly store: Store;
  /** Discovery caches of a kubernetes source; without it nodes and pods come from the store. */
  readonly cluster?: ClusterView;
  /** Metric resolution, ms: the `window` of every item. */
  readonly resolutionMs: number;
  readonly now: () => number;
  /** Version reported on /version. */
  readonly version?: string;
}

const GROUP = 'metrics.k8s.io';
/** Path prefixes and the apiVersion their bodies carry. */
const PREFIXES: readonly { prefix: string; apiVersion: string }[] = [
  { prefix: `/apis/${GROUP}/v1beta1`, apiVersion: `${GROUP}/v1beta1` },
  { prefix: `/apis/${GROUP}/v1alpha1`, apiVersion: `${GROUP}/v1alpha1` },
  // Heapster ≤ 1.4 (and kubectl ≤ 1.9 through the service proxy).
  { prefix: '/apis/metrics/v1alpha1', apiVersion: 'metrics/v1alpha1' },
];

interface ContainerUsage {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryBytes: number;
}
interface PodUsage {
  readonly namespace: string;
  readonly name: string;
  readonly containers: ContainerUsage[];
  labels: Readonly<Record<string, string>>;
}
interface NodeUsage {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryBytes: number;
  readonly set: MetricSet;
}
interface UsageIndex {
  readonly nodes: Map<string, NodeUsage>;
  /** namespace → pod name → usage. */
  readonly pods: Map<string, Map<string, PodUsage>>;
  readonly timestampMs: number;
}

const indexes = new WeakMap<Batch, UsageIndex>();

/** Go's Duration.String() for whole milliseconds: 60000 → "1m0s", 15000 → "15s". */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return (h ? `${h}h${m}m` : m ? `${m}m` : '') + `${s}s`;
}

/** CPU quantity of millicores (`"12m"`). */
export function cpuQuantity(milli: number): string {
  return `${Math.max(0, Math.round(milli))}m`;
}

/** Memory quantity of bytes, BinarySI like the original (`"31004Ki"`, or plain bytes). */
export function memoryQuantity(bytes: number): string {
  const b = Math.max(0, Math.round(bytes));
  if (b === 0) return '0';
  for (const [suffix, div] of [
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (b % div === 0) return `${b / div}${suffix}`;
  }
  return String(b);
}

/** Parses a `labels` label (`k:v,k2:v2`) back into labels, for pods with no cluster view. */
function parseJoinedLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const pair of text.split(',')) {
    const i = pair.indexOf(':');
    if (i > 0) out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/**
 * Usage of the latest batch, indexed once per batch: nodes with `cpu/usage_rate` and
 * `memory/working_set`; pods with the containers that have both (a pod shows as soon as
 * one container has metrics; the original hid a pod when any container had none).
 */
function usageIndex(batch: Batch): UsageIndex {
  let idx = indexes.get(batch);
  if (idx !== undefined) return idx;
  idx = { nodes: new Map(), pods: new Map(), timestampMs: batch.timestampMs };
  for (const [key, set] of batch.sets) {
    const type = set.labels[LABEL_TYPE];
    if (type !== 'node' && type !== 'pod_container') continue;
    const cpu = set.values.get('cpu/usage_rate');
    const mem = set.values.get('memory/working_set');
    if (cpu === undefined || mem === undefined) continue;
    if (type === 'node') {
      const name = set.labels[LABEL_NODENAME] || parseNodeName(key);
      if (name) idx.nodes.set(name, { name, cpuMilli: cpu, memoryBytes: mem, set });
      continue;
    }
    let ns = set.labels[LABEL_NAMESPACE_NAME];
    let pod = set.labels[LABEL_POD_NAME];
    let container = set.labels[LABEL_CONTAINER_NAME];
    if (!ns || !pod || !container) {
      const k = parseEntityKey(key);
      if (k?.type !== 'pod_container') continue;
      ({ namespace: ns, pod, container } = k);
    }
    let byName = idx.pods.get(ns);
    if (byName === undefined) idx.pods.set(ns, (byName = new Map()));
    let p = byName.get(pod);
    if (p === undefined) {
      p = {
        namespace: ns,
        name: pod,
        containers: [],
        labels: parseJoinedLabels(set.labels[LABEL_LABELS]),
      };
      byName.set(pod, p);
    }
    p.containers.push({ name: container, cpuMilli: cpu, memoryBytes: mem });
  }
  for (const byName of idx.pods.values()) {
    for (const p of byName.values()) p.containers.sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  indexes.set(batch, idx);
  return idx;
}

function parseNodeName(key: string): string | undefined {
  const k = parseEntityKey(key);
  return k?.type === 'node' ? k.node : undefined;
}

/** A Kubernetes `Status` failure body. */
export function statusBody(code: number, reason: string, message: string): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
}

function sendStatus(
  reply: FastifyReply,
  code: number,
  reason: string,
  message: string,
): FastifyReply {
  return reply
    .code(code)
    .type('application/json')
    .send(statusBody(code, reason, message));
}

interface Selectors {
  label: Selector;
  field: Selector;
}

function selectors(req: FastifyRequest, fields: readonly string[]): Selectors {
  const q = req.query as Record<string, string | string[] | undefined>;
  const one = (v: string | string[] | undefined): string =>
    Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
  return {
    label: parseLabelSelector(one(q.labelSelector)),
    field: parseFieldSelector(one(q.fieldSelector), fields),
  };
}

/** Node labels: the cluster's, else the well-known hostname label. */
function nodeLabelsOf(cluster: ClusterView | undefined, name: string): Record<string, string> {
  return { ...(cluster?.node(name)?.labels ?? { 'kubernetes.io/hostname': name }) };
}

/**
 * Registers the Metrics API under `/apis/metrics.k8s.io/v1beta1`, `/v1alpha1` and the old
 * `/apis/metrics/v1alpha1`: `nodes`, `nodes/{name}`, `pods`, `namespaces/{ns}/pods`,
 * `namespaces/{ns}/pods/{name}` with `labelSelector` and `fieldSelector` (metadata.name,
 * metadata.namespace) evaluated here; values of the latest batch (cpu = `cpu/usage_rate`,
 * memory = `memory/working_set`); errors as Kubernetes `Status` bodies (400 bad selector,
 * 404 unknown object). Also the discovery documents (`/api`, `/api/v1`, `/apis`,
 * `/apis/metrics.k8s.io[/version]`, `/version`) and `/api/v1/nodes[/{name}]`,
 * `/api/v1/namespaces/{ns}/pods`, `/api/v1/pods` from the cluster view, or synthesized
 * from the store when there is none, so `kubectl --server=... top` works with no API server.
 */
export function registerMetricsApiRoutes(app: FastifyInstance, deps: MetricsApiDeps): void {
  const window = goDuration(deps.resolutionMs);
  const latest = (): UsageIndex | undefined => {
    const b = deps.store.latest();
    return b === undefined ? undefined : usageIndex(b);
  };
  const podLabels = (p: PodUsage): Readonly<Record<string, string>> =>
    deps.cluster?.pod(p.namespace, p.name)?.labels ?? p.labels;

  const nodeItem = (n: NodeUsage, ts: number, nowIso: string): object => ({
    metadata: {
      name: n.name,
      creationTimestamp: nowIso,
      labels: nodeLabelsOf(deps.cluster, n.name),
    },
    timestamp: formatRfc3339(ts),
    window,
    usage: { cpu: cpuQuantity(n.cpuMilli), memory: memoryQuantity(n.memoryBytes) },
  });
  const podItem = (p: PodUsage, ts: number, nowIso: string): object => ({
    metadata: {
      name: p.name,
      namespace: p.namespace,
      creationTimestamp: nowIso,
      labels: { ...podLabels(p) },
    },
    timestamp: formatRfc3339(ts),
    window,
    containers: p.containers.map((c) => ({
      name: c.name,
      usage: { cpu: cpuQuantity(c.cpuMilli), memory: memoryQuantity(c.memoryBytes) },
    })),
  });

  const withSelectors = (
    req: FastifyRequest,
    reply: FastifyReply,
    fields: readonly string[],
    fn: (s: Selectors) => unknown,
  ): unknown => {
    let s: Selectors;
    try {
      s = selectors(req, fields);
    } catch (err) {
      if (err instanceof SelectorError) return sendStatus(reply, 400, 'BadRequest', err.message);
      throw err;
    }
    return fn(s);
  };

  for (const { prefix, apiVersion } of PREFIXES) {
    const list = (kind: string, items: object[]): object => ({
      kind,
      apiVersion,
      metadata: { resourceVersion: '' },
      items,
    });

    app.get(prefix, async () => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: apiVersion,
      resources: [
        {
          name: 'nodes',
          singularName: '',
          namespaced: false,
          kind: 'NodeMetrics',
          verbs: ['get', 'list'],
        },
        {
          name: 'pods',
          singularName: '',
          namespaced: true,
          kind: 'PodMetrics',
          verbs: ['get', 'list'],
        },
      ],
    }));

    app.get(`${prefix}/nodes`, async (req, reply) =>
      withSelectors(req, reply, ['metadata.name'], (s) => {
        const idx = latest();
        const nowIso = formatRfc3339(deps.now());
        const items: object[] = [];
        if (idx !== undefined) {
          const names = [...idx.nodes.keys()].sort();
          for (const name of names) {
            const n = idx.nodes.get(name) as NodeUsage;
            if (!s.field({ 'metadata.name': name })) continue;
            if (!s.label(nodeLabelsOf(deps.cluster, name))) continue;
            items.push(nodeItem(n, idx.timestampMs, nowIso));
          }
        }
        return list('NodeMetricsList', items);
      }),
    );

    app.get<{ Params: { name: string } }>(`${prefix}/nodes/:name`, async (req, reply) => {
      const n = latest()?.nodes.get(req.params.name);
      if (n === undefined) {
        return sendStatus(
          reply,
          404,
          'NotFound',
          `nodemetrics.${GROUP} "${req.params.name}" not found`,
        );
      }
      return {
        kind: 'NodeMetrics',
        apiVersion,
        ...nodeItem(n, latest()!.timestampMs, formatRfc3339(deps.now())),
      };
    });

    const podList = (req: FastifyRequest, reply: FastifyReply, namespace: string | undefined) =>
      withSelectors(req, reply, ['metadata.name', 'metadata.namespace'], (s) => {
        const idx = latest();
        const nowIso = formatRfc3339(deps.now());
        const items: object[] = [];
        if (idx !== undefined) {
          const namespaces = namespace !== undefined ? [namespace] : [...idx.pods.keys()].sort();
          for (const ns of namespaces) {
            const byName = idx.pods.get(ns);
            if (byName === undefined) continue;
            for (const name of [...byName.keys()].sort()) {
              const p = byName.get(name) as PodUsage;
              if (!s.field({ 'metadata.name': name, 'metadata.namespace': ns })) continue;
              if (!s.label(podLabels(p))) continue;
              items.push(podItem(p, idx.timestampMs, nowIso));
            }
          }
        }
        return list('PodMetricsList', items);
      });

    app.get(`${prefix}/pods`, async (req, reply) => podList(req, reply, undefined));
    app.get<{ Params: { ns: string } }>(`${prefix}/namespaces/:ns/pods`, async (req, reply) =>
      podList(req, reply, req.params.ns),
    );
    app.get<{ Params: { ns: string; name: string } }>(
      `${prefix}/namespaces/:ns/pods/:name`,
      async (req, reply) => {
        const idx = latest();
        const p = idx?.pods.get(req.params.ns)?.get(req.params.name);
        if (idx === undefined || p === undefined) {
          return sendStatus(
            reply,
            404,
            'NotFound',
            `podmetrics.${GROUP} "${req.params.ns}/${req.params.name}" not found`,
          );
        }
        return {
          kind: 'PodMetrics',
          apiVersion,
          ...podItem(p, idx.timestampMs, formatRfc3339(deps.now())),
        };
      },
    );
  }

  registerDiscoveryRoutes(app, deps);
  registerCoreRoutes(app, deps, latest);
}

function registerDiscoveryRoutes(app: FastifyInstance, deps: MetricsApiDeps): void {
  const versions = [
    { groupVersion: `${GROUP}/v1beta1`, version: 'v1beta1' },
    { groupVersion: `${GROUP}/v1alpha1`, version: 'v1alpha1' },
  ];
  const group = { name: GROUP, versions, preferredVersion: versions[0] };
  app.get('/api', async (req) => ({
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.host }],
  }));
  app.get('/api/v1', async () => ({
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'nodes', singularName: '', namespaced: false, kind: 'Node', verbs: ['get', 'list'] },
      { name: 'pods', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'list'] },
    ],
  }));
  app.get('/apis', async () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: [group] }));
  app.get(`/apis/${GROUP}`, async () => ({ kind: 'APIGroup', apiVersion: 'v1', ...group }));
  app.get('/version', async () => ({
    major: '1',
    minor: '',
    gitVersion: `heapster-${deps.version ?? 'dev'}`,
    platform: `${process.platform}/${process.arch}`,
  }));
}

function nodeObject(n: NodeInfo): object {
  return {
    metadata: {
      name: n.name,
      uid: n.uid,
      labels: { ...n.labels },
      creationTimestamp: formatRfc3339(n.creationMs),
    },
    spec: n.unschedulable ? { unschedulable: true } : {},
    status: {
      capacity: { ...n.capacity },
      allocatable: { ...n.allocatable },
      addresses: n.addresses.map((a) => ({ ...a })),
      conditions: [{ type: 'Ready', status: n.ready ? 'True' : 'False' }],
    },
  };
}

/** A Node synthesized from a node metric set's capacity/allocatable (no API server). */
function syntheticNode(name: string, set: MetricSet | undefined, nowMs: number): object {
  const v = set?.values;
  const res = (kind: 'capacity' | 'allocatable'): Record<string, string> => {
    const out: Record<string, string> = {};
    const cpu = v?.get(`cpu/node_${kind}`) ?? v?.get('cpu/node_capacity');
    const mem = v?.get(`memory/node_${kind}`) ?? v?.get('memory/node_capacity');
    if (cpu !== undefined) out.cpu = cpuQuantity(cpu);
    if (mem !== undefined) out.memory = memoryQuantity(mem);
    return out;
  };
  return {
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name },
      creationTimestamp: formatRfc3339(nowMs),
    },
    spec: {},
    status: {
      capacity: res('capacity'),
      allocatable: res('allocatable'),
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

function podObject(p: PodInfo): object {
  return {
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      labels: { ...p.labels },
      creationTimestamp: formatRfc3339(p.creationMs),
    },
    spec: {
      nodeName: p.nodeName,
      containers: p.containers.map((c) => ({ name: c.name, image: c.image })),
    },
    status: { phase: p.phase },
  };
}

function registerCoreRoutes(
  app: FastifyInstance,
  deps: MetricsApiDeps,
  latest: () => UsageIndex | undefined,
): void {
  const cluster = deps.cluster;
  const nodeList = (): { name: string; obj: object; labels: Record<string, string> }[] => {
    if (cluster !== undefined) {
      return [...cluster.nodes()].map((n) => ({
        name: n.name,
        obj: nodeObject(n),
        labels: { ...n.labels },
      }));
    }
    const b = deps.store.latest();
    const idx = latest();
    const names = new Set<string>(idx?.nodes.keys() ?? []);
    const sets = new Map<string, MetricSet>();
    if (b !== undefined) {
      for (const [key, set] of b.sets) {
        if (set.labels[LABEL_TYPE] !== 'node') continue;
        const name = set.labels[LABEL_NODENAME] || parseNodeName(key);
        if (name) {
          names.add(name);
          sets.set(name, set);
        }
      }
    }
    return [...names].map((name) => ({
      name,
      obj: syntheticNode(name, sets.get(name), deps.now()),
      labels: { 'kubernetes.io/hostname': name },
    }));
  };

  app.get('/api/v1/nodes', async (req, reply) => {
    let s: Selectors;
    try {
      s = selectors(req, ['metadata.name']);
    } catch (err) {
      if (err instanceof SelectorError) return sendStatus(reply, 400, 'BadRequest', err.message);
      throw err;
    }
    const items = nodeList()
      .filter((n) => s.label(n.labels) && s.field({ 'metadata.name': n.name }))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((n) => n.obj);
    return { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: '' }, items };
  });
  app.get<{ Params: { name: string } }>('/api/v1/nodes/:name', async (req, reply) => {
    const n = nodeList().find((x) => x.name === req.params.name);
    if (n === undefined)
      return sendStatus(reply, 404, 'NotFound', `nodes "${req.params.name}" not found`);
    return { kind: 'Node', apiVersion: 'v1', ...n.obj };
  });

  const podList = (req: FastifyRequest, reply: FastifyReply, namespace: string | undefined) => {
    let s: Selectors;
    try {
      s = selectors(req, ['metadata.name', 'metadata.namespace', 'spec.nodeName']);
    } catch (err) {
      if (err instanceof SelectorError) return sendStatus(reply, 400, 'BadRequest', err.message);
      throw err;
    }
    const items: object[] = [];
    if (cluster !== undefined) {
      for (const p of cluster.pods()) {
        if (namespace !== undefined && p.namespace !== namespace) continue;
        const fields = {
          'metadata.name': p.name,
          'metadata.namespace': p.namespace,
          'spec.nodeName': p.nodeName,
        };
        if (s.field(fields) && s.label(p.labels)) items.push(podObject(p));
      }
    } else {
      const idx = latest();
      for (const [ns, byName] of idx?.pods ?? []) {
        if (namespace !== undefined && ns !== namespace) continue;
        for (const p of byName.values()) {
          if (!s.field({ 'metadata.name': p.name, 'metadata.namespace': ns, 'spec.nodeName': '' }))
            continue;
          if (!s.label(p.labels)) continue;
          items.push({
            metadata: { name: p.name, namespace: ns, labels: { ...p.labels } },
            spec: { containers: p.containers.map((c) => ({ name: c.name })) },
            status: { phase: 'Running' },
          });
        }
      }
    }
    return { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '' }, items };
  };
  app.get('/api/v1/pods', async (req, reply) => podList(req, reply, undefined));
  app.get<{ Params: { ns: string } }>('/api/v1/namespaces/:ns/pods', async (req, reply) =>
    podList(req, reply, req.params.ns),
  );
}
