import type { SimEvent, SimNode, SimPod } from './cluster-model.js';

/** A Kubernetes object as JSON (only the fields the simulator fills). */
export interface KubeObject {
  kind?: string;
  apiVersion?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion: string;
    labels?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** RFC 3339 with whole seconds, as Kubernetes' metav1.Time serialises. */
export function kubeTime(ms: number): string {
  let t = timeCache.get(ms);
  if (t === undefined) {
    // Lists format ~6 times per pod from a few thousand distinct seconds: cache them.
    if (timeCache.size >= 100_000) timeCache.clear();
    t = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    timeCache.set(ms, t);
  }
  return t;
}

const timeCache = new Map<number, string>();

const MIB = 1024 * 1024;

/** A Kubernetes quantity for bytes: `Ki` when divisible, else the plain number. */
function bytesQuantity(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024}Ki` : String(bytes);
}

function cpuQuantity(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

/** The v1 Node of a simulated node: InternalIP = its loopback address, Ready condition, capacity. */
export function nodeObject(n: SimNode, createdMs: number, kubeletPort: number): KubeObject {
  const allocatableMemory = n.memoryBytes - 512 * MIB;
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: n.name,
      uid: n.uid,
      resourceVersion: String(n.resourceVersion),
      creationTimestamp: kubeTime(createdMs),
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': `sim-${n.cpuCores}`,
        'topology.kubernetes.io/zone': n.zone,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {
      podCIDR: `10.${(n.index >> 8) & 255}.${n.index & 255}.0/24`,
      providerID: `sim://${n.name}`,
    },
    status: {
      capacity: {
        cpu: String(n.cpuCores),
        'ephemeral-storage': bytesQuantity(n.fsCapacityBytes),
        memory: bytesQuantity(n.memoryBytes),
        pods: String(n.maxPods),
      },
      allocatable: {
        cpu: cpuQuantity(n.cpuCores * 1000 - 100),
        'ephemeral-storage': bytesQuantity(n.fsCapacityBytes - 10 * 1024 * MIB),
        memory: bytesQuantity(allocatableMemory),
        pods: String(n.maxPods),
      },
      conditions: [
        {
          type: 'Ready',
          status: n.ready ? 'True' : 'False',
          reason: n.ready ? 'KubeletReady' : 'KubeletNotReady',
          message: n.ready ? 'kubelet is posting ready status' : 'simulated: node not ready',
          lastHeartbeatTime: kubeTime(n.bootMs),
          lastTransitionTime: kubeTime(n.bootMs),
        },
      ],
      addresses: [
        { type: 'InternalIP', address: n.address },
        { type: 'Hostname', address: n.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
      nodeInfo: {
        machineID: n.machineId,
        systemUUID: n.systemUuid,
        bootID: n.bootId,
        kernelVersion: '6.1.0-sim',
        osImage: 'Heapster simulated node',
        containerRuntimeVersion: 'containerd://1.7.0',
        kubeletVersion: 'v1.28.0',
        kubeProxyVersion: 'v1.28.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/** The v1 Pod of a simulated pod: spec.nodeName, requests/limits, labels, container statuses. */
export function podObject(p: SimPod, nodeName: string, nodeAddress: string): KubeObject {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      resourceVersion: String(p.resourceVersion),
      creationTimestamp: kubeTime(p.startMs),
      labels: { app: p.app, 'pod-template-hash': p.name.split('-')[1] ?? '' },
    },
    spec: {
      nodeName,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      containers: p.containers.map((c) => ({
        name: c.name,
        image: c.image,
        resources: {
          requests: {
            cpu: cpuQuantity(c.requestCpuMillicores),
            memory: bytesQuantity(c.requestMemoryBytes),
          },
          limits: {
            cpu: cpuQuantity(c.limitCpuMillicores),
            memory: bytesQuantity(c.limitMemoryBytes),
          },
        },
      })),
    },
    status: {
      phase: 'Running',
      qosClass: p.qos === 'guaranteed' ? 'Guaranteed' : 'Burstable',
      hostIP: nodeAddress,
      podIP: p.ip,
      startTime: kubeTime(p.startMs),
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: kubeTime(p.startMs) }],
      containerStatuses: p.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `docker.io/library/${c.image}@sha256:${c.id.slice(0, 64)}`,
        containerID: `containerd://${c.id}`,
        ready: true,
        started: true,
        restartCount: c.restartCount,
        state: { running: { startedAt: kubeTime(c.startMs) } },
      })),
    },
  };
}

/** The v1 Namespace `name`. */
export function namespaceObject(
  name: string,
  uid: string,
  createdMs: number,
  rv: number,
): KubeObject {
  return {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: {
      name,
      uid,
      resourceVersion: String(rv),
      creationTimestamp: kubeTime(createdMs),
      labels: { 'kubernetes.io/metadata.name': name },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

/** The v1 Event of a simulated event about a pod. */
export function eventObject(e: SimEvent): KubeObject {
  return {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: {
      name: e.name,
      namespace: e.namespace,
      uid: e.uid,
      resourceVersion: String(e.resourceVersion),
      creationTimestamp: kubeTime(e.timeMs),
    },
    involvedObject: {
      kind: 'Pod',
      namespace: e.namespace,
      name: e.podName,
      uid: e.podUid,
      apiVersion: 'v1',
    },
    reason: e.reason,
    message: e.message,
    source: { component: 'kubelet', host: e.nodeName },
    firstTimestamp: kubeTime(e.timeMs),
    lastTimestamp: kubeTime(e.timeMs),
    count: 1,
    type: e.type,
    reportingComponent: 'kubelet',
    reportingInstance: e.nodeName,
  };
}

/** A v1 Status error, as the API server answers failures. */
export function statusObject(
  code: number,
  reason: string,
  message: string,
): Record<string, unknown> {
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
