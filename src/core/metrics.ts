/** Metric catalogue: every metric Heapster knows, as data. Nothing else branches on metric names. */

export type MetricKind = 'cumulative' | 'gauge' | 'delta';
/** `int64` values are integers (JS numbers, exact below 2^53); `double` values are floats. */
export type ValueType = 'int64' | 'double';
/** Units as the original's UnitsType prints them ('' = count), plus the honest ones it lacked. */
export type Units = '' | 'bytes' | 'ms' | 'ns' | 'millicores' | 'bytes/s' | '1/s' | 'ratio';
export type MetricFamily =
  | 'cpu'
  | 'memory'
  | 'network'
  | 'filesystem'
  | 'disk'
  | 'accelerator'
  | 'ephemeral_storage'
  | 'general';

/** How a cumulative metric turns into its rate metric (rate calculator). */
export interface RateSpec {
  /** Name of the derived gauge, e.g. `cpu/usage_rate`. */
  readonly name: string;
  /** rate = scale * Δvalue / Δseconds; cpu: 1000 * Δns / Δns = millicores. */
  readonly perSecondScale: number;
}

/** One metric's descriptor. `labels` is set only for labeled metrics (filesystem, disk, accelerator). */
export interface MetricDescriptor {
  readonly name: string;
  readonly kind: MetricKind;
  readonly valueType: ValueType;
  readonly units: Units;
  readonly description: string;
  readonly family: MetricFamily;
  /** Label keys of a labeled metric (e.g. `resource_id`); absent for plain metrics. */
  readonly labels?: readonly string[];
  /** Present on cumulative metrics that have a rate counterpart. */
  readonly rate?: RateSpec;
  /** Group the original placed it in. */
  readonly group: 'standard' | 'labeled' | 'rate' | 'additional' | 'autoscaling';
}

const RESOURCE = ['resource_id'] as const;
const ACCEL = ['make', 'model', 'accelerator_id'] as const;

function d(
  name: string,
  kind: MetricKind,
  valueType: ValueType,
  units: Units,
  group: MetricDescriptor['group'],
  description: string,
  extra: { labels?: readonly string[]; rate?: RateSpec } = {},
): MetricDescriptor {
  const family = familyOf(name);
  return Object.freeze({ name, kind, valueType, units, description, family, group, ...extra });
}

/** Family of a metric name: the part before the first `/`, `general` when there is none. */
export function familyOf(name: string): MetricFamily {
  const slash = name.indexOf('/');
  const prefix = slash < 0 ? '' : name.slice(0, slash);
  switch (prefix) {
    case 'cpu':
    case 'memory':
    case 'network':
    case 'filesystem':
    case 'disk':
    case 'accelerator':
    case 'ephemeral_storage':
      return prefix;
    default:
      return 'general';
  }
}

const NS_PER_S = 1e9;

/** §5.1 standard (scraped) metrics. */
export const STANDARD_METRICS: readonly MetricDescriptor[] = [
  d(
    'uptime',
    'cumulative',
    'int64',
    'ms',
    'standard',
    'Number of milliseconds since the container was started',
  ),
  d('cpu/usage', 'cumulative', 'int64', 'ns', 'standard', 'Cumulative CPU usage on all cores', {
    rate: { name: 'cpu/usage_rate', perSecondScale: 1000 / NS_PER_S },
  }),
  d('cpu/load', 'gauge', 'int64', '', 'standard', 'CPU load average (milliloads)'),
  d('memory/usage', 'gauge', 'int64', 'bytes', 'standard', 'Total memory usage'),
  d(
    'memory/working_set',
    'gauge',
    'int64',
    'bytes',
    'standard',
    'Total working set usage. Working set is the memory being used and not easily dropped by the kernel',
  ),
  d('memory/rss', 'gauge', 'int64', 'bytes', 'standard', 'RSS memory usage'),
  d('memory/cache', 'gauge', 'int64', 'bytes', 'standard', 'Cache memory usage'),
  d('memory/page_faults', 'cumulative', 'int64', '', 'standard', 'Number of page faults', {
    rate: { name: 'memory/page_faults_rate', perSecondScale: 1 },
  }),
  d(
    'memory/major_page_faults',
    'cumulative',
    'int64',
    '',
    'standard',
    'Number of major page faults',
    {
      rate: { name: 'memory/major_page_faults_rate', perSecondScale: 1 },
    },
  ),
  d(
    'network/rx',
    'cumulative',
    'int64',
    'bytes',
    'standard',
    'Cumulative number of bytes received over the network',
    {
      rate: { name: 'network/rx_rate', perSecondScale: 1 },
    },
  ),
  d(
    'network/rx_errors',
    'cumulative',
    'int64',
    '',
    'standard',
    'Cumulative number of errors while receiving over the network',
    {
      rate: { name: 'network/rx_errors_rate', perSecondScale: 1 },
    },
  ),
  d(
    'network/tx',
    'cumulative',
    'int64',
    'bytes',
    'standard',
    'Cumulative number of bytes sent over the network',
    {
      rate: { name: 'network/tx_rate', perSecondScale: 1 },
    },
  ),
  d(
    'network/tx_errors',
    'cumulative',
    'int64',
    '',
    'standard',
    'Cumulative number of errors while sending over the network',
    {
      rate: { name: 'network/tx_errors_rate', perSecondScale: 1 },
    },
  ),
  d(
    'ephemeral_storage/usage',
    'gauge',
    'int64',
    'bytes',
    'standard',
    'Ephemeral storage used (node fs, pod ephemeral storage, container rootfs plus logs)',
  ),
  d(
    'restart_count',
    'cumulative',
    'int64',
    '',
    'standard',
    'Number of times the container has been restarted',
  ),
];

/** §5.2 labeled metrics (one value per `resource_id` or accelerator). */
export const LABELED_METRICS: readonly MetricDescriptor[] = [
  d(
    'filesystem/usage',
    'gauge',
    'int64',
    'bytes',
    'labeled',
    'Total number of bytes consumed on a filesystem',
    { labels: RESOURCE },
  ),
  d(
    'filesystem/limit',
    'gauge',
    'int64',
    'bytes',
    'labeled',
    'The total size of filesystem in bytes',
    { labels: RESOURCE },
  ),
  d(
    'filesystem/available',
    'gauge',
    'int64',
    'bytes',
    'labeled',
    'The number of available bytes remaining in a the filesystem',
    { labels: RESOURCE },
  ),
  d(
    'filesystem/inodes',
    'gauge',
    'int64',
    '',
    'labeled',
    'The number of available inodes in a the filesystem',
    { labels: RESOURCE },
  ),
  d(
    'filesystem/inodes_free',
    'gauge',
    'int64',
    '',
    'labeled',
    'The number of free inodes remaining in a the filesystem',
    { labels: RESOURCE },
  ),
  d(
    'disk/io_read_bytes',
    'cumulative',
    'int64',
    'bytes',
    'labeled',
    'Number of bytes read from a disk partition',
    {
      labels: RESOURCE,
      rate: { name: 'disk/io_read_bytes_rate', perSecondScale: 1 },
    },
  ),
  d(
    'disk/io_write_bytes',
    'cumulative',
    'int64',
    'bytes',
    'labeled',
    'Number of bytes written to a disk partition',
    {
      labels: RESOURCE,
      rate: { name: 'disk/io_write_bytes_rate', perSecondScale: 1 },
    },
  ),
  d(
    'accelerator/memory_total',
    'gauge',
    'int64',
    'bytes',
    'labeled',
    'Memory capacity of an accelerator',
    { labels: ACCEL },
  ),
  d(
    'accelerator/memory_used',
    'gauge',
    'int64',
    'bytes',
    'labeled',
    'Memory used of an accelerator',
    { labels: ACCEL },
  ),
  d(
    'accelerator/duty_cycle',
    'gauge',
    'int64',
    '',
    'labeled',
    'Percent of time over the past sample period during which the accelerator was actively processing',
    { labels: ACCEL },
  ),
];

/** §5.3 derived metrics: rates of cumulative metrics. */
export const RATE_METRICS: readonly MetricDescriptor[] = [
  d(
    'cpu/usage_rate',
    'gauge',
    'int64',
    'millicores',
    'rate',
    'CPU usage on all cores in millicores',
  ),
  d(
    'memory/page_faults_rate',
    'gauge',
    'double',
    '1/s',
    'rate',
    'Rate of page faults in counts per second',
  ),
  d(
    'memory/major_page_faults_rate',
    'gauge',
    'double',
    '1/s',
    'rate',
    'Rate of major page faults in counts per second',
  ),
  d(
    'network/rx_rate',
    'gauge',
    'double',
    'bytes/s',
    'rate',
    'Rate of bytes received over the network in bytes per second',
  ),
  d(
    'network/rx_errors_rate',
    'gauge',
    'double',
    '1/s',
    'rate',
    'Rate of errors sending over the network in errors per second',
  ),
  d(
    'network/tx_rate',
    'gauge',
    'double',
    'bytes/s',
    'rate',
    'Rate of bytes transmitted over the network in bytes per second',
  ),
  d(
    'network/tx_errors_rate',
    'gauge',
    'double',
    '1/s',
    'rate',
    'Rate of errors transmitting over the network in errors per second',
  ),
  d(
    'disk/io_read_bytes_rate',
    'gauge',
    'double',
    'bytes/s',
    'rate',
    'Rate of bytes read from a disk partition',
    { labels: RESOURCE },
  ),
  d(
    'disk/io_write_bytes_rate',
    'gauge',
    'double',
    'bytes/s',
    'rate',
    'Rate of bytes written to a disk partition',
    { labels: RESOURCE },
  ),
];

/** §5.3 requests and limits from pod specs. */
export const ADDITIONAL_METRICS: readonly MetricDescriptor[] = [
  d(
    'cpu/request',
    'gauge',
    'int64',
    'millicores',
    'additional',
    'CPU request (the guaranteed amount of resources) in millicores',
  ),
  d('cpu/limit', 'gauge', 'int64', 'millicores', 'additional', 'CPU hard limit in millicores'),
  d(
    'memory/request',
    'gauge',
    'int64',
    'bytes',
    'additional',
    'Memory request (the guaranteed amount of resources) in bytes',
  ),
  d('memory/limit', 'gauge', 'int64', 'bytes', 'additional', 'Memory hard limit in bytes'),
  d(
    'ephemeral_storage/request',
    'gauge',
    'int64',
    'bytes',
    'additional',
    'Ephemeral storage request in bytes',
  ),
  d(
    'ephemeral_storage/limit',
    'gauge',
    'int64',
    'bytes',
    'additional',
    'Ephemeral storage hard limit in bytes',
  ),
];

/** §5.3 node capacity, allocatable, utilization and reservation. */
export const NODE_AUTOSCALING_METRICS: readonly MetricDescriptor[] = [
  d('cpu/node_capacity', 'gauge', 'double', 'millicores', 'autoscaling', 'Cpu capacity of a node'),
  d(
    'cpu/node_allocatable',
    'gauge',
    'double',
    'millicores',
    'autoscaling',
    'Cpu allocatable of a node',
  ),
  d(
    'cpu/node_utilization',
    'gauge',
    'double',
    'ratio',
    'autoscaling',
    'Cpu utilization as a share of node allocatable',
  ),
  d(
    'cpu/node_reservation',
    'gauge',
    'double',
    'ratio',
    'autoscaling',
    'Share of cpu that is currently reserved on the node',
  ),
  d('memory/node_capacity', 'gauge', 'double', 'bytes', 'autoscaling', 'Memory capacity of a node'),
  d(
    'memory/node_allocatable',
    'gauge',
    'double',
    'bytes',
    'autoscaling',
    'Memory allocatable of a node',
  ),
  d(
    'memory/node_utilization',
    'gauge',
    'double',
    'ratio',
    'autoscaling',
    'Memory utilization as a share of memory allocatable',
  ),
  d(
    'memory/node_reservation',
    'gauge',
    'double',
    'ratio',
    'autoscaling',
    'Share of memory that is currently reserved on the node',
  ),
  d(
    'ephemeral_storage/node_capacity',
    'gauge',
    'double',
    'bytes',
    'autoscaling',
    'Ephemeral storage capacity of a node',
  ),
  d(
    'ephemeral_storage/node_allocatable',
    'gauge',
    'double',
    'bytes',
    'autoscaling',
    'Ephemeral storage allocatable of a node',
  ),
  d(
    'ephemeral_storage/node_utilization',
    'gauge',
    'double',
    'ratio',
    'autoscaling',
    'Ephemeral storage utilization as a share of ephemeral storage allocatable',
  ),
  d(
    'ephemeral_storage/node_reservation',
    'gauge',
    'double',
    'ratio',
    'autoscaling',
    'Share of ephemeral storage that is currently reserved on the node',
  ),
];

/** Every known metric, in catalogue order. */
export const ALL_METRICS: readonly MetricDescriptor[] = [
  ...STANDARD_METRICS,
  ...LABELED_METRICS,
  ...RATE_METRICS,
  ...ADDITIONAL_METRICS,
  ...NODE_AUTOSCALING_METRICS,
];

const BY_NAME: ReadonlyMap<string, MetricDescriptor> = new Map(ALL_METRICS.map((m) => [m.name, m]));

/** Prefix of user-defined metrics (`custom/<name>`). */
export const CUSTOM_METRIC_PREFIX = 'custom/';

/** Descriptor of a known metric, or undefined (custom and dynamic `<resource>/request` metrics). */
export function metricDescriptor(name: string): MetricDescriptor | undefined {
  return BY_NAME.get(name);
}

/** Cumulative metrics with a rate counterpart (the original's RateMetricsMapping). */
export const RATED_METRICS: readonly MetricDescriptor[] = ALL_METRICS.filter(
  (m) => m.rate !== undefined,
);

/** True for an int64 metric (unknown metrics count as int64 when the value is an integer). */
export function isIntMetric(name: string, value: number): boolean {
  const desc = BY_NAME.get(name);
  return desc ? desc.valueType === 'int64' : Number.isInteger(value);
}
