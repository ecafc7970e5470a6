/** Label catalogue (§5.4): the keys Heapster puts on metric sets and labeled metrics. */

export interface LabelDescriptor {
  readonly key: string;
  readonly description: string;
}

export const LABEL_TYPE = 'type';
export const LABEL_NODENAME = 'nodename';
export const LABEL_HOSTNAME = 'hostname';
export const LABEL_HOST_ID = 'host_id';
export const LABEL_SCHEDULABLE = 'schedulable';
export const LABEL_POD_NAME = 'pod_name';
export const LABEL_POD_ID = 'pod_id';
export const LABEL_NAMESPACE_NAME = 'namespace_name';
export const LABEL_NAMESPACE_ID = 'namespace_id';
export const LABEL_CONTAINER_NAME = 'container_name';
export const LABEL_CONTAINER_BASE_IMAGE = 'container_base_image';
export const LABEL_LABELS = 'labels';
export const LABEL_RESOURCE_ID = 'resource_id';
export const LABEL_ACCELERATOR_MAKE = 'make';
export const LABEL_ACCELERATOR_MODEL = 'model';
export const LABEL_ACCELERATOR_ID = 'accelerator_id';
export const LABEL_CUSTOM_METRIC_NAME = 'custom_metric_name';
export const LABEL_RESOURCE_TYPE = 'resource_type';
export const LABEL_VOLUME_NAME = 'volume_name';

const l = (key: string, description: string): LabelDescriptor =>
  Object.freeze({ key, description });

/** Labels common to every node-bound entity. */
export const COMMON_LABELS: readonly LabelDescriptor[] = [
  l(LABEL_NODENAME, 'nodename where the container ran'),
  l(LABEL_HOSTNAME, 'Hostname where the container ran'),
  l(LABEL_HOST_ID, 'Identifier specific to a host. Set by cloud provider or user'),
];

export const CONTAINER_LABELS: readonly LabelDescriptor[] = [
  l(
    LABEL_CONTAINER_NAME,
    'User-provided name of the container or full container name for system containers',
  ),
  l(LABEL_CONTAINER_BASE_IMAGE, 'User-defined image name that is run inside the container'),
];

export const POD_LABELS: readonly LabelDescriptor[] = [
  l(LABEL_POD_NAME, 'The name of the pod'),
  l(LABEL_POD_ID, 'The unique ID of the pod'),
  l(LABEL_NAMESPACE_ID, 'The UID of namespace of the pod'),
  l(LABEL_LABELS, 'Comma-separated list of user-provided labels'),
];

export const METRIC_LABELS: readonly LabelDescriptor[] = [
  l(LABEL_RESOURCE_ID, 'Identifier(s) specific to a metric'),
  l(LABEL_CUSTOM_METRIC_NAME, 'User-provided name of the custom metric'),
];

export const ACCELERATOR_LABELS: readonly LabelDescriptor[] = [
  l(LABEL_ACCELERATOR_MAKE, 'Make of the accelerator (nvidia, amd, google etc.)'),
  l(LABEL_ACCELERATOR_MODEL, 'Model of the accelerator (tesla-p100, tesla-k80 etc.)'),
  l(LABEL_ACCELERATOR_ID, 'ID of the accelerator'),
];

/** Every label key Heapster defines (§5.4). */
export const ALL_LABELS: readonly LabelDescriptor[] = [
  l(LABEL_TYPE, 'Type of the metric set: node, sys_container, pod, pod_container, ns or cluster'),
  ...COMMON_LABELS,
  l(LABEL_SCHEDULABLE, 'Whether the node is schedulable ("true"/"false")'),
  ...CONTAINER_LABELS,
  ...POD_LABELS,
  l(LABEL_NAMESPACE_NAME, 'The name of the namespace'),
  ...METRIC_LABELS,
  ...ACCELERATOR_LABELS,
  l(LABEL_RESOURCE_TYPE, 'Type of the resource a metric is about (GCM autoscaling: instance)'),
  l(LABEL_VOLUME_NAME, 'The name of the volume'),
];

/** `SupportedLabels()` of the original, as `/api/v1/metric-export-schema` lists them. */
export const SUPPORTED_LABELS: readonly LabelDescriptor[] = [
  ...COMMON_LABELS,
  ...POD_LABELS,
  ...METRIC_LABELS,
];
