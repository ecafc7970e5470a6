// v1 Event objects as an API server sends them (list items carry no kind/apiVersion).

/** A kubelet event about a pod container. */
export const POD_EVENT: Record<string, unknown> = {
  metadata: {
    name: 'web-7d4b9c-x2k8p.17a3e0f1c2d3e4f5',
    namespace: 'shop',
    uid: '0b6f0a4e-5f4b-4a3e-9c1d-2e8f7a6b5c4d',
    resourceVersion: '48213',
    creationTimestamp: '2018-06-01T10:00:58Z',
  },
  involvedObject: {
    kind: 'Pod',
    namespace: 'shop',
    name: 'web-7d4b9c-x2k8p',
    uid: 'a1b2c3d4-0000-4000-8000-000000000001',
    apiVersion: 'v1',
    resourceVersion: '48100',
    fieldPath: 'spec.containers{web}',
  },
  reason: 'BackOff',
  message: 'Back-off restarting failed container web in pod web-7d4b9c-x2k8p',
  source: { component: 'kubelet', host: 'node-3' },
  firstTimestamp: '2018-06-01T10:00:58Z',
  lastTimestamp: '2018-06-01T10:01:30Z',
  count: 4,
  type: 'Warning',
  eventTime: null,
  reportingComponent: '',
  reportingInstance: '',
};

/** A node event from the node controller: no source.host, not about a pod. */
export const NODE_EVENT: Record<string, unknown> = {
  kind: 'Event',
  apiVersion: 'v1',
  metadata: {
    name: 'node-3.17a3e0f1c2d3e4f6',
    namespace: 'default',
    uid: '5e1d2c3b-4a59-4687-9a0b-c1d2e3f4a5b6',
    resourceVersion: '48214',
    creationTimestamp: '2018-06-01T10:02:00Z',
  },
  involvedObject: { kind: 'Node', name: 'node-3', uid: 'node-3', apiVersion: 'v1' },
  reason: 'NodeNotReady',
  message: 'Node node-3 status is now: NodeNotReady',
  source: { component: 'node-controller' },
  firstTimestamp: '2018-06-01T10:02:00Z',
  lastTimestamp: '2018-06-01T10:02:00Z',
  count: 1,
  type: 'Normal',
};

/** An events.k8s.io-style event: eventTime and series only, awkward characters in the text. */
export const SERIES_EVENT: Record<string, unknown> = {
  metadata: {
    name: 'job "a,b"=c.17a3e0f1c2d3e4f7',
    namespace: 'batch jobs',
    uid: 'c0ffee00-1111-4222-8333-444455556666',
    resourceVersion: '48215',
    creationTimestamp: '2018-06-01T10:03:00Z',
  },
  involvedObject: { kind: 'Job', namespace: 'batch jobs', name: 'nightly, "big"=1' },
  reason: 'Completed',
  message: 'line one\nline "two" with a \\ backslash',
  source: {},
  eventTime: '2018-06-01T10:03:04.123456Z',
  series: { count: 7, lastObservedTime: '2018-06-01T10:03:04.123456Z' },
  reportingComponent: 'job-controller',
  reportingInstance: 'kube-controller-manager-1',
  type: 'Normal',
};
