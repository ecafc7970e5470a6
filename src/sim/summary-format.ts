import type { SimContainer, SimNode, SimPod } from './cluster-model.js';
import {
  containerCounters,
  nodeCpuCoreNanos,
  nodeCpuMillicores,
  nodeNetworkBytes,
  nodeWorkingSetBytes,
  podCounters,
  podCpuMillicores,
  podNetworkBytes,
  podUsageBytes,
  podWorkingSetBytes,
  podsCounters,
  systemCpuCoreNanos,
} from './cluster-model.js';
import { kubeTime } from './kube-objects.js';

const INODES = 6_553_600;

function fsStats(time: string, capacity: number, used: number, inodesUsed: number) {
  return {
    time,
    availableBytes: capacity - used,
    capacityBytes: capacity,
    usedBytes: used,
    inodesFree: INODES - inodesUsed,
    inodes: INODES,
    inodesUsed,
  };
}

function cpuStats(time: string, millicores: number, coreNanos: number) {
  return { time, usageNanoCores: millicores * 1_000_000, usageCoreNanoSeconds: coreNanos };
}

function interfaceStats(rx: number, tx: number) {
  return { name: 'eth0', rxBytes: rx, rxErrors: 0, txBytes: tx, txErrors: 0 };
}

function containerStats(c: SimContainer, tMs: number, time: string, node: SimNode) {
  const k = containerCounters(c, tMs);
  return {
    name: c.name,
    startTime: kubeTime(c.startMs),
    cpu: cpuStats(time, c.cpuMillicores, k.cpuCoreNanos),
    memory: {
      time,
      availableBytes: c.limitMemoryBytes - c.workingSetBytes,
      usageBytes: c.usageBytes,
      workingSetBytes: c.workingSetBytes,
      rssBytes: c.rssBytes,
      pageFaults: k.pageFaults,
      majorPageFaults: k.majorPageFaults,
    },
    rootfs: fsStats(time, node.fsCapacityBytes, c.rootfsUsedBytes, 24),
    logs: fsStats(time, node.fsCapacityBytes, c.logsUsedBytes, 3),
    swap: { time, swapAvailableBytes: 0, swapUsageBytes: 0 },
  };
}

/** Bytes of a pod's ephemeral storage: its containers' writable layers and logs. */
export function podEphemeralBytes(p: SimPod): number {
  let s = 0;
  for (const c of p.containers) s += c.rootfsUsedBytes + c.logsUsedBytes;
  return s;
}

function podStats(p: SimPod, tMs: number, time: string, node: SimNode) {
  const k = podCounters(p, tMs);
  const net = podNetworkBytes(p, tMs);
  const ws = podWorkingSetBytes(p);
  const eph = podEphemeralBytes(p);
  return {
    podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
    startTime: kubeTime(p.startMs),
    containers: p.containers.map((c) => containerStats(c, tMs, time, node)),
    cpu: cpuStats(time, podCpuMillicores(p), k.cpuCoreNanos),
    memory: {
      time,
      usageBytes: podUsageBytes(p),
      workingSetBytes: ws,
      rssBytes: p.containers.reduce((s, c) => s + c.rssBytes, 0),
      pageFaults: k.pageFaults,
      majorPageFaults: k.majorPageFaults,
    },
    network: {
      time,
      ...interfaceStats(net.rx, net.tx),
      interfaces: [interfaceStats(net.rx, net.tx)],
    },
    volume: [
      {
        ...fsStats(time, 64 * 1024 * 1024, p.volumeUsedBytes, 9),
        name: p.volumeName,
      },
    ],
    'ephemeral-storage': {
      time,
      availableBytes: node.fsCapacityBytes - node.fsBaseUsedBytes - eph,
      capacityBytes: node.fsCapacityBytes,
      usedBytes: eph,
      inodesFree: INODES - 27 * p.containers.length,
      inodes: INODES,
      inodesUsed: 27 * p.containers.length,
    },
    process_stats: { process_count: p.containers.length * 2 },
    swap: { time, swapUsageBytes: 0 },
  };
}

function systemContainer(
  name: string,
  node: SimNode,
  time: string,
  millicores: number,
  coreNanos: number,
  workingSet: number,
  tMs: number,
) {
  const up = Math.max(0, tMs - node.bootMs) / 1000;
  return {
    name,
    startTime: kubeTime(node.bootMs),
    cpu: cpuStats(time, millicores, coreNanos),
    memory: {
      time,
      usageBytes: workingSet + 16 * 1024 * 1024,
      workingSetBytes: workingSet,
      rssBytes: workingSet - 4 * 1024 * 1024,
      pageFaults: Math.round(up) * 10,
      majorPageFaults: 0,
    },
  };
}

/**
 * The kubelet Summary API (`GET /stats/summary`, stats/v1alpha1) of `node` at sample time
 * `tMs` (whole seconds; every `time` field says it): node with system containers
 * kubelet/runtime/pods, node fs and image fs, network with interfaces, and every pod with
 * its containers, volume and ephemeral storage. Counters are exact functions of `tMs`.
 */
export function buildSummary(node: SimNode, tMs: number): Record<string, unknown> {
  const time = kubeTime(tMs);
  const pods = podsCounters(node, tMs);
  let podsWs = 0;
  let podsUsage = 0;
  let podsCpu = 0;
  let podsEph = 0;
  for (const p of node.pods) {
    podsWs += podWorkingSetBytes(p);
    podsUsage += podUsageBytes(p);
    podsCpu += podCpuMillicores(p);
    podsEph += podEphemeralBytes(p);
  }
  const nodeWs = nodeWorkingSetBytes(node);
  const net = nodeNetworkBytes(node, tMs);
  const fsUsed = node.fsBaseUsedBytes + podsEph;
  const up = Math.max(0, tMs - node.bootMs) / 1000;
  return {
    node: {
      nodeName: node.name,
      systemContainers: [
        systemContainer(
          'kubelet',
          node,
          time,
          node.kubeletCpuMillicores,
          systemCpuCoreNanos(node, node.kubeletCpuMillicores, tMs),
          node.kubeletWorkingSetBytes,
          tMs,
        ),
        systemContainer(
          'runtime',
          node,
          time,
          node.runtimeCpuMillicores,
          systemCpuCoreNanos(node, node.runtimeCpuMillicores, tMs),
          node.runtimeWorkingSetBytes,
          tMs,
        ),
        {
          name: 'pods',
          startTime: kubeTime(node.bootMs),
          cpu: cpuStats(time, podsCpu, pods.cpuCoreNanos),
          memory: {
            time,
            availableBytes: node.memoryBytes - podsWs,
            usageBytes: podsUsage,
            workingSetBytes: podsWs,
            rssBytes: node.pods.reduce(
              (s, p) => s + p.containers.reduce((t, c) => t + c.rssBytes, 0),
              0,
            ),
            pageFaults: pods.pageFaults,
            majorPageFaults: pods.majorPageFaults,
          },
        },
      ],
      startTime: kubeTime(node.bootMs),
      cpu: cpuStats(time, nodeCpuMillicores(node), nodeCpuCoreNanos(node, tMs)),
      memory: {
        time,
        availableBytes: node.memoryBytes - nodeWs,
        usageBytes: nodeWs + 1024 * 1024 * 1024,
        workingSetBytes: nodeWs,
        rssBytes: Math.floor(nodeWs * 0.7),
        pageFaults: pods.pageFaults + Math.round(up) * 100,
        majorPageFaults: pods.majorPageFaults,
      },
      network: {
        time,
        ...interfaceStats(net.rx, net.tx),
        interfaces: [interfaceStats(net.rx, net.tx)],
      },
      fs: fsStats(time, node.fsCapacityBytes, fsUsed, 150_000),
      runtime: {
        imageFs: fsStats(time, node.fsCapacityBytes, node.imageFsUsedBytes, 40_000),
        containerFs: fsStats(time, node.fsCapacityBytes, node.imageFsUsedBytes, 40_000),
      },
      rlimit: { time, maxpid: 4_194_304, curproc: 200 + node.pods.length * 4 },
      swap: { time, swapAvailableBytes: 0, swapUsageBytes: 0 },
    },
    pods: node.pods.map((p) => podStats(p, tMs, time, node)),
  };
}
