// One-shot Engine API stats (`GET /containers/{id}/stats?stream=false`) → Heapster metrics.
import type { LabeledValue, MetricSet } from '../../core/batch.js';
import { LABEL_RESOURCE_ID } from '../../core/labels.js';

/** The parts of a Docker stats answer we read (cgroup v1 and v2 daemons). */
export interface DockerStats {
  readonly read?: string;
  readonly cpu_stats?: { readonly cpu_usage?: { readonly total_usage?: number } };
  readonly memory_stats?: {
    readonly usage?: number;
    readonly stats?: Readonly<Record<string, number>>;
  };
  readonly networks?: Readonly<
    Record<
      string,
      {
        readonly rx_bytes?: number;
        readonly rx_errors?: number;
        readonly tx_bytes?: number;
        readonly tx_errors?: number;
      }
    >
  >;
  readonly blkio_stats?: {
    readonly io_service_bytes_recursive?:
      | readonly {
          readonly major: number;
          readonly minor: number;
          readonly op: string;
          readonly value: number;
        }[]
      | null;
  };
}

/** Milliseconds since the epoch of the sample (`read`), undefined for a stopped container. */
export function statsTimeMs(s: DockerStats): number | undefined {
  const t = Date.parse(s.read ?? '');
  return Number.isFinite(t) && t > 0 ? t : undefined;
}

/**
 * Working set as `docker stats` shows it in MEM USAGE: usage minus inactive file pages
 * (`total_inactive_file` on cgroup v1, `inactive_file` on v2), never below 0. This is
 * Heapster's and cAdvisor's `memory/working_set`; `memory/usage` is the raw `usage`
 * (cgroup v1 `memory.usage_in_bytes`, v2 `memory.current`).
 */
export function workingSetOf(usage: number, stats: Readonly<Record<string, number>>): number {
  const inactive = stats.total_inactive_file ?? stats.inactive_file;
  if (inactive === undefined || inactive >= usage) return inactive === undefined ? usage : 0;
  return usage - inactive;
}

/**
 * Puts the figures of one stats answer into `set`: `cpu/usage` (ns, `total_usage`),
 * `memory/usage`, `memory/working_set`, `memory/rss` (v1 `total_rss`, v2 `anon`),
 * `memory/cache` (v1 `total_cache`, v2 `file`), page faults, `network/*` summed over
 * `networks` (absent for `--network none`), and `disk/io_read_bytes` /
 * `disk/io_write_bytes` per `major:minor`. Missing fields are left out. Pure.
 */
export function putDockerStats(set: MetricSet, s: DockerStats, networkOnly = false): void {
  const put = (name: string, v: number | undefined): void => {
    if (v !== undefined && Number.isFinite(v)) set.values.set(name, v);
  };
  if (s.networks !== undefined) {
    let rx = 0;
    let rxErr = 0;
    let tx = 0;
    let txErr = 0;
    for (const n of Object.values(s.networks)) {
      rx += n.rx_bytes ?? 0;
      rxErr += n.rx_errors ?? 0;
      tx += n.tx_bytes ?? 0;
      txErr += n.tx_errors ?? 0;
    }
    put('network/rx', rx);
    put('network/rx_errors', rxErr);
    put('network/tx', tx);
    put('network/tx_errors', txErr);
  }
  if (networkOnly) return;
  put('cpu/usage', s.cpu_stats?.cpu_usage?.total_usage);
  const m = s.memory_stats;
  if (m?.usage !== undefined) {
    const st = m.stats ?? {};
    put('memory/usage', m.usage);
    put('memory/working_set', workingSetOf(m.usage, st));
    put('memory/rss', st.total_rss ?? st.rss ?? st.anon);
    put('memory/cache', st.total_cache ?? st.cache ?? st.file);
    put('memory/page_faults', st.total_pgfault ?? st.pgfault);
    put('memory/major_page_faults', st.total_pgmajfault ?? st.pgmajfault);
  }
  const io = s.blkio_stats?.io_service_bytes_recursive;
  if (io) {
    const byDevice = new Map<string, LabeledValue>();
    for (const e of io) {
      const op = e.op.toLowerCase();
      const name =
        op === 'read' ? 'disk/io_read_bytes' : op === 'write' ? 'disk/io_write_bytes' : '';
      if (name === '') continue;
      const device = `${e.major}:${e.minor}`;
      const k = `${name}\u0000${device}`;
      const prev = byDevice.get(k);
      if (prev) prev.value += e.value;
      else {
        const lv = { name, labels: { [LABEL_RESOURCE_ID]: device }, value: e.value };
        byDevice.set(k, lv);
        set.labeled.push(lv);
      }
    }
  }
}
