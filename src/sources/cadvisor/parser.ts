// cAdvisor v1 `ContainerInfo`s (`/api/v1.3/subcontainers/`, kubelet `/stats/container/`)
// → metric sets, as the original `kubernetes` and `cadvisor` sources decoded them (§8.2).
import type { Batch, Labels, MetricSet } from '../../core/batch.js';
import { newMetricSet } from '../../core/batch.js';
import { nodeKey, podContainerKey, podKey, sysContainerKey } from '../../core/keys.js';
import {
  LABEL_CONTAINER_BASE_IMAGE,
  LABEL_CONTAINER_NAME,
  LABEL_NAMESPACE_NAME,
  LABEL_POD_ID,
  LABEL_POD_NAME,
  LABEL_RESOURCE_ID,
} from '../../core/labels.js';
import type { NodeIdentity } from '../kubernetes/node-identity.js';
import { nodeLabels } from '../kubernetes/node-identity.js';
import type { ContainerInfo, ContainerStats, PerDiskStats } from './types.js';

/** An answer that is not cAdvisor's v1 JSON (names what is wrong). */
export class CadvisorFormatError extends Error {}

const K8S_CONTAINER = 'io.kubernetes.container.name';
const K8S_NAMESPACE = 'io.kubernetes.pod.namespace';
const K8S_POD = 'io.kubernetes.pod.name';
const K8S_POD_UID = 'io.kubernetes.pod.uid';
/** The Kubernetes pause container's name: its network is the pod's. */
const INFRA_CONTAINER = 'POD';
/** Kubernetes 1.0 Docker names: `k8s_<container>.<hash>_<pod>_<namespace>_<uid>_<random>`. */
const K8S_DOCKER_NAME = /^\/?k8s_([^._]+)(?:\.[^_]*)?_([^_]+)_([^_]+)_([^_]+)(?:_[^_]*)?$/;

/** Pod identity of a container, from its labels (or its k8s 1.0 Docker name). */
interface PodRef {
  readonly container: string;
  readonly namespace: string;
  readonly pod: string;
  readonly uid?: string;
}

function podRefOf(c: ContainerInfo): PodRef | undefined {
  const l = c.spec.labels;
  if (l !== undefined && l[K8S_CONTAINER] && l[K8S_NAMESPACE] && l[K8S_POD]) {
    return {
      container: l[K8S_CONTAINER],
      namespace: l[K8S_NAMESPACE],
      pod: l[K8S_POD],
      uid: l[K8S_POD_UID] || undefined,
    };
  }
  for (const alias of c.aliases ?? []) {
    const m = K8S_DOCKER_NAME.exec(alias);
    if (m) return { container: m[1], pod: m[2], namespace: m[3], uid: m[4] };
  }
  return undefined;
}

/** ms since the epoch of an RFC 3339 time; undefined for Go's zero time or garbage. */
function timeMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function put(set: MetricSet, name: string, value: unknown): void {
  if (typeof value === 'number' && Number.isFinite(value)) set.values.set(name, value);
}

/**
 * Adds the metric sets of cAdvisor v1 `ContainerInfo`s (an array as `/api/v1.3/subcontainers/`
 * answers, or a name → info object as kubelet's `/stats/container/` does) to `into`, using
 * only the last stats sample of each container, like the original:
 * - `/` → the node `node:<nodeName>`;
 * - `io.kubernetes.*` labels (or a Kubernetes 1.0 `k8s_…` Docker name) → `pod_container`, and
 *   the pause container `POD` → the `pod` set with the pod's network counters only;
 * - anything else → `sys_container` named by its first alias (Docker name) or its cgroup
 *   name without the leading `/`, with `container_base_image` from `spec.image`.
 * Values: uptime, cpu/usage, cpu/load, memory/*, network/* (summed over `interfaces`),
 * filesystem/* per device and disk/io_read|write_bytes per device; a section is read only
 * when the spec says the container has it. The scrape time is the sample's timestamp (else
 * `nowMs`), the start time `spec.creation_time`. Containers without stats are skipped.
 * Throws CadvisorFormatError when `infos` is not an array/object of containers.
 */
export function containerInfosToSets(
  infos: unknown,
  id: NodeIdentity,
  nowMs: number,
  into: Batch,
): void {
  let list: unknown[];
  if (Array.isArray(infos)) list = infos;
  else if (infos !== null && typeof infos === 'object') list = Object.values(infos);
  else throw new CadvisorFormatError('expected an array or object of ContainerInfo');
  const common = nodeLabels(id);
  for (const raw of list) {
    if (raw === null || typeof raw !== 'object' || typeof (raw as ContainerInfo).name !== 'string')
      throw new CadvisorFormatError('a ContainerInfo without a "name"');
    const c = raw as ContainerInfo;
    if (c.spec === null || typeof c.spec !== 'object')
      throw new CadvisorFormatError(`container ${c.name}: no "spec"`);
    const stats = c.stats;
    if (!Array.isArray(stats) || stats.length === 0) continue;
    const stat = stats[stats.length - 1];
    const scrapeTimeMs = timeMs(stat.timestamp) ?? nowMs;
    const startMs = timeMs(c.spec.creation_time) ?? 0;
    const times = { scrapeTimeMs, collectionStartMs: startMs };

    if (c.name === '/') {
      const set = newMetricSet('node', common, times);
      fill(set, c, stat);
      into.sets.set(nodeKey(id.nodeName), set);
      continue;
    }
    const ref = podRefOf(c);
    if (ref !== undefined) {
      const podLabels: Labels = {
        ...common,
        [LABEL_POD_NAME]: ref.pod,
        [LABEL_NAMESPACE_NAME]: ref.namespace,
      };
      if (ref.uid !== undefined) podLabels[LABEL_POD_ID] = ref.uid;
      if (ref.container === INFRA_CONTAINER) {
        // The pause container's cpu and memory are not the pod's; its network is.
        const set = newMetricSet('pod', podLabels, times);
        if (c.spec.has_network) putNetwork(set, stat);
        into.sets.set(podKey(ref.namespace, ref.pod), set);
        continue;
      }
      const labels: Labels = { ...podLabels, [LABEL_CONTAINER_NAME]: ref.container };
      if (c.spec.image) labels[LABEL_CONTAINER_BASE_IMAGE] = c.spec.image;
      const set = newMetricSet('pod_container', labels, times);
      fill(set, c, stat);
      into.sets.set(podContainerKey(ref.namespace, ref.pod, ref.container), set);
      continue;
    }
    const name = (c.aliases?.[0] ?? c.name).replace(/^\/+/, '');
    if (name === '') continue;
    const labels: Labels = { ...common, [LABEL_CONTAINER_NAME]: name };
    if (c.spec.image) labels[LABEL_CONTAINER_BASE_IMAGE] = c.spec.image;
    const set = newMetricSet('sys_container', labels, times);
    fill(set, c, stat);
    into.sets.set(sysContainerKey(id.nodeName, name), set);
  }
}

function fill(set: MetricSet, c: ContainerInfo, s: ContainerStats): void {
  if (set.collectionStartMs > 0 && set.scrapeTimeMs >= set.collectionStartMs) {
    set.values.set('uptime', set.scrapeTimeMs - set.collectionStartMs);
  }
  const spec = c.spec;
  if (spec.has_cpu && s.cpu) {
    put(set, 'cpu/usage', s.cpu.usage?.total);
    put(set, 'cpu/load', s.cpu.load_average);
  }
  if (spec.has_memory && s.memory) {
    const m = s.memory;
    put(set, 'memory/usage', m.usage);
    put(set, 'memory/working_set', m.working_set);
    put(set, 'memory/rss', m.rss);
    put(set, 'memory/cache', m.cache);
    put(set, 'memory/page_faults', m.container_data?.pgfault);
    put(set, 'memory/major_page_faults', m.container_data?.pgmajfault);
  }
  if (spec.has_network) putNetwork(set, s);
  if (spec.has_filesystem && Array.isArray(s.filesystem)) {
    for (const fs of s.filesystem) {
      const labels = { [LABEL_RESOURCE_ID]: fs.device };
      const add = (name: string, v: unknown): void => {
        if (typeof v === 'number' && Number.isFinite(v))
          set.labeled.push({ name, labels, value: v });
      };
      add('filesystem/usage', fs.usage);
      add('filesystem/limit', fs.capacity);
      add('filesystem/available', fs.available);
      if (fs.has_inodes === true) {
        add('filesystem/inodes', fs.inodes);
        add('filesystem/inodes_free', fs.inodes_free);
      }
    }
  }
  if (spec.has_diskio && s.diskio && Array.isArray(s.diskio.io_service_bytes)) {
    for (const d of s.diskio.io_service_bytes) {
      const labels = { [LABEL_RESOURCE_ID]: deviceName(d) };
      const read = d.stats?.Read;
      const write = d.stats?.Write;
      if (typeof read === 'number')
        set.labeled.push({ name: 'disk/io_read_bytes', labels, value: read });
      if (typeof write === 'number')
        set.labeled.push({ name: 'disk/io_write_bytes', labels, value: write });
    }
  }
}

function deviceName(d: PerDiskStats): string {
  return d.device ? d.device : `${d.major}:${d.minor}`;
}

/** Network counters summed over `interfaces` (the inline default interface when none). */
function putNetwork(set: MetricSet, s: ContainerStats): void {
  const n = s.network;
  if (!n) return;
  const ifaces = Array.isArray(n.interfaces) && n.interfaces.length > 0 ? n.interfaces : [n];
  let rx = 0;
  let rxErr = 0;
  let tx = 0;
  let txErr = 0;
  for (const i of ifaces) {
    rx += i.rx_bytes ?? 0;
    rxErr += i.rx_errors ?? 0;
    tx += i.tx_bytes ?? 0;
    txErr += i.tx_errors ?? 0;
  }
  put(set, 'network/rx', rx);
  put(set, 'network/rx_errors', rxErr);
  put(set, 'network/tx', tx);
  put(set, 'network/tx_errors', txErr);
}
