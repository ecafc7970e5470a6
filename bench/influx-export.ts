// End-to-end export of one synthesized 1,000-node tick (30 pods × 2 containers per node, about
// 2.3 million points) into a real InfluxDB 1.x through the influxdb sink and the sink runtime
// (QueuedSink): wall time, points/s, whether it fits a 15 s resolution, and where the CPU goes
// (this process: encoding, HTTP, gzip; influxd: parsing, indexing, WAL). Each run starts a
// fresh influxd and writes two ticks: `cold` (every series new) and `warm` (the same series
// one minute later).
// Usage: npm run bench -- influx-export [--nodes=1000] [--runs=3] [--concurrency=1,2,4]
//        [--batch=10000] [--gzip] [--withfields]
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { pino } from 'pino';
import { parseUri } from '../src/config/uri.js';
import type { Batch } from '../src/core/batch.js';
import { countPoints } from '../src/core/batch.js';
import { SelfMetrics } from '../src/core/self-metrics.js';
import type { Chunk } from '../src/pipeline/sink-queue.js';
import { QueuedSink } from '../src/pipeline/sink-queue.js';
import { lineProtocolChunks } from '../src/sinks/influxdb-line-protocol.js';
import { InfluxdbSink, parseInfluxdbUri } from '../src/sinks/influxdb-sink.js';
import { haveInfluxdb, startInfluxdb } from '../test/support/influxdb.js';
import { recordResult } from './results.js';
import { synthTick } from './support/synth-tick.js';

const arg = (name: string, def: string): string => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
};
const NODES = Number(arg('nodes', '1000'));
const RUNS = Number(arg('runs', '3'));
const CONCURRENCY = arg('concurrency', '2').split(',').map(Number);
const BATCH = Number(arg('batch', '10000'));
const GZIP = process.argv.includes('--gzip');
const WITH_FIELDS = process.argv.includes('--withfields');
const silent = pino({ level: 'silent' });

if (!haveInfluxdb()) {
  console.error('influx-export: install Debian package influxdb');
  process.exit(2);
}

/** The influxdb sink with another request size than its 10,000 points. */
class BatchSizeSink extends InfluxdbSink {
  override *encode(batch: Batch): Generator<Chunk<Buffer>, void, undefined> {
    for (const c of lineProtocolChunks(batch, this.config, BATCH)) {
      yield { payload: c.bytes, points: c.points, timestampMs: batch.timestampMs };
    }
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function procCpuS(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function ownCpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const best = (xs: number[]) => Math.min(...xs);

const t = Math.floor(Date.now() / 60_000) * 60_000;
const ticks = [synthTick(NODES, t - 60_000), synthTick(NODES, t)];
const tickPoints = countPoints(ticks[1]);

interface Sample {
  totalMs: number;
  heapsterCpuS: number;
  influxdCpuS: number;
}

const figures: Record<string, unknown> = {
  nodes: NODES,
  tickPoints,
  batchPoints: BATCH,
  gzip: GZIP,
  withFields: WITH_FIELDS,
  runs: RUNS,
  loadAverage1mAtStart: +os.loadavg()[0].toFixed(1),
};
for (const conc of CONCURRENCY) {
  const samples: Record<'cold' | 'warm', Sample[]> = { cold: [], warm: [] };
  for (let run = 0; run < RUNS; run++) {
    const influx = await startInfluxdb();
    try {
      for (const [label, batch] of [
        ['cold', ticks[0]],
        ['warm', ticks[1]],
      ] as const) {
        const opts = `concurrency=${conc}&queue_points=5000000${GZIP ? '&gzip=true' : ''}${WITH_FIELDS ? '&withfields=true' : ''}`;
        const config = parseInfluxdbUri(parseUri('--sink', `influxdb:${influx.url}?${opts}`, {}));
        const metrics = new SelfMetrics();
        const sink = new QueuedSink(new BatchSizeSink(config, silent), {
          capacity: 3,
          writeTimeoutMs: 120_000,
          flushTimeoutMs: 600_000,
          metrics,
          logger: silent,
        });
        const influxCpu0 = procCpuS(influx.pid());
        const ownCpu0 = ownCpuS();
        const t0 = performance.now();
        await sink.write(batch);
        await sink.close(); // flushes: resolves when every chunk was written
        const totalMs = performance.now() - t0;
        const json = await metrics.registry.getMetricsAsJSON();
        const written = json.find((m) => m.name === 'heapster_sink_points_written_total')?.values[0]
          ?.value;
        if (written !== countPoints(batch)) throw new Error(`${label}: wrote ${written} points`);
        samples[label].push({
          totalMs,
          heapsterCpuS: ownCpuS() - ownCpu0,
          influxdCpuS: procCpuS(influx.pid()) - influxCpu0,
        });
        console.error(
          `concurrency ${conc} run ${run + 1} ${label}: ${Math.round(totalMs)} ms, heapster ${(ownCpuS() - ownCpu0).toFixed(1)} CPU-s, influxd ${(procCpuS(influx.pid()) - influxCpu0).toFixed(1)} CPU-s, load ${os.loadavg()[0].toFixed(1)}`,
        );
      }
    } finally {
      await influx.destroy();
    }
  }
  for (const label of ['cold', 'warm'] as const) {
    const s = samples[label];
    const ms = s.map((x) => x.totalMs);
    figures[`c${conc}_${label}`] = {
      medianMs: Math.round(median(ms)),
      bestMs: Math.round(best(ms)),
      medianPointsPerS: Math.round(tickPoints / (median(ms) / 1000)),
      bestPointsPerS: Math.round(tickPoints / (best(ms) / 1000)),
      fitsIn15s: median(ms) <= 15_000,
      medianHeapsterCpuS: +median(s.map((x) => x.heapsterCpuS)).toFixed(1),
      medianInfluxdCpuS: +median(s.map((x) => x.influxdCpuS)).toFixed(1),
    };
  }
}
figures.loadAverage1mAtEnd = +os.loadavg()[0].toFixed(1);

recordResult(
  'influx-export',
  figures,
  `npm run bench -- influx-export ${process.argv.slice(2).join(' ')}`.trim(),
);
