// The pipeline's per-node streaming (parts processed and stored as nodes answer) gives the
// same batch and the same stored history as processing each tick's whole batch at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyBatch, newMetricSet } from '../core/batch.js';
import type { Batch } from '../core/batch.js';
import type { Processor, Source, Window } from '../core/contracts.js';
import { nodeKey } from '../core/keys.js';
import { rootLogger } from '../core/log.js';
import { SelfMetrics } from '../core/self-metrics.js';
import {
  RateCalculator,
  createClusterAggregator,
  createNamespaceAggregator,
  createNodeAggregator,
  createNodeUtilization,
  createPodAggregator,
  defaultProcessors,
} from '../processors/index.js';
import { ClusterModel } from '../sim/cluster-model.js';
import { buildSummary } from '../sim/summary-format.js';
import { summaryToSets } from '../sources/kubernetes/summary-parser.js';
import { TsdbStore } from '../store/tsdb-store.js';
import { Pipeline } from './pipeline.js';
import type { PipelineOptions } from './pipeline.js';
import { pino } from 'pino';

const logger = rootLogger.child({ test: 'streaming' });
logger.level = 'silent';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const STEP = 15_000;

/** Each node's sets at `endMs`, read from the simulator's summaries. */
function nodeParts(model: ClusterModel, endMs: number): Batch[] {
  return model.nodes.map((n) => {
    const part = emptyBatch(endMs);
    const id = { nodeName: n.name, hostname: n.name, hostId: n.uid };
    summaryToSets(JSON.parse(JSON.stringify(buildSummary(n, endMs))), id, endMs, part);
    return part;
  });
}

function pipeline(
  store: TsdbStore,
  source: Source,
  overrides: Partial<PipelineOptions> = {},
): Pipeline {
  return new Pipeline({
    sources: [source],
    processors: defaultProcessors(),
    store,
    sinks: [],
    resolutionMs: STEP,
    scrapeOffsetMs: 0,
    scrapeTimeoutMs: 5_000,
    metrics: new SelfMetrics(),
    logger,
    ...overrides,
  });
}

/** A part holding one node set with `memory/usage` = `value`. */
function nodePart(node: string, value: number): Batch {
  const b = emptyBatch(0);
  const s = newMetricSet('node', { nodename: node }, { scrapeTimeMs: T0 });
  s.values.set('memory/usage', value);
  b.sets.set(nodeKey(node), s);
  return b;
}

/** Every stored series' points, as text lines, sorted. */
function dump(store: TsdbStore): string[] {
  const out: string[] = [];
  for (const s of store.series()) {
    const labels =
      s.labels === undefined
        ? undefined
        : Object.fromEntries(s.labels.split(',').map((kv) => kv.split('=') as [string, string]));
    const pts = store.query({ key: s.key, metric: s.metric, labels, startMs: 0, endMs: Infinity });
    out.push(`${s.key} ${s.metric} ${s.labels ?? ''} ${JSON.stringify(pts)}`);
  }
  return out.sort();
}

function setsText(b: Batch): string[] {
  return [...b.sets]
    .map(
      ([k, s]) =>
        `${k} ${JSON.stringify(s.labels)} ${JSON.stringify([...s.values].sort())} ` +
        `${JSON.stringify(s.labeled)} ${s.scrapeTimeMs} ${s.collectionStartMs} ${s.createMs}`,
    )
    .sort();
}

test('per-node parts give the same batches and stored series as whole batches', async () => {
  let now = T0;
  const model = new ClusterModel({
    nodes: 4,
    podsPerNode: 5,
    containersPerPod: 2,
    seed: 7,
    nowMs: () => now,
  });
  const streamed = new TsdbStore();
  const whole = new TsdbStore();
  let parts: Batch[] = [];
  const partSource: Source = {
    name: 'parts',
    async scrape(_w: Window, _s: AbortSignal, onPart?: (b: Batch) => void) {
      assert.ok(onPart, 'the pipeline offers onPart');
      // Answers arrive over time, in an order unrelated to the node list.
      for (const p of [...parts].reverse()) {
        await new Promise((r) => setImmediate(r));
        onPart(p);
      }
      return emptyBatch(0);
    },
  };
  // The reference: Heapster's original chain order, each whole batch through `process`.
  const chain = [
    new RateCalculator(),
    createPodAggregator(),
    createNamespaceAggregator(),
    createNodeAggregator(),
    createClusterAggregator(),
    createNodeUtilization(),
  ];
  const a = pipeline(streamed, partSource);
  for (let i = 1; i <= 3; i++) {
    now = T0 + i * STEP;
    parts = nodeParts(model, now);
    const x = await a.runTick({ startMs: now - STEP, endMs: now });
    let y = emptyBatch(now);
    for (const p of nodeParts(model, now)) p.sets.forEach((set, k) => y.sets.set(k, set));
    for (const p of chain) y = p.process(y);
    whole.append(y);
    assert.deepEqual(setsText(x), setsText(y), `tick ${i}`);
    assert.equal(streamed.latest(), x, 'latest() is the whole batch, not a part');
  }
  const last = streamed.latest()!;
  // The chain did its work: rates per container, roll-ups to pods, namespaces and cluster.
  assert.ok([...last.sets.values()].some((s) => s.values.has('cpu/usage_rate')));
  assert.ok(last.sets.get('cluster')?.values.has('cpu/usage_rate'));
  assert.ok(last.sets.size > 4 * 5 * 3);
  const dumped = dump(streamed);
  assert.ok(dumped.length > 100, `${dumped.length} series dumped`);
  assert.deepEqual(dumped, dump(whole));
  assert.equal(streamed.seriesCount(), whole.seriesCount());
});

test('a part handed over after the source timed out is not stored', async () => {
  let late: ((b: Batch) => void) | undefined;
  const store = new TsdbStore();
  const slow: Source = {
    name: 'slow',
    scrape(_w, signal, onPart) {
      late = onPart;
      return new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new Error('aborted')));
      });
    },
  };
  const p = pipeline(store, slow, { scrapeTimeoutMs: 30 });
  let now = T0;
  const model = new ClusterModel({
    nodes: 1,
    podsPerNode: 1,
    containersPerPod: 1,
    seed: 1,
    nowMs: () => now,
  });
  now = T0 + STEP;
  const batch = await p.runTick({ startMs: T0, endMs: now });
  late!(nodeParts(model, now)[0]);
  assert.deepEqual([...batch.sets.keys()], ['cluster']);
  assert.deepEqual(
    store.keys().filter((k) => k !== 'cluster'),
    [],
  );
});

test('values a whole-batch processor adds to sets already stored with their part are stored too', async () => {
  const store = new TsdbStore();
  const local: Processor = {
    name: 'local',
    process: (b) => b,
    processPart(b) {
      b.sets.forEach((s) => s.values.set('local', 1));
      return b;
    },
  };
  const wholeStep: Processor = {
    name: 'whole',
    process(b) {
      b.sets.forEach((s) => s.values.set('whole', 2));
      return b;
    },
  };
  const one: Source = {
    name: 'one',
    async scrape(_w, _s, onPart) {
      onPart!(nodePart('n', 5));
      return emptyBatch(0);
    },
  };
  const p = pipeline(store, one, { processors: [local, wholeStep] });
  await p.runTick({ startMs: T0, endMs: T0 + STEP });
  const values = (metric: string): number[] =>
    store.query({ key: nodeKey('n'), metric, startMs: 0, endMs: Infinity }).map((x) => x.value);
  assert.deepEqual(values('memory/usage'), [5]);
  assert.deepEqual(values('local'), [1]);
  assert.deepEqual(values('whole'), [2]);
  // Each value once: the hour roll-up counts every append.
  assert.equal(store.seriesCount(), 3);
});

test('a node-local step that fails on every part is counted per part, logged once per tick, and skipped', async () => {
  const lines: string[] = [];
  const captured = pino({ level: 'error' }, { write: (s: string) => lines.push(s) });
  const metrics = new SelfMetrics();
  const store = new TsdbStore();
  const broken: Processor = {
    name: 'broken',
    process: (b) => b,
    processPart() {
      throw new Error('boom');
    },
  };
  const three: Source = {
    name: 'three',
    async scrape(_w, _s, onPart) {
      for (const n of ['a', 'b', 'c']) onPart!(nodePart(n, 7));
      return emptyBatch(0);
    },
  };
  const p = pipeline(store, three, { processors: [broken], metrics, logger: captured });
  const batch = await p.runTick({ startMs: T0, endMs: T0 + STEP });
  assert.deepEqual([...batch.sets.keys()].sort(), ['node:a', 'node:b', 'node:c']);
  assert.deepEqual(store.keys(), ['node:a', 'node:b', 'node:c']);
  const errors = (await metrics.registry.getMetricsAsJSON())
    .find((m) => m.name === 'heapster_processor_errors_total')
    ?.values.find((v) => v.labels.processor === 'broken')?.value;
  assert.equal(errors, 3);
  assert.equal(lines.filter((l) => l.includes('processor broken failed')).length, 1);
});
