// The embedded store on realistic synthetic history: `npm run bench -- store [nodes] [hours]`.
// Per node 12 series (counters, gauges, rates, constants, one labeled; see store-data.ts) every
// 60 s. Reports bytes/sample (memory, disk; per kind), append rate (persistent store, WAL
// included), query latencies (medians), a cluster-wide aggregate, restart time, and heap
// against MemoryStore, each store measured in a fresh child process.
// `npm run bench -- store real DATA_DIR`: bytes/sample of a data dir the daemon recorded.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { metricDescriptor } from '../src/core/metrics.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { flushStore, openTsdbStore } from '../src/store/store-files.js';
import { TsdbStore } from '../src/store/tsdb-store.js';
import type { RawTier } from '../src/store/tier.js';
import { KIND, SERIES_PER_NODE, T0, benchBatches } from './store-data.js';
import { recordResult } from './results.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const STEP = 60_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const heap = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Encoded bytes and samples of a tier's sealed blocks (and head, compacted), by kind. */
function perKind(
  tier: RawTier,
  kindOf: (id: number) => string,
): Record<string, { bytes: number; samples: number }> {
  const out: Record<string, { bytes: number; samples: number }> = {};
  const add = (id: number, bytes: number, samples: number) => {
    const k = kindOf(id);
    out[k] ??= { bytes: 0, samples: 0 };
    out[k].bytes += bytes;
    out[k].samples += samples;
  };
  for (const b of tier.blocks) {
    for (let i = 0; i < b.ids.length; i++)
      add(b.ids[i], b.offsets[i + 1] - b.offsets[i], b.counts[i]);
  }
  tier.forEachHeadChunk((id, bytes, count) => add(id, bytes.length, count));
  return out;
}

function summarize(pk: Record<string, { bytes: number; samples: number }>) {
  let b = 0;
  let s = 0;
  const byKind: Record<string, number> = {};
  for (const [k, v] of Object.entries(pk)) {
    byKind[k] = +(v.bytes / v.samples).toFixed(3);
    b += v.bytes;
    s += v.samples;
  }
  return { overall: +(b / s).toFixed(3), byKind, samples: s };
}

const mode = process.argv[2];

if (mode === 'heap') {
  // Child: heap held by one store kind after `hours` of `nodes` nodes (fresh process).
  const kind = process.argv[3];
  const nodes = Number(process.argv[4]);
  const ticks = (Number(process.argv[5]) * 3_600_000) / STEP;
  const gen = benchBatches(nodes, STEP);
  gen(0); // warm the generator's own state before the baseline
  const before = heap();
  const store =
    kind === 'memory' ? new MemoryStore({ retentionMs: 24 * 3_600_000 }) : new TsdbStore();
  for (let k = 1; k <= ticks; k++) store.append(gen(k));
  const bytes = heap() - before;
  if (store.latest() === undefined) throw new Error('empty');
  console.log(JSON.stringify({ bytes }));
} else if (mode === 'real') {
  // Bytes per sample of the history in a data dir (a copy is opened; the original is kept).
  const src = process.argv[3];
  const dir = mkdtempSync(join(tmpdir(), 'heapster-bench-real-'));
  cpSync(src, dir, { recursive: true });
  const store = openTsdbStore({ dataDir: dir, logger: pino({ level: 'warn' }) });
  const kinds = new Map<number, string>();
  let seconds = 0;
  for (const s of store.series()) {
    const r = store.raw.read(s.id, -Infinity, Infinity);
    let constant = true;
    for (let i = 1; i < r.n; i++) if (!Object.is(r.vs[i], r.vs[0])) constant = false;
    const desc = metricDescriptor(s.metric);
    kinds.set(
      s.id,
      constant
        ? 'constant'
        : desc?.rate
          ? 'counter'
          : s.metric.endsWith('_rate')
            ? 'rate'
            : 'gauge',
    );
    if (r.n > 1) seconds = Math.max(seconds, (r.ts[r.n - 1] - r.ts[0]) / 1000);
  }
  const raw = summarize(perKind(store.raw, (id) => kinds.get(id) ?? 'gauge'));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  recordResult(
    'store-real',
    {
      source: 'this machine, local source through the main pipeline, --metric_resolution=1s',
      series: kinds.size,
      seconds: Math.round(seconds),
      samples: raw.samples,
      encodedBytesPerSample: raw.overall,
      bytesPerSampleByKind: raw.byKind,
      seriesByKind: Object.fromEntries(
        [...new Set(kinds.values())].map((k) => [
          k,
          [...kinds.values()].filter((x) => x === k).length,
        ]),
      ),
    },
    `npm run bench -- store real ${src}`,
  );
} else {
  const nodes = Number(process.argv[2] ?? 1000);
  const hours = Number(process.argv[3] ?? 24);
  const ticks = (hours * 3_600_000) / STEP;
  const gen = benchBatches(nodes, STEP);
  const dir = mkdtempSync(join(tmpdir(), 'heapster-bench-store-'));
  const opts = {
    dataDir: dir,
    logger: pino({ level: 'warn' }),
    retentionRawMs: 24 * 3_600_000,
    retentionMs: 30 * 24 * 3_600_000,
  };

  // 1. Persistent store: append time only (batch building excluded), WAL records included.
  const store = openTsdbStore(opts);
  let appendMs = 0;
  let appendCpuMs = 0;
  let samples = 0;
  // Batches are built 60 at a time and the generator's garbage collected before the timed
  // appends, so that the figure is the store's own cost (its own garbage included).
  for (let k0 = 0; k0 < ticks; k0 += 60) {
    const batches = [];
    for (let k = k0; k < Math.min(ticks, k0 + 60); k++) batches.push(gen(k));
    await flushStore(store);
    gc();
    const c = process.cpuUsage();
    const t = performance.now();
    for (const b of batches) store.append(b);
    appendMs += performance.now() - t;
    const d = process.cpuUsage(c);
    appendCpuMs += (d.user + d.system) / 1000;
    samples += batches.length * nodes * SERIES_PER_NODE;
  }
  await flushStore(store);
  const last = T0 + (ticks - 1) * STEP;
  const byId = store.seriesById();
  const raw = summarize(perKind(store.raw, (id) => KIND[byId.get(id)!.metric]));
  const mem = store.memoryBytes();

  // Queries.
  const q1h: number[] = [];
  const q24h: number[] = [];
  for (let r = 0; r < 200; r++) {
    const key = `node:node-${Math.floor(Math.random() * nodes)}`;
    let t = performance.now();
    const a = store.query({ key, metric: 'memory/usage', startMs: last - 3_600_000, endMs: last });
    q1h.push(performance.now() - t);
    t = performance.now();
    const b = store.query({ key, metric: 'memory/usage', startMs: last - 86_400_000, endMs: last });
    q24h.push(performance.now() - t);
    if (a.length < 60 || b.length < Math.min(ticks, 1440) - 1) throw new Error('short query');
  }
  const agg: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    const sum = new Map<number, number>();
    for (let i = 0; i < nodes; i++) {
      for (const b of store.queryAggregated({
        key: `node:node-${i}`,
        metric: 'cpu/usage_rate',
        startMs: last - 86_400_000,
        endMs: last,
        stepMs: 3_600_000,
      })) {
        sum.set(b.startMs, (sum.get(b.startMs) ?? 0) + b.average);
      }
    }
    agg.push(performance.now() - t);
  }
  await store.close();

  let diskBytes = 0;
  let rawBlockBytes = 0;
  for (const sub of ['', 'wal', 'blocks']) {
    for (const f of readdirSync(join(dir, sub))) {
      const s = statSync(join(dir, sub, f));
      if (!s.isFile()) continue;
      diskBytes += s.size;
      if (sub === 'blocks' && f.startsWith('raw-')) rawBlockBytes += s.size;
    }
  }
  const sealedSamples = store.raw.blocks.reduce(
    (a, b) => a + b.counts.reduce((x, y) => x + y, 0),
    0,
  );
  const restart: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    const s2 = openTsdbStore(opts);
    restart.push(performance.now() - t);
    await s2.close();
  }
  rmSync(dir, { recursive: true, force: true });

  // 2. Heap of each store on the same data, each in a fresh process.
  const self = fileURLToPath(import.meta.url);
  const childHeap = (kind: string): number => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', self, 'heap', kind, String(nodes), String(hours)],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    if (r.status !== 0) throw new Error(`heap child ${kind} failed: ${r.stderr}`);
    return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { bytes: number }).bytes;
  };
  const tsdbHeap = childHeap('tsdb');
  const memoryHeap = childHeap('memory');

  recordResult(
    'store',
    {
      nodes,
      hours,
      resolution: '60s',
      seriesPerNode: SERIES_PER_NODE,
      samples,
      data: 'store-data.ts: counters at a steady rate ±2-5 % jitter, gauges changing rarely, rates from counter deltas',
      encodedBytesPerSample: raw.overall,
      bytesPerSampleByKind: raw.byKind,
      memoryBytesPerSampleAllTiers: +(
        (mem.raw + mem.minute + mem.hour + mem.index) /
        samples
      ).toFixed(3),
      memoryBytesByPart: mem,
      diskBytesPerSampleRawBlocks: +(rawBlockBytes / sealedSamples).toFixed(3),
      diskBytesPerSampleAll: +(diskBytes / samples).toFixed(3),
      diskBytesTotalMiB: +(diskBytes / 2 ** 20).toFixed(1),
      appendSamplesPerSecond: Math.round(samples / (appendMs / 1000)),
      appendSamplesPerCpuSecond: Math.round(samples / (appendCpuMs / 1000)),
      query1hMedianMs: +median(q1h).toFixed(3),
      query24hMedianMs: +median(q24h).toFixed(3),
      clusterAggregate24hStep1hMedianMs: +median(agg).toFixed(1),
      restartMedianMs: Math.round(median(restart)),
      heapMiB: +(tsdbHeap / 2 ** 20).toFixed(1),
      heapBytesPerSample: +(tsdbHeap / samples).toFixed(3),
      memoryStoreHeapMiB: +(memoryHeap / 2 ** 20).toFixed(1),
    },
    `npm run bench -- store ${nodes} ${hours}`,
  );
}
