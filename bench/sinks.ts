// Sink costs: serialising 1,000,000 points to InfluxDB line protocol and to Prometheus remote
// write (protobuf + snappy), and the end-to-end export of one synthesized 1,000-node tick
// (30 pods × 2 containers per node) into a real InfluxDB 1.x through the sink runtime.
// Usage: npm run bench -- sinks [--nodes=1000] [--runs=5] [--no-influx]
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { pino } from 'pino';
import { parseUri } from '../src/config/uri.js';
import { countPoints } from '../src/core/batch.js';
import { SelfMetrics } from '../src/core/self-metrics.js';
import { QueuedSink } from '../src/pipeline/sink-queue.js';
import { encodeLineProtocol, lineProtocolChunks } from '../src/sinks/influxdb-line-protocol.js';
import { createInfluxdbSink } from '../src/sinks/influxdb-sink.js';
import { createPrometheusSink } from '../src/sinks/prometheus-sink.js';
import { haveInfluxdb, startInfluxdb } from '../test/support/influxdb.js';
import { recordResult } from './results.js';
import { synthTick } from './support/synth-tick.js';

const arg = (name: string, def: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : def;
};
const NODES = arg('nodes', 1000);
const RUNS = arg('runs', 5);
const WITH_INFLUX = !process.argv.includes('--no-influx');
const silent = pino({ level: 'silent' });

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
const lpAllMs: number[] = [];
const lpAllCpuMs: number[] = [];
/** Bytes of the line protocol of `b`, chunk by chunk as the sink sends it (each chunk dropped after use). */
const streamedBytes = (b: typeof million): number => {
  let n = 0;
  for (const c of lineProtocolChunks(b, lpOpts, 10_000)) n += c.bytes.length;
  return n;
};
for (let i = 0; i < RUNS + 1; i++) {
  // Streamed, as the influxdb sink encodes (the figure against the 1 s target) ...
  const ms = timeMs(() => {
    lpBytes = streamedBytes(million);
  });
  const cpu = lastCpuMs;
  // ... and every chunk kept at once (246 MB of buffers: V8 then spends much of it in GC).
  const allMs = timeMs(() => {
    const chunks = encodeLineProtocol(million, lpOpts, 10_000);
    if (chunks.reduce((a, c) => a + c.bytes.length, 0) !== lpBytes) throw new Error('bytes differ');
  });
  if (i > 0) {
    lpMs.push(ms); // the first run warms up the JIT
    lpCpuMs.push(cpu);
    lpAllMs.push(allMs);
    lpAllCpuMs.push(lastCpuMs);
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
  lineProtocolBestMs: Math.round(Math.min(...lpMs)),
  lineProtocolCpuMs: Math.round(median(lpCpuMs)),
  lineProtocolBestCpuMs: Math.round(Math.min(...lpCpuMs)),
  lineProtocolPointsPerS: Math.round(millionPoints / (median(lpMs) / 1000)),
  lineProtocolMB: +(lpBytes / 1e6).toFixed(1),
  lineProtocolAllChunksKeptMs: Math.round(median(lpAllMs)),
  lineProtocolAllChunksKeptCpuMs: Math.round(median(lpAllCpuMs)),
  remoteWriteMs: Math.round(median(rwMs)),
  remoteWriteCpuMs: Math.round(median(rwCpuMs)),
  remoteWritePointsPerS: Math.round(millionPoints / (median(rwMs) / 1000)),
  remoteWriteSnappyMB: +(rwBytes / 1e6).toFixed(1),
  tickNodes: NODES,
  tickPoints,
  tickLineProtocolMs: Math.round(
    timeMs(() => {
      streamedBytes(tick);
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
