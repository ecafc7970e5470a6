// `/metrics` of the agent in cAdvisor's Prometheus exposition (metrics/prometheus.go names).
import { SUMMED_INTERFACE } from './cadvisor-json.js';
import type { Sample, TrackedContainer } from './housekeeper.js';

/** Machine figures for `machine_*`. */
export interface MachineFigures {
  readonly cores: number;
  readonly memoryBytes: number;
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** `container_label_<key>` with every character outside [a-zA-Z0-9_] replaced by `_`. */
export function containerLabelName(key: string): string {
  return 'container_label_' + key.replace(/[^a-zA-Z0-9_]/g, '_');
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly values: (s: Sample, c: TrackedContainer) => [string, number][] | undefined;
}

const FAMILIES: readonly Family[] = [
  {
    name: 'container_cpu_usage_seconds_total',
    help: 'Cumulative cpu time consumed in seconds.',
    type: 'counter',
    values: (s) => (s.cpuNanos === undefined ? undefined : [['cpu="total"', s.cpuNanos / 1e9]]),
  },
  {
    name: 'container_memory_usage_bytes',
    help: 'Current memory usage in bytes, including all memory regardless of when it was accessed',
    type: 'gauge',
    values: (s) => (s.memory ? [['', s.memory.usage]] : undefined),
  },
  {
    name: 'container_memory_working_set_bytes',
    help: 'Current working set in bytes.',
    type: 'gauge',
    values: (s) => (s.memory ? [['', s.memory.workingSet]] : undefined),
  },
  {
    name: 'container_memory_cache',
    help: 'Number of bytes of page cache memory.',
    type: 'gauge',
    values: (s) => (s.memory ? [['', s.memory.cache]] : undefined),
  },
  {
    name: 'container_memory_rss',
    help: 'Size of RSS in bytes.',
    type: 'gauge',
    values: (s) => (s.memory ? [['', s.memory.rss]] : undefined),
  },
  {
    name: 'container_memory_failures_total',
    help: 'Cumulative count of memory allocation failures.',
    type: 'counter',
    values: (s) =>
      s.memory
        ? [
            ['failure_type="pgfault",scope="container"', s.memory.pgfault],
            ['failure_type="pgfault",scope="hierarchy"', s.memory.pgfault],
            ['failure_type="pgmajfault",scope="container"', s.memory.pgmajfault],
            ['failure_type="pgmajfault",scope="hierarchy"', s.memory.pgmajfault],
          ]
        : undefined,
  },
  ...(
    [
      ['receive_bytes', 'rxBytes', 'Cumulative count of bytes received'],
      ['receive_errors', 'rxErrors', 'Cumulative count of errors encountered while receiving'],
      ['transmit_bytes', 'txBytes', 'Cumulative count of bytes transmitted'],
      ['transmit_errors', 'txErrors', 'Cumulative count of errors encountered while transmitting'],
    ] as const
  ).map(([suffix, field, help]): Family => ({
    name: `container_network_${suffix}_total`,
    help,
    type: 'counter',
    values: (s) =>
      s.network ? [[`interface="${SUMMED_INTERFACE}"`, s.network[field]]] : undefined,
  })),
  {
    name: 'container_fs_usage_bytes',
    help: 'Number of bytes that are consumed by the container on this filesystem.',
    type: 'gauge',
    values: (s) =>
      s.layerBytes !== undefined
        ? [['device="/"', s.layerBytes]]
        : s.filesystems?.map((f) => [`device="${escapeValue(f.device)}"`, f.usageBytes]),
  },
  {
    name: 'container_fs_limit_bytes',
    help: 'Number of bytes that can be consumed by the container on this filesystem.',
    type: 'gauge',
    values: (s) => s.filesystems?.map((f) => [`device="${escapeValue(f.device)}"`, f.limitBytes]),
  },
  {
    name: 'container_start_time_seconds',
    help: 'Start time of the container since unix epoch in seconds.',
    type: 'gauge',
    values: (_s, c) => [['', c.creationMs / 1000]],
  },
  {
    name: 'container_last_seen',
    help: 'Last time a container was seen by the exporter',
    type: 'gauge',
    values: (s) => [['', s.timeMs / 1000]],
  },
];

/** The `id`, `image`, `name` and `container_label_*` labels of a container. */
function baseLabels(c: TrackedContainer): string {
  let out = `id="${escapeValue(c.name)}",image="${escapeValue(c.image)}",name="${escapeValue(c.aliases[0] ?? '')}"`;
  for (const k of Object.keys(c.labels).sort()) {
    out += `,${containerLabelName(k)}="${escapeValue(c.labels[k])}"`;
  }
  return out;
}

/**
 * Renders every container's latest sample as cAdvisor does: `# HELP`/`# TYPE` per family,
 * labels `id` (cgroup name), `image`, `name` (Docker name) and `container_label_*`, samples
 * stamped with the time they were read (ms); then `machine_cpu_cores` and
 * `machine_memory_bytes`. Network counters carry `interface="total"` (interfaces summed).
 */
export function renderMetrics(
  containers: Iterable<TrackedContainer>,
  machine: MachineFigures,
): string {
  const rows: { c: TrackedContainer; s: Sample; labels: string }[] = [];
  for (const c of containers) {
    const s = c.samples[c.samples.length - 1];
    if (s !== undefined) rows.push({ c, s, labels: baseLabels(c) });
  }
  const lines: string[] = [];
  for (const f of FAMILIES) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const { c, s, labels } of rows) {
      const values = f.values(s, c);
      if (values === undefined) continue;
      for (const [extra, v] of values) {
        if (!Number.isFinite(v)) continue;
        lines.push(`${f.name}{${extra ? `${extra},` : ''}${labels}} ${v} ${Math.round(s.timeMs)}`);
      }
    }
  }
  lines.push(
    '# HELP machine_cpu_cores Number of logical CPU cores.',
    '# TYPE machine_cpu_cores gauge',
    `machine_cpu_cores ${machine.cores}`,
    '# HELP machine_memory_bytes Amount of memory installed on the machine.',
    '# TYPE machine_memory_bytes gauge',
    `machine_memory_bytes ${machine.memoryBytes}`,
  );
  return lines.join('\n') + '\n';
}
