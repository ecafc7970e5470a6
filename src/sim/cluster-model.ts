import { nodeAddress } from './node-address.js';
import { Prng } from './prng.js';

/** Sizes and seed of a simulated cluster. */
export interface ClusterModelOptions {
  nodes: number;
  podsPerNode: number;
  containersPerPod: number;
  /** Same seed, same cluster and truth. */
  seed: number;
  /** Wall clock in ms since the epoch (injectable so tests control time). */
  nowMs: () => number;
}

/** Cumulative counters a container (or a retired container) contributes. */
export interface Counters {
  cpuCoreNanos: number;
  pageFaults: number;
  majorPageFaults: number;
  fsReadBytes: number;
  fsWriteBytes: number;
}

/** One simulated container: constant true rates and sizes, counters derived from time. */
export interface SimContainer {
  readonly name: string;
  readonly image: string;
  /** 64 hex digits, renewed at each restart. */
  id: string;
  readonly cpuMillicores: number;
  readonly workingSetBytes: number;
  readonly usageBytes: number;
  readonly rssBytes: number;
  readonly cacheBytes: number;
  readonly pageFaultsPerSec: number;
  readonly majorPageFaultsPerSec: number;
  readonly fsReadBytesPerSec: number;
  readonly fsWriteBytesPerSec: number;
  readonly rootfsUsedBytes: number;
  readonly logsUsedBytes: number;
  readonly requestCpuMillicores: number;
  readonly requestMemoryBytes: number;
  readonly limitCpuMillicores: number;
  readonly limitMemoryBytes: number;
  /** Whole seconds, in ms since the epoch; reset by a restart. */
  startMs: number;
  restartCount: number;
}

/** One simulated pod; its network belongs to the pod (sandbox), not to a container. */
export interface SimPod {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly app: string;
  readonly qos: 'burstable' | 'guaranteed';
  readonly nodeIndex: number;
  readonly ip: string;
  /** Whole seconds. */
  readonly startMs: number;
  readonly containers: SimContainer[];
  readonly rxBytesPerSec: number;
  readonly txBytesPerSec: number;
  readonly volumeName: string;
  readonly volumeUsedBytes: number;
  /** Counters of container runs that ended (restarts): the pod cgroup keeps them. */
  readonly retired: Counters;
  resourceVersion: number;
}

/** One simulated node: a kubelet on its own loopback address. */
export interface SimNode {
  readonly index: number;
  readonly name: string;
  readonly address: string;
  readonly uid: string;
  readonly machineId: string;
  readonly bootId: string;
  readonly systemUuid: string;
  /** Whole seconds. */
  readonly bootMs: number;
  readonly cpuCores: number;
  readonly memoryBytes: number;
  readonly fsCapacityBytes: number;
  readonly fsBaseUsedBytes: number;
  readonly imageFsUsedBytes: number;
  readonly maxPods: number;
  readonly kubeletCpuMillicores: number;
  readonly runtimeCpuMillicores: number;
  /** Everything else outside pods (system daemons, kernel threads). */
  readonly otherCpuMillicores: number;
  readonly kubeletWorkingSetBytes: number;
  readonly runtimeWorkingSetBytes: number;
  readonly otherWorkingSetBytes: number;
  /** Host traffic besides the pods'. */
  readonly rxBytesPerSec: number;
  readonly txBytesPerSec: number;
  readonly zone: string;
  pods: SimPod[];
  /** Counters of pods that were deleted: the kubepods cgroup keeps them. */
  readonly retired: Counters;
  retiredRxBytes: number;
  retiredTxBytes: number;
  ready: boolean;
  resourceVersion: number;
}

/** A Kubernetes Event the simulator emits (pod scheduled, started, killed). */
export interface SimEvent {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly reason: string;
  readonly message: string;
  readonly type: 'Normal' | 'Warning';
  readonly podName: string;
  readonly podUid: string;
  readonly nodeName: string;
  readonly timeMs: number;
  resourceVersion: number;
}

/** A change the API server turns into watch events. */
export type ModelChange =
  | { kind: 'node'; type: 'ADDED' | 'MODIFIED' | 'DELETED'; node: SimNode }
  | { kind: 'pod'; type: 'ADDED' | 'MODIFIED' | 'DELETED'; pod: SimPod }
  | { kind: 'event'; type: 'ADDED'; event: SimEvent };

export const NAMESPACES = ['default', 'kube-system', 'monitoring', 'shop', 'batch'] as const;
const APPS = ['web', 'api', 'cart', 'search', 'worker', 'cache', 'auth', 'queue'];
const IMAGES = [
  'nginx:1.25',
  'redis:7.2',
  'registry.k8s.io/pause:3.9',
  'busybox:1.36',
  'postgres:16',
  'envoyproxy/envoy:v1.29',
  'python:3.12-slim',
];
const CONTAINER_NAMES = ['main', 'sidecar', 'proxy', 'log-shipper', 'init-helper', 'agent'];
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const ZONES = ['zone-a', 'zone-b', 'zone-c'];

/** Whole seconds at or before `ms`. */
export function floorSecondMs(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function zeroCounters(): Counters {
  return { cpuCoreNanos: 0, pageFaults: 0, majorPageFaults: 0, fsReadBytes: 0, fsWriteBytes: 0 };
}

/**
 * The counters of container `c` at sample time `tMs` (whole seconds): true rate × time
 * since its start, so any two samples give exactly the true rate. Zero before the start.
 */
export function containerCounters(c: SimContainer, tMs: number): Counters {
  const ms = Math.max(0, tMs - c.startMs);
  const s = ms / 1000;
  return {
    cpuCoreNanos: c.cpuMillicores * ms * 1000,
    pageFaults: c.pageFaultsPerSec * s,
    majorPageFaults: c.majorPageFaultsPerSec * s,
    fsReadBytes: c.fsReadBytesPerSec * s,
    fsWriteBytes: c.fsWriteBytesPerSec * s,
  };
}

function addCounters(into: Counters, c: Counters): Counters {
  into.cpuCoreNanos += c.cpuCoreNanos;
  into.pageFaults += c.pageFaults;
  into.majorPageFaults += c.majorPageFaults;
  into.fsReadBytes += c.fsReadBytes;
  into.fsWriteBytes += c.fsWriteBytes;
  return into;
}

/** The pod cgroup's counters at `tMs`: retired runs plus every current container. */
export function podCounters(p: SimPod, tMs: number): Counters {
  const sum = addCounters(zeroCounters(), p.retired);
  for (const c of p.containers) addCounters(sum, containerCounters(c, tMs));
  return sum;
}

/** The kubepods cgroup's counters at `tMs`: deleted pods plus every current pod. */
export function podsCounters(n: SimNode, tMs: number): Counters {
  const sum = addCounters(zeroCounters(), n.retired);
  for (const p of n.pods) addCounters(sum, podCounters(p, tMs));
  return sum;
}

/** CPU core-nanoseconds of a system part of the node running since boot at `millicores`. */
export function systemCpuCoreNanos(n: SimNode, millicores: number, tMs: number): number {
  return millicores * Math.max(0, tMs - n.bootMs) * 1000;
}

/** Node (root cgroup) CPU core-nanoseconds at `tMs`: pods + kubelet + runtime + other. */
export function nodeCpuCoreNanos(n: SimNode, tMs: number): number {
  return (
    podsCounters(n, tMs).cpuCoreNanos +
    systemCpuCoreNanos(
      n,
      n.kubeletCpuMillicores + n.runtimeCpuMillicores + n.otherCpuMillicores,
      tMs,
    )
  );
}

/** Sum of a pod's containers' true CPU rate. */
export function podCpuMillicores(p: SimPod): number {
  let s = 0;
  for (const c of p.containers) s += c.cpuMillicores;
  return s;
}

/** Sum of a pod's containers' working sets. */
export function podWorkingSetBytes(p: SimPod): number {
  let s = 0;
  for (const c of p.containers) s += c.workingSetBytes;
  return s;
}

/** Sum of a pod's containers' memory usage (working set + inactive cache). */
export function podUsageBytes(p: SimPod): number {
  let s = 0;
  for (const c of p.containers) s += c.usageBytes;
  return s;
}

/** True CPU rate of the node: its pods plus system overhead. */
export function nodeCpuMillicores(n: SimNode): number {
  let s = n.kubeletCpuMillicores + n.runtimeCpuMillicores + n.otherCpuMillicores;
  for (const p of n.pods) s += podCpuMillicores(p);
  return s;
}

/** Working set of the node: its pods plus system overhead. */
export function nodeWorkingSetBytes(n: SimNode): number {
  let s = n.kubeletWorkingSetBytes + n.runtimeWorkingSetBytes + n.otherWorkingSetBytes;
  for (const p of n.pods) s += podWorkingSetBytes(p);
  return s;
}

/** Network bytes of a pod at `tMs` (its sandbox lives as long as the pod). */
export function podNetworkBytes(p: SimPod, tMs: number): { rx: number; tx: number } {
  const s = Math.max(0, tMs - p.startMs) / 1000;
  return { rx: p.rxBytesPerSec * s, tx: p.txBytesPerSec * s };
}

/** Host interface bytes at `tMs`: host traffic + deleted pods' + current pods'. */
export function nodeNetworkBytes(n: SimNode, tMs: number): { rx: number; tx: number } {
  const s = Math.max(0, tMs - n.bootMs) / 1000;
  let rx = n.rxBytesPerSec * s + n.retiredRxBytes;
  let tx = n.txBytesPerSec * s + n.retiredTxBytes;
  for (const p of n.pods) {
    const b = podNetworkBytes(p, tMs);
    rx += b.rx;
    tx += b.tx;
  }
  return { rx, tx };
}

/** Network rates of the node (bytes/s): host + pods. */
export function nodeNetworkRates(n: SimNode): { rx: number; tx: number } {
  let rx = n.rxBytesPerSec;
  let tx = n.txBytesPerSec;
  for (const p of n.pods) {
    rx += p.rxBytesPerSec;
    tx += p.txBytesPerSec;
  }
  return { rx, tx };
}

/**
 * The simulated cluster's state and its deterministic truth. Every rate and size comes
 * from the seed; counters are derived from time (see containerCounters). Mutations (pod
 * churn, container restarts, readiness) happen at whole seconds and are reported to
 * listeners as changes, which the API server turns into watch events.
 */
export class ClusterModel {
  readonly nodes: SimNode[] = [];
  readonly namespaceUids = new Map<string, string>();
  readonly namespaceCreatedMs: number;
  readonly startedMs: number;
  readonly nowMs: () => number;
  private readonly rng: Prng;
  private readonly listeners: ((c: ModelChange) => void)[] = [];
  private readonly containersPerPod: number;
  private podSerial = 0;
  private eventSerial = 0;
  /** Next resource version to hand out (like etcd's revision, shared by all kinds). */
  private rv = 1;

  constructor(opts: ClusterModelOptions) {
    if (!(opts.nodes >= 1)) throw new RangeError('nodes must be at least 1');
    if (!(opts.podsPerNode >= 0)) throw new RangeError('pods per node must be at least 0');
    if (!(opts.containersPerPod >= 1))
      throw new RangeError('containers per pod must be at least 1');
    this.nowMs = opts.nowMs;
    this.rng = new Prng(opts.seed);
    this.containersPerPod = opts.containersPerPod;
    this.startedMs = floorSecondMs(opts.nowMs());
    this.namespaceCreatedMs = this.startedMs - 3600_000;
    for (const ns of NAMESPACES) this.namespaceUids.set(ns, this.rng.uuid());
    for (let i = 0; i < opts.nodes; i++) {
      const node = this.makeNode(i);
      this.nodes.push(node);
      for (let j = 0; j < opts.podsPerNode; j++) node.pods.push(this.makePod(node, true));
    }
  }

  /** The latest resource version handed out. */
  currentResourceVersion(): number {
    return this.rv - 1;
  }

  /** Takes the next resource version. */
  nextResourceVersion(): number {
    return this.rv++;
  }

  /** Registers a change listener (called synchronously, in order). */
  onChange(fn: (c: ModelChange) => void): void {
    this.listeners.push(fn);
  }

  /** The node called `name`, if any. */
  node(name: string): SimNode | undefined {
    const m = /^node-(\d+)$/.exec(name);
    const n = m ? this.nodes[Number(m[1])] : undefined;
    return n && n.name === name ? n : undefined;
  }

  /** Every pod, node by node. */
  *pods(): Iterable<SimPod> {
    for (const n of this.nodes) yield* n.pods;
  }

  /**
   * Replaces one pod (chosen by the seeded generator, or `which`) by a new one on the same
   * node: emits DELETED then ADDED and two events. The node keeps the old pod's counters.
   * Returns the deleted and the added pod, or undefined when there are no pods.
   */
  churnPod(which?: { node: number; pod: number }): { deleted: SimPod; added: SimPod } | undefined {
    const candidates = this.nodes.filter((n) => n.pods.length > 0);
    if (candidates.length === 0) return undefined;
    const node = which ? this.nodes[which.node] : this.rng.pick(candidates);
    const idx = which ? which.pod : this.rng.int(0, node.pods.length - 1);
    const old = node.pods[idx];
    if (!old) return undefined;
    const t = floorSecondMs(this.nowMs());
    addCounters(node.retired, podCounters(old, t));
    const net = podNetworkBytes(old, t);
    node.retiredRxBytes += net.rx;
    node.retiredTxBytes += net.tx;
    old.resourceVersion = this.nextResourceVersion();
    const added = this.makePod(node, false);
    node.pods[idx] = added;
    this.emit({ kind: 'pod', type: 'DELETED', pod: old });
    this.emitEvent(old, 'Killing', 'Stopping container', 'Normal');
    added.resourceVersion = this.nextResourceVersion();
    this.emit({ kind: 'pod', type: 'ADDED', pod: added });
    this.emitEvent(
      added,
      'Scheduled',
      `Successfully assigned ${added.namespace}/${added.name} to ${node.name}`,
      'Normal',
    );
    return { deleted: old, added };
  }

  /**
   * Restarts one container (seeded choice, or `which`): its counters start again from zero
   * at the current whole second, its restartCount grows, it gets a new id; the pod cgroup
   * keeps the old run's counters. Emits MODIFIED for the pod and a BackOff event.
   */
  restartContainer(which?: {
    node: number;
    pod: number;
    container: number;
  }): { pod: SimPod; container: SimContainer } | undefined {
    const candidates = this.nodes.filter((n) => n.pods.length > 0);
    if (candidates.length === 0) return undefined;
    const node = which ? this.nodes[which.node] : this.rng.pick(candidates);
    const pod = which ? node.pods[which.pod] : this.rng.pick(node.pods);
    const c = which ? pod?.containers[which.container] : pod && this.rng.pick(pod.containers);
    if (!pod || !c) return undefined;
    const t = floorSecondMs(this.nowMs());
    addCounters(pod.retired, containerCounters(c, t));
    c.startMs = t;
    c.restartCount++;
    c.id = this.rng.hex(64);
    pod.resourceVersion = this.nextResourceVersion();
    this.emit({ kind: 'pod', type: 'MODIFIED', pod });
    this.emitEvent(pod, 'BackOff', `Back-off restarting failed container ${c.name}`, 'Warning');
    return { pod, container: c };
  }

  /** Sets a node's Ready condition; emits MODIFIED when it changes. */
  setReady(node: SimNode, ready: boolean): void {
    if (node.ready === ready) return;
    node.ready = ready;
    node.resourceVersion = this.nextResourceVersion();
    this.emit({ kind: 'node', type: 'MODIFIED', node });
  }

  private emit(c: ModelChange): void {
    for (const fn of this.listeners) fn(c);
  }

  private emitEvent(
    pod: SimPod,
    reason: string,
    message: string,
    type: 'Normal' | 'Warning',
  ): void {
    const event: SimEvent = {
      // Unique like the API server's `<object>.<hex>` names (BigInt: the sum exceeds 2^53).
      name: `${pod.name}.${(0x17a0000000000000n + BigInt(this.eventSerial++)).toString(16)}`,
      namespace: pod.namespace,
      uid: this.rng.uuid(),
      reason,
      message,
      type,
      podName: pod.name,
      podUid: pod.uid,
      nodeName: this.nodes[pod.nodeIndex].name,
      timeMs: floorSecondMs(this.nowMs()),
      resourceVersion: this.nextResourceVersion(),
    };
    this.emit({ kind: 'event', type: 'ADDED', event });
  }

  private makeNode(index: number): SimNode {
    const r = this.rng;
    const cpuCores = r.pick([8, 16, 32]);
    return {
      index,
      name: `node-${index}`,
      address: nodeAddress(index),
      uid: r.uuid(),
      machineId: r.hex(32),
      bootId: r.uuid(),
      systemUuid: r.uuid().toUpperCase(),
      bootMs: this.startedMs - r.int(600, 3600) * 1000,
      cpuCores,
      memoryBytes: cpuCores * 4 * GIB,
      fsCapacityBytes: 100 * GIB,
      fsBaseUsedBytes: r.int(4, 12) * GIB,
      imageFsUsedBytes: r.int(2, 8) * GIB,
      maxPods: 110,
      kubeletCpuMillicores: r.int(20, 80),
      runtimeCpuMillicores: r.int(10, 40),
      otherCpuMillicores: r.int(20, 100),
      kubeletWorkingSetBytes: r.int(60, 120) * MIB,
      runtimeWorkingSetBytes: r.int(40, 90) * MIB,
      otherWorkingSetBytes: r.int(200, 500) * MIB,
      rxBytesPerSec: r.int(1_000, 20_000),
      txBytesPerSec: r.int(1_000, 20_000),
      zone: ZONES[index % ZONES.length],
      pods: [],
      retired: zeroCounters(),
      retiredRxBytes: 0,
      retiredTxBytes: 0,
      ready: true,
      resourceVersion: this.nextResourceVersion(),
    };
  }

  private makePod(node: SimNode, initial: boolean): SimPod {
    const r = this.rng;
    const app = r.pick(APPS);
    const namespace = r.pick(NAMESPACES);
    const serial = this.podSerial++;
    const startMs = initial
      ? node.bootMs + r.int(30, Math.max(31, (this.startedMs - node.bootMs) / 1000 - 60)) * 1000
      : floorSecondMs(this.nowMs());
    const qos = r.next() < 0.3 ? 'guaranteed' : 'burstable';
    const containers: SimContainer[] = [];
    for (let k = 0; k < this.containersPerPod; k++) {
      const cStartMs = initial ? startMs + r.int(0, 5) * 1000 : startMs;
      containers.push(this.makeContainer(k, cStartMs, qos === 'guaranteed'));
    }
    return {
      name: `${app}-${r.hex(10)}-${serial.toString(36).padStart(5, '0')}`,
      namespace,
      uid: r.uuid(),
      app,
      qos,
      nodeIndex: node.index,
      ip: `10.${(node.index >> 8) & 255}.${node.index & 255}.${(serial % 250) + 2}`,
      startMs,
      containers,
      rxBytesPerSec: r.int(100, 50_000),
      txBytesPerSec: r.int(100, 50_000),
      volumeName: `kube-api-access-${r.hex(5)}`,
      volumeUsedBytes: 12_288,
      retired: zeroCounters(),
      resourceVersion: initial ? this.nextResourceVersion() : 0,
    };
  }

  private makeContainer(k: number, startMs: number, guaranteed: boolean): SimContainer {
    const r = this.rng;
    const cpuMillicores = r.int(1, 400);
    const requestCpuMillicores = r.pick([50, 100, 250, 500]);
    const requestMemoryBytes = r.pick([64, 128, 256, 512]) * MIB;
    const limitMemoryBytes = guaranteed ? requestMemoryBytes : 1024 * MIB;
    // A working set stays under the memory limit (above it the container would be OOM-killed).
    const workingSetBytes = Math.min(
      r.int(8, 512) * MIB + r.int(0, 255) * 4096,
      Math.floor((limitMemoryBytes * 0.9) / 4096) * 4096,
    );
    const cacheBytes = r.int(0, 64) * MIB;
    const name = k < CONTAINER_NAMES.length ? CONTAINER_NAMES[k] : `${CONTAINER_NAMES[k % 6]}-${k}`;
    return {
      name,
      image: r.pick(IMAGES),
      id: r.hex(64),
      cpuMillicores,
      workingSetBytes,
      usageBytes: workingSetBytes + cacheBytes,
      rssBytes: Math.floor((workingSetBytes * 0.8) / 4096) * 4096,
      cacheBytes,
      pageFaultsPerSec: r.int(0, 500),
      majorPageFaultsPerSec: r.int(0, 3),
      fsReadBytesPerSec: r.int(0, 100) * 512,
      fsWriteBytesPerSec: r.int(0, 200) * 512,
      rootfsUsedBytes: r.int(1, 200) * 4096,
      logsUsedBytes: r.int(1, 1000) * 4096,
      requestCpuMillicores,
      requestMemoryBytes,
      limitCpuMillicores: guaranteed ? requestCpuMillicores : requestCpuMillicores * 4,
      limitMemoryBytes,
      startMs,
      restartCount: 0,
    };
  }
}
