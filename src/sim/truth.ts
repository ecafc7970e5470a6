import type { ClusterModel } from './cluster-model.js';
import {
  floorSecondMs,
  nodeCpuMillicores,
  nodeNetworkRates,
  nodeWorkingSetBytes,
  podCpuMillicores,
  podWorkingSetBytes,
} from './cluster-model.js';
import type { FaultKind } from './faults.js';

/** The true rates and sizes of one container. */
export interface ContainerTruth {
  name: string;
  image: string;
  cpuMillicores: number;
  memoryWorkingSetBytes: number;
  memoryUsageBytes: number;
  memoryRssBytes: number;
  memoryCacheBytes: number;
  pageFaultsPerSec: number;
  majorPageFaultsPerSec: number;
  fsReadBytesPerSec: number;
  fsWriteBytesPerSec: number;
  requestCpuMillicores: number;
  requestMemoryBytes: number;
  limitCpuMillicores: number;
  limitMemoryBytes: number;
  /** ms since the epoch (whole seconds). */
  startTimeMs: number;
  restartCount: number;
}

/** The truth of one pod: sums of its containers, plus its own network. */
export interface PodTruth {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  labels: Record<string, string>;
  cpuMillicores: number;
  memoryWorkingSetBytes: number;
  networkRxBytesPerSec: number;
  networkTxBytesPerSec: number;
  startTimeMs: number;
  containers: ContainerTruth[];
}

/** The truth of one node: its pods plus system overhead. */
export interface NodeTruth {
  name: string;
  address: string;
  ready: boolean;
  fault: FaultKind;
  cpuCores: number;
  memoryBytes: number;
  cpuMillicores: number;
  memoryWorkingSetBytes: number;
  networkRxBytesPerSec: number;
  networkTxBytesPerSec: number;
  /** kubelet, runtime and pods system containers (the Summary API's names). */
  systemContainers: { name: string; cpuMillicores: number; memoryWorkingSetBytes: number }[];
  startTimeMs: number;
}

/** What `GET /truth` answers and `truth()` returns. */
export interface ClusterTruth {
  /** Sample time the kubelets would report now (ms, whole seconds). */
  timeMs: number;
  resourceVersion: string;
  nodes: NodeTruth[];
  pods: PodTruth[];
}

/** Builds the truth of the whole cluster now. `faultOf` gives a node's fault kind. */
export function clusterTruth(
  model: ClusterModel,
  faultOf: (nodeIndex: number) => FaultKind,
): ClusterTruth {
  const nodes: NodeTruth[] = [];
  const pods: PodTruth[] = [];
  for (const n of model.nodes) {
    const net = nodeNetworkRates(n);
    let podsCpu = 0;
    let podsWs = 0;
    for (const p of n.pods) {
      podsCpu += podCpuMillicores(p);
      podsWs += podWorkingSetBytes(p);
      pods.push({
        namespace: p.namespace,
        name: p.name,
        uid: p.uid,
        node: n.name,
        labels: { app: p.app },
        cpuMillicores: podCpuMillicores(p),
        memoryWorkingSetBytes: podWorkingSetBytes(p),
        networkRxBytesPerSec: p.rxBytesPerSec,
        networkTxBytesPerSec: p.txBytesPerSec,
        startTimeMs: p.startMs,
        containers: p.containers.map((c) => ({
          name: c.name,
          image: c.image,
          cpuMillicores: c.cpuMillicores,
          memoryWorkingSetBytes: c.workingSetBytes,
          memoryUsageBytes: c.usageBytes,
          memoryRssBytes: c.rssBytes,
          memoryCacheBytes: c.cacheBytes,
          pageFaultsPerSec: c.pageFaultsPerSec,
          majorPageFaultsPerSec: c.majorPageFaultsPerSec,
          fsReadBytesPerSec: c.fsReadBytesPerSec,
          fsWriteBytesPerSec: c.fsWriteBytesPerSec,
          requestCpuMillicores: c.requestCpuMillicores,
          requestMemoryBytes: c.requestMemoryBytes,
          limitCpuMillicores: c.limitCpuMillicores,
          limitMemoryBytes: c.limitMemoryBytes,
          startTimeMs: c.startMs,
          restartCount: c.restartCount,
        })),
      });
    }
    nodes.push({
      name: n.name,
      address: n.address,
      ready: n.ready,
      fault: faultOf(n.index),
      cpuCores: n.cpuCores,
      memoryBytes: n.memoryBytes,
      cpuMillicores: nodeCpuMillicores(n),
      memoryWorkingSetBytes: nodeWorkingSetBytes(n),
      networkRxBytesPerSec: net.rx,
      networkTxBytesPerSec: net.tx,
      systemContainers: [
        {
          name: 'kubelet',
          cpuMillicores: n.kubeletCpuMillicores,
          memoryWorkingSetBytes: n.kubeletWorkingSetBytes,
        },
        {
          name: 'runtime',
          cpuMillicores: n.runtimeCpuMillicores,
          memoryWorkingSetBytes: n.runtimeWorkingSetBytes,
        },
        { name: 'pods', cpuMillicores: podsCpu, memoryWorkingSetBytes: podsWs },
      ],
      startTimeMs: n.bootMs,
    });
  }
  return {
    timeMs: floorSecondMs(model.nowMs()),
    resourceVersion: String(model.currentResourceVersion()),
    nodes,
    pods,
  };
}
