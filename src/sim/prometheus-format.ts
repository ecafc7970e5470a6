import type { SimContainer, SimNode, SimPod } from './cluster-model.js';
import {
  containerCounters,
  nodeCpuCoreNanos,
  nodeNetworkBytes,
  nodeWorkingSetBytes,
  podCounters,
  podNetworkBytes,
  podUsageBytes,
  podWorkingSetBytes,
  podsCounters,
  systemCpuCoreNanos,
} from './cluster-model.js';
import { podEphemeralBytes } from './summary-format.js';

/** The content type kubelets answer Prometheus text with. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Formats a sample value like Go's `strconv.FormatFloat(v, 'g', -1, 64)`, which the
 * Prometheus Go client (and so the kubelet) uses: shortest digits, exponent form when the
 * decimal exponent is < -4 or >= 6 (`1.7391616e+07`), `+Inf`, `-Inf`, `NaN`.
 */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return '0';
  const [mantissa, expText] = v.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const abs = Math.abs(exp);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  return String(v);
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** `{a="x",b="y"}` from pairs already in label-name order ('' for no labels). */
function labelText(pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

/** Collects samples per family and prints families sorted by name, like the Go registry. */
class Exposition {
  private readonly families = new Map<string, { help: string; type: string; rows: string[] }>();

  family(name: string, type: 'counter' | 'gauge', help: string): void {
    if (!this.families.has(name)) this.families.set(name, { help, type, rows: [] });
  }

  /** Adds a sample; `labels` is a prebuilt `{...}` text (see labelText) or ''. */
  sample(name: string, labels: string, value: number, timestampMs?: number): void {
    const f = this.families.get(name);
    if (!f) throw new Error(`family ${name} not declared`);
    f.rows.push(
      `${name}${labels} ${goFloat(value)}${timestampMs === undefined ? '' : ` ${timestampMs}`}`,
    );
  }

  text(): string {
    let out = '';
    for (const name of [...this.families.keys()].sort()) {
      const f = this.families.get(name);
      if (!f || f.rows.length === 0) continue;
      out += `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type}\n${f.rows.join('\n')}\n`;
    }
    return out;
  }
}

/**
 * The kubelet's `/metrics/resource` of `node` at sample time `tMs` (ms, whole seconds):
 * node/pod/container CPU seconds counters and working sets with millisecond timestamps,
 * container start times (no timestamp, as recent kubelets print them), `resource_scrape_error 0`. Labels and help text as the kubelet's.
 */
export function buildResourceMetrics(node: SimNode, tMs: number): string {
  const x = new Exposition();
  x.family(
    'container_cpu_usage_seconds_total',
    'counter',
    '[STABLE] Cumulative cpu time consumed by the container in core-seconds',
  );
  x.family(
    'container_memory_working_set_bytes',
    'gauge',
    '[STABLE] Current working set of the container in bytes',
  );
  x.family(
    'container_start_time_seconds',
    'gauge',
    '[STABLE] Start time of the container since unix epoch in seconds',
  );
  x.family(
    'node_cpu_usage_seconds_total',
    'counter',
    '[STABLE] Cumulative cpu time consumed by the node in core-seconds',
  );
  x.family(
    'node_memory_working_set_bytes',
    'gauge',
    '[STABLE] Current working set of the node in bytes',
  );
  x.family(
    'pod_cpu_usage_seconds_total',
    'counter',
    '[STABLE] Cumulative cpu time consumed by the pod in core-seconds',
  );
  x.family(
    'pod_memory_working_set_bytes',
    'gauge',
    '[STABLE] Current working set of the pod in bytes',
  );
  x.family(
    'resource_scrape_error',
    'gauge',
    '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise',
  );
  for (const p of node.pods) {
    for (const c of p.containers) {
      const l = labelText([
        ['container', c.name],
        ['namespace', p.namespace],
        ['pod', p.name],
      ]);
      x.sample(
        'container_cpu_usage_seconds_total',
        l,
        containerCounters(c, tMs).cpuCoreNanos / 1e9,
        tMs,
      );
      x.sample('container_memory_working_set_bytes', l, c.workingSetBytes, tMs);
      x.sample('container_start_time_seconds', l, c.startMs / 1000);
    }
    const pl = labelText([
      ['namespace', p.namespace],
      ['pod', p.name],
    ]);
    x.sample('pod_cpu_usage_seconds_total', pl, podCounters(p, tMs).cpuCoreNanos / 1e9, tMs);
    x.sample('pod_memory_working_set_bytes', pl, podWorkingSetBytes(p), tMs);
  }
  x.sample('node_cpu_usage_seconds_total', '', nodeCpuCoreNanos(node, tMs) / 1e9, tMs);
  x.sample('node_memory_working_set_bytes', '', nodeWorkingSetBytes(node), tMs);
  x.sample('resource_scrape_error', '', 0);
  return x.text();
}

/** The cgroup path of a pod, cgroupfs driver: `/kubepods/burstable/pod<uid>` or `/kubepods/pod<uid>`. */
export function podCgroup(p: SimPod): string {
  return p.qos === 'guaranteed' ? `/kubepods/pod${p.uid}` : `/kubepods/burstable/pod${p.uid}`;
}

const DEVICE = '/dev/vda1';
const DISK = '/dev/vda';

type Ids = {
  container: string;
  id: string;
  image: string;
  name: string;
  namespace: string;
  pod: string;
};

/** Extra labels of a cAdvisor row, placed where label-name order puts them. */
type Extra =
  | { cpu: string }
  | { device: string }
  | { failure_type: string; scope: string }
  | { interface: string }
  | Record<string, never>;

/** Label texts of one cgroup, escaped once, for every row shape cAdvisor prints. */
interface CgroupLabels {
  pre: string;
  mid: string;
  post: string;
}

function cgroupLabels(ids: Ids): CgroupLabels {
  return {
    pre: `container="${escapeLabel(ids.container)}"`,
    mid: `id="${escapeLabel(ids.id)}",image="${escapeLabel(ids.image)}"`,
    post: `name="${escapeLabel(ids.name)}",namespace="${escapeLabel(ids.namespace)}",pod="${escapeLabel(ids.pod)}"`,
  };
}

/** `{container,[cpu|device|failure_type],id,image,[interface],name,namespace,pod,[scope]}` */
function cg(l: CgroupLabels, extra: Extra = {}): string {
  if ('cpu' in extra) return `{${l.pre},cpu="${extra.cpu}",${l.mid},${l.post}}`;
  if ('device' in extra) return `{${l.pre},device="${extra.device}",${l.mid},${l.post}}`;
  if ('failure_type' in extra)
    return `{${l.pre},failure_type="${extra.failure_type}",${l.mid},${l.post},scope="${extra.scope}"}`;
  if ('interface' in extra) return `{${l.pre},${l.mid},interface="${extra.interface}",${l.post}}`;
  return `{${l.pre},${l.mid},${l.post}}`;
}

/**
 * The kubelet's `/metrics/cadvisor` of `node` at sample time `tMs`: cAdvisor's container_*
 * families for the root cgroup `/`, the system services, `/kubepods`, every pod cgroup
 * (which carries the pod's network, per interface) and every container (labels
 * container, id, image, name, namespace, pod), plus machine_cpu_cores and
 * machine_memory_bytes. Pause (sandbox) containers are not listed.
 */
export function buildCadvisorMetrics(node: SimNode, tMs: number): string {
  const x = new Exposition();
  x.family(
    'container_cpu_usage_seconds_total',
    'counter',
    'Cumulative cpu time consumed in seconds.',
  );
  x.family('container_fs_reads_bytes_total', 'counter', 'Cumulative count of bytes read');
  x.family('container_fs_writes_bytes_total', 'counter', 'Cumulative count of bytes written');
  x.family(
    'container_fs_usage_bytes',
    'gauge',
    'Number of bytes that are consumed by the container on this filesystem.',
  );
  x.family(
    'container_fs_limit_bytes',
    'gauge',
    'Number of bytes that can be consumed by the container on this filesystem.',
  );
  x.family('container_memory_cache', 'gauge', 'Number of bytes of page cache memory.');
  x.family('container_memory_rss', 'gauge', 'Size of RSS in bytes.');
  x.family(
    'container_memory_usage_bytes',
    'gauge',
    'Current memory usage in bytes, including all memory regardless of when it was accessed',
  );
  x.family('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.');
  x.family(
    'container_memory_failures_total',
    'counter',
    'Cumulative count of memory allocation failures.',
  );
  x.family(
    'container_network_receive_bytes_total',
    'counter',
    'Cumulative count of bytes received',
  );
  x.family(
    'container_network_transmit_bytes_total',
    'counter',
    'Cumulative count of bytes transmitted',
  );
  x.family(
    'container_network_receive_errors_total',
    'counter',
    'Cumulative count of errors encountered while receiving',
  );
  x.family(
    'container_network_transmit_errors_total',
    'counter',
    'Cumulative count of errors encountered while transmitting',
  );
  x.family('container_spec_memory_limit_bytes', 'gauge', 'Memory limit for the container.');
  x.family(
    'container_start_time_seconds',
    'gauge',
    'Start time of the container since unix epoch in seconds.',
  );
  x.family('machine_cpu_cores', 'gauge', 'Number of logical CPU cores.');
  x.family('machine_memory_bytes', 'gauge', 'Amount of memory installed on the machine.');

  const memory = (
    ids: CgroupLabels,
    usage: number,
    ws: number,
    rss: number,
    cache: number,
    faults?: [number, number],
  ) => {
    x.sample('container_memory_usage_bytes', cg(ids), usage, tMs);
    x.sample('container_memory_working_set_bytes', cg(ids), ws, tMs);
    x.sample('container_memory_rss', cg(ids), rss, tMs);
    x.sample('container_memory_cache', cg(ids), cache, tMs);
    if (faults) {
      x.sample(
        'container_memory_failures_total',
        cg(ids, { failure_type: 'pgfault', scope: 'container' }),
        faults[0],
        tMs,
      );
      x.sample(
        'container_memory_failures_total',
        cg(ids, { failure_type: 'pgmajfault', scope: 'container' }),
        faults[1],
        tMs,
      );
    }
  };
  const network = (ids: CgroupLabels, rx: number, tx: number) => {
    const l = cg(ids, { interface: 'eth0' });
    x.sample('container_network_receive_bytes_total', l, rx, tMs);
    x.sample('container_network_transmit_bytes_total', l, tx, tMs);
    x.sample('container_network_receive_errors_total', l, 0, tMs);
    x.sample('container_network_transmit_errors_total', l, 0, tMs);
  };
  const diskio = (ids: CgroupLabels, read: number, write: number) => {
    x.sample('container_fs_reads_bytes_total', cg(ids, { device: DISK }), read, tMs);
    x.sample('container_fs_writes_bytes_total', cg(ids, { device: DISK }), write, tMs);
  };
  const none = { container: '', image: '', name: '', namespace: '', pod: '' };

  // Root cgroup: the whole node.
  const root = cgroupLabels({ ...none, id: '/' });
  const pods = podsCounters(node, tMs);
  const nodeWs = nodeWorkingSetBytes(node);
  let podsEph = 0;
  let podsUsage = 0;
  let podsWs = 0;
  let podsRss = 0;
  let podsCache = 0;
  for (const p of node.pods) {
    podsEph += podEphemeralBytes(p);
    podsUsage += podUsageBytes(p);
    podsWs += podWorkingSetBytes(p);
    for (const c of p.containers) {
      podsRss += c.rssBytes;
      podsCache += c.cacheBytes;
    }
  }
  x.sample(
    'container_cpu_usage_seconds_total',
    cg(root, { cpu: 'total' }),
    nodeCpuCoreNanos(node, tMs) / 1e9,
    tMs,
  );
  memory(root, nodeWs + 1024 ** 3, nodeWs, Math.floor(nodeWs * 0.7), 1024 ** 3 + podsCache);
  const net = nodeNetworkBytes(node, tMs);
  network(root, net.rx, net.tx);
  x.sample(
    'container_fs_usage_bytes',
    cg(root, { device: DEVICE }),
    node.fsBaseUsedBytes + podsEph,
    tMs,
  );
  x.sample('container_fs_limit_bytes', cg(root, { device: DEVICE }), node.fsCapacityBytes, tMs);
  diskio(root, pods.fsReadBytes, pods.fsWriteBytes);
  x.sample('container_start_time_seconds', cg(root), node.bootMs / 1000);

  // System services.
  for (const [unit, mc, ws] of [
    ['kubelet.service', node.kubeletCpuMillicores, node.kubeletWorkingSetBytes],
    ['containerd.service', node.runtimeCpuMillicores, node.runtimeWorkingSetBytes],
  ] as const) {
    const ids = cgroupLabels({ ...none, id: `/system.slice/${unit}` });
    x.sample(
      'container_cpu_usage_seconds_total',
      cg(ids, { cpu: 'total' }),
      systemCpuCoreNanos(node, mc, tMs) / 1e9,
      tMs,
    );
    memory(ids, ws + 16 * 1024 * 1024, ws, ws - 4 * 1024 * 1024, 16 * 1024 * 1024);
    x.sample('container_start_time_seconds', cg(ids), node.bootMs / 1000);
  }

  // All pods.
  const kubepods = cgroupLabels({ ...none, id: '/kubepods' });
  x.sample(
    'container_cpu_usage_seconds_total',
    cg(kubepods, { cpu: 'total' }),
    pods.cpuCoreNanos / 1e9,
    tMs,
  );
  memory(kubepods, podsUsage, podsWs, podsRss, podsCache, [pods.pageFaults, pods.majorPageFaults]);
  x.sample('container_start_time_seconds', cg(kubepods), node.bootMs / 1000);

  for (const p of node.pods) {
    const podIds = cgroupLabels({ ...none, id: podCgroup(p), namespace: p.namespace, pod: p.name });
    const k = podCounters(p, tMs);
    x.sample(
      'container_cpu_usage_seconds_total',
      cg(podIds, { cpu: 'total' }),
      k.cpuCoreNanos / 1e9,
      tMs,
    );
    memory(
      podIds,
      podUsageBytes(p),
      podWorkingSetBytes(p),
      p.containers.reduce((s, c) => s + c.rssBytes, 0),
      p.containers.reduce((s, c) => s + c.cacheBytes, 0),
      [k.pageFaults, k.majorPageFaults],
    );
    const pn = podNetworkBytes(p, tMs);
    network(podIds, pn.rx, pn.tx);
    diskio(podIds, k.fsReadBytes, k.fsWriteBytes);
    x.sample('container_start_time_seconds', cg(podIds), p.startMs / 1000);
    for (const c of p.containers) containerRows(x, p, c, tMs, memory, diskio);
  }

  const machine = labelText([
    ['boot_id', node.bootId],
    ['machine_id', node.machineId],
    ['system_uuid', node.systemUuid],
  ]);
  x.sample('machine_cpu_cores', machine, node.cpuCores);
  x.sample('machine_memory_bytes', machine, node.memoryBytes);
  return x.text();
}

function containerRows(
  x: Exposition,
  p: SimPod,
  c: SimContainer,
  tMs: number,
  memory: (
    ids: CgroupLabels,
    usage: number,
    ws: number,
    rss: number,
    cache: number,
    faults?: [number, number],
  ) => void,
  diskio: (ids: CgroupLabels, read: number, write: number) => void,
): void {
  const ids = cgroupLabels({
    container: c.name,
    id: `${podCgroup(p)}/${c.id}`,
    image: c.image,
    name: c.id,
    namespace: p.namespace,
    pod: p.name,
  });
  const k = containerCounters(c, tMs);
  x.sample(
    'container_cpu_usage_seconds_total',
    cg(ids, { cpu: 'total' }),
    k.cpuCoreNanos / 1e9,
    tMs,
  );
  memory(ids, c.usageBytes, c.workingSetBytes, c.rssBytes, c.cacheBytes, [
    k.pageFaults,
    k.majorPageFaults,
  ]);
  x.sample('container_fs_usage_bytes', cg(ids, { device: DEVICE }), c.rootfsUsedBytes, tMs);
  diskio(ids, k.fsReadBytes, k.fsWriteBytes);
  x.sample('container_spec_memory_limit_bytes', cg(ids), c.limitMemoryBytes);
  x.sample('container_start_time_seconds', cg(ids), c.startMs / 1000);
}
