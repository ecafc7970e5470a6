// Sink costs: serialising 1,000,000 points to InfluxDB line protocol and to Prometheus remote
// write (protobuf + snappy), and the end-to-end export of one synthesized 1,000-node tick
// (30 pods × 2 containers per node) into a real InfluxDB 1.x through the sink runtime.
// Usage: npm run bench -- sinks [--nodes=1000] [--runs=5] [--no-influx]
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { pino } from 'pino';
import { parseUri } from '../src/config/uri.js';
import type { Batch, MetricSet } from '../src/core/batch.js';
import { countPoints, emptyBatch, newMetricSet } from '../src/core/batch.js';
import { nodeKey, podContainerKey, podKey } from '../src/core/keys.js';
import { SelfMetrics } from '../src/core/self-metrics.js';
import { QueuedSink } from '../src/pipeline/sink-queue.js';
import { encodeLineProtocol } from '../src/sinks/influxdb-line-protocol.js';
import { createInfluxdbSink } from '../src/sinks/influxdb-sink.js';
import { createPrometheusSink } from '../src/sinks/prometheus-sink.js';
import { haveInfluxdb, startInfluxdb } from '../test/support/influxdb.js';
import { recordResult } from './results.js';

const arg = (name: string, def: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : def;
};
const NODES = arg('nodes', 1000);
const RUNS = arg('runs', 5);
const WITH_INFLUX = !process.argv.includes('--no-influx');
const silent = pino({ level: 'silent' });

const CONTAINER_METRICS = [
  'uptime',
  'cpu/usage',
  'cpu/usage_rate',
  'cpu/load',
  'memory/usage',
  'memory/working_set',
  'memory/rss',
  'memory/cache',
  'memory/page_faults',
  'memory/major_page_faults',
  'memory/page_faults_rate',
  'memory/major_page_faults_rate',
  'cpu/request',
  'cpu/limit',
  'memory/request',
  'memory/limit',
  'restart_count',
];
const NET = ['network/rx', 'network/tx', 'network/rx_errors', 'network/tx_errors'];
const NET_RATES = NET.map((m) => m + '_rate');
const POD_METRICS = [
  ...CONTAINER_METRICS.filter((m) => m !== 'restart_count'),
  ...NET,
  ...NET_RATES,
];
const NODE_METRICS = [
  ...POD_METRICS,
  'cpu/node_capacity',
  'cpu/node_allocatable',
  'cpu/node_utilization',
  'memory/node_capacity',
  'memory/node_allocatable',
  'memory/node_utilization',
];

function fillSet(s: MetricSet, metrics: string[], seed: number, fs: string[]): void {
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i];
    const rate = m.endsWith('_rate') && m !== 'cpu/usage_rate';
    s.values.set(m, rate ? (seed % 997) + i / 7 : seed * 31 + i);
  }
  for (const id of fs) {
    for (const name of ['filesystem/usage', 'filesystem/limit', 'filesystem/available']) {
      s.labeled.push({ name, labels: { resource_id: id }, value: seed * 1000 + name.length });
    }
  }
}

/** A 1,000-node-style tick: per node 30 pods × 2 containers, the labels the pipeline sets. */
function synthTick(nodes: number, t: number): Batch {
  const b = emptyBatch(t);
  let seed = 1;
  for (let n = 0; n < nodes; n++) {
    const node = `node-${n}`;
    const ns = newMetricSet(
      'node',
      { nodename: node, hostname: node, host_id: `id-${n}`, labels: 'zone:z1,pool:default' },
      { scrapeTimeMs: t },
    );
    fillSet(ns, NODE_METRICS, seed++, ['/dev/sda1']);
    b.sets.set(nodeKey(node), ns);
    for (let p = 0; p < 30; p++) {
      const namespace = `ns-${p % 10}`;
      const pod = `app-${n}-${p}-7d9f8c6b5-x2x9z`;
      const common = {
        nodename: node,
        hostname: node,
        namespace_name: namespace,
        namespace_id: `uid-${namespace}`,
        pod_name: pod,
        pod_id: `uid-${n}-${p}`,
        labels: `app:app-${p},pod-template-hash:7d9f8c6b5`,
      };
      const ps = newMetricSet('pod', common, { scrapeTimeMs: t });
      fillSet(ps, POD_METRICS, seed++, ['Volume:data', 'Volume:token']);
      b.sets.set(podKey(namespace, pod), ps);
      for (const c of ['main', 'sidecar']) {
        const cs = newMetricSet(
          'pod_container',
          { ...common, container_name: c, container_base_image: `registry.local/${c}:1.2.3` },
          { scrapeTimeMs: t },
        );
        fillSet(cs, CONTAINER_METRICS, seed++, ['/', 'logs']);
        b.sets.set(podContainerKey(namespace, pod, c), cs);
      }
    }
  }
  return b;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function procCpuS(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

function ownCpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

let lastCpuMs = 0;
/** Wall time of `fn` in ms; its CPU time (all threads of this process, GC included) goes to lastCpuMs. */
function timeMs(fn: () => void): number {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  lastCpuMs = (c.user + c.system) / 1000;
  return wall;
}

const t = Math.floor(Date.now() / 1000) * 1000;
const tick = synthTick(NODES, t);
const tickPoints = countPoints(tick);
// A batch of about 1,000,000 points: the first nodes of a tick.
const perNode = tickPoints / NODES;
const million = synthTick(Math.round(1_000_000 / perNode), t);
const millionPoints = countPoints(million);

const lpOpts = { withFields: false, clusterName: 'default', disableCounterMetrics: false };
let lpBytes = 0;
const lpMs: number[] = [];
const lpCpuMs: number[] = [];
for (let i = 0; i < RUNS + 1; i++) {
  const ms = timeMs(() => {
    lpBytes = encodeLineProtocol(million, lpOpts, 10_000).reduce((a, c) => a + c.bytes.length, 0);
  });
  if (i > 0) {
    lpMs.push(ms); // the first run warms up the JIT
    lpCpuMs.push(lastCpuMs);
  }
}
const prom = createPrometheusSink(
  parseUri('--sink', 'prometheus:http://127.0.0.1:1/api/v1/write', {}),
  { logger: silent },
);
let rwBytes = 0;
const rwMs: number[] = [];
const rwCpuMs: number[] = [];
for (let i = 0; i < Math.min(RUNS, 3) + 1; i++) {
  const ms = timeMs(() => {
    rwBytes = [...prom.encode(million)].reduce((a, c) => a + c.payload.length, 0);
  });
  if (i > 0) {
    rwMs.push(ms);
    rwCpuMs.push(lastCpuMs);
  }
}
await prom.close();

const figures: Record<string, unknown> = {
  millionBatchPoints: millionPoints,
  loadAverage1m: +os.loadavg()[0].toFixed(1),
  lineProtocolMs: Math.round(median(lpMs)),
  lineProtocolCpuMs: Math.round(median(lpCpuMs)),
  lineProtocolPointsPerS: Math.round(millionPoints / (median(lpMs) / 1000)),
  lineProtocolMB: +(lpBytes / 1e6).toFixed(1),
  remoteWriteMs: Math.round(median(rwMs)),
  remoteWriteCpuMs: Math.round(median(rwCpuMs)),
  remoteWritePointsPerS: Math.round(millionPoints / (median(rwMs) / 1000)),
  remoteWriteSnappyMB: +(rwBytes / 1e6).toFixed(1),
  tickNodes: NODES,
  tickPoints,
  tickLineProtocolMs: Math.round(
    timeMs(() => {
      for (const c of encodeLineProtocol(tick, lpOpts, 10_000)) void c;
    }),
  ),
};

if (WITH_INFLUX && haveInfluxdb()) {
  const influx = await startInfluxdb();
  try {
    for (const [label, ts] of [
      ['cold', t - 60_000],
      ['warm', t],
    ] as const) {
      // cold: every series is new to InfluxDB; warm: the same series one tick later.
      const b = ts === t ? tick : synthTick(NODES, ts);
      const metrics = new SelfMetrics();
      const sink = new QueuedSink(
        createInfluxdbSink(
          parseUri('--sink', `influxdb:${influx.url}?concurrency=2&queue_points=5000000`, {}),
          {
            logger: silent,
          },
        ),
        { capacity: 3, writeTimeoutMs: 120_000, flushTimeoutMs: 600_000, metrics, logger: silent },
      );
      const influxCpu0 = procCpuS(influx.pid());
      const ownCpu0 = ownCpuS();
      const t0 = performance.now();
      await sink.write(b);
      const enqueueMs = performance.now() - t0;
      await sink.close();
      const totalMs = performance.now() - t0;
      const json = await metrics.registry.getMetricsAsJSON();
      const written = json.find((m) => m.name === 'heapster_sink_points_written_total')?.values[0]
        ?.value;
      figures[`influx_${label}_influxdCpuS`] = +(procCpuS(influx.pid()) - influxCpu0).toFixed(1);
      figures[`influx_${label}_heapsterCpuS`] = +(ownCpuS() - ownCpu0).toFixed(1);
      figures[`influx_${label}_writeCallMs`] = Math.round(enqueueMs);
      figures[`influx_${label}_totalMs`] = Math.round(totalMs);
      figures[`influx_${label}_pointsWritten`] = written;
      figures[`influx_${label}_pointsPerS`] = Math.round(tickPoints / (totalMs / 1000));
      figures[`influx_${label}_fitsIn15s`] = totalMs <= 15_000;
    }
  } finally {
    await influx.destroy();
  }
}

recordResult('sinks', figures, `npm run bench -- sinks ${process.argv.slice(2).join(' ')}`.trim());
