import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyBatch, newMetricSet } from '../core/batch.js';
import type { Batch } from '../core/batch.js';
import type { Processor, Sink, Source, Window } from '../core/contracts.js';
import { rootLogger } from '../core/log.js';
import { SelfMetrics } from '../core/self-metrics.js';
import { nodeKey } from '../core/keys.js';
import { Pipeline } from './pipeline.js';
import { nextTick } from './schedule.js';
import { QueuedSink } from './sink-queue.js';

const logger = rootLogger.child({ test: 'pipeline' });
logger.level = 'silent';

function source(name: string, fn: (w: Window, signal: AbortSignal) => Promise<Batch>): Source {
  return { name, scrape: fn };
}

function nodeBatch(w: Window, node: string): Batch {
  const b = emptyBatch(w.endMs);
  const set = newMetricSet('node', { nodename: node }, { scrapeTimeMs: w.endMs });
  set.values.set('memory/usage', 42);
  b.sets.set(nodeKey(node), set);
  return b;
}

async function metricValue(
  m: SelfMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const json = await m.registry.getMetricsAsJSON();
  const metric = json.find((x) => x.name === name);
  const v = metric?.values.find((x) =>
    Object.entries(labels).every(([k, val]) => x.labels[k] === val),
  );
  return v?.value ?? 0;
}

test('nextTick aligns windows to the resolution and fires offset after the window end', () => {
  const t = nextTick(Date.UTC(2026, 0, 1, 10, 0, 7, 300), 60_000, 5_000);
  assert.equal(new Date(t.window.endMs).toISOString(), '2026-01-01T10:01:00.000Z');
  assert.equal(t.window.startMs, t.window.endMs - 60_000);
  assert.equal(t.fireAtMs, t.window.endMs + 5_000);
  // Just before the offset passes: the window that just closed is still due.
  const u = nextTick(Date.UTC(2026, 0, 1, 10, 0, 4, 0), 60_000, 5_000);
  assert.equal(new Date(u.window.endMs).toISOString(), '2026-01-01T10:00:00.000Z');
  // 1 s resolution.
  const v = nextTick(Date.UTC(2026, 0, 1, 10, 0, 0, 600), 1_000, 250);
  assert.equal(new Date(v.window.endMs).toISOString(), '2026-01-01T10:00:01.000Z');
  assert.equal(v.fireAtMs - v.window.endMs, 250);
});

test('a tick merges all sources; a failing and a hanging source do not fail it', async () => {
  const metrics = new SelfMetrics();
  let aborted = false;
  const p = new Pipeline({
    sources: [
      source('good', async (w) => nodeBatch(w, 'a')),
      source('bad', async () => {
        throw new Error('kubelet said no');
      }),
      source('slow', (w, signal) => {
        return new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            setTimeout(() => resolve(nodeBatch(w, 'late')), 5);
          });
        });
      }),
    ],
    processors: [],
    sinks: [],
    resolutionMs: 1000,
    scrapeOffsetMs: 0,
    scrapeTimeoutMs: 50,
    metrics,
    logger,
  });
  const batch = await p.runTick({ startMs: 0, endMs: 1000 });
  assert.deepEqual([...batch.sets.keys()], ['node:a']);
  assert.equal(batch.timestampMs, 1000);
  assert.ok(aborted, 'the hanging source was told to stop');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(await metricValue(metrics, 'heapster_scraper_errors_total', { source: 'bad' }), 1);
  assert.equal(await metricValue(metrics, 'heapster_scraper_errors_total', { source: 'slow' }), 1);
  assert.equal(await metricValue(metrics, 'heapster_scraper_late_total', { source: 'slow' }), 1);
  assert.equal(await metricValue(metrics, 'heapster_points_per_tick'), 1);
});

test('processors run in order; a throwing processor is skipped, the batch goes on to store and sinks', async () => {
  const metrics = new SelfMetrics();
  const order: string[] = [];
  const mk = (name: string, fail = false): Processor => ({
    name,
    process(b) {
      order.push(name);
      if (fail) throw new Error('boom');
      for (const s of b.sets.values()) s.values.set(name, 1);
      return b;
    },
  });
  const written: Batch[] = [];
  const sink: Sink = {
    name: 'mem',
    async write(b) {
      written.push(b);
    },
    async close() {},
  };
  const appended: Batch[] = [];
  const p = new Pipeline({
    sources: [source('s', async (w) => nodeBatch(w, 'n'))],
    processors: [mk('first'), mk('broken', true), mk('third')],
    store: {
      append: (b) => appended.push(b),
      query: () => [],
      latest: () => appended.at(-1),
      metricNames: () => [],
      retentionMs: 0,
    },
    sinks: [sink],
    resolutionMs: 1000,
    scrapeOffsetMs: 0,
    scrapeTimeoutMs: 100,
    metrics,
    logger,
  });
  await p.runTick({ startMs: 0, endMs: 1000 });
  assert.deepEqual(order, ['first', 'broken', 'third']);
  assert.equal(written.length, 1);
  assert.equal(appended.length, 1);
  const set = written[0].sets.get('node:n');
  assert.equal(set?.values.get('first'), 1);
  assert.equal(set?.values.get('third'), 1);
  assert.equal(
    await metricValue(metrics, 'heapster_processor_errors_total', { processor: 'broken' }),
    1,
  );
});

test('ticks never overlap: a tick due while one runs is skipped and counted', async () => {
  const metrics = new SelfMetrics();
  let running = 0;
  let maxRunning = 0;
  let scrapes = 0;
  const p = new Pipeline({
    sources: [
      source('slow', async (w) => {
        running++;
        scrapes++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 130));
        running--;
        return nodeBatch(w, 'n');
      }),
    ],
    processors: [],
    sinks: [],
    resolutionMs: 40,
    scrapeOffsetMs: 0,
    scrapeTimeoutMs: 1000,
    metrics,
    logger,
  });
  p.start();
  await new Promise((r) => setTimeout(r, 600));
  await p.stop();
  assert.equal(maxRunning, 1);
  assert.ok(scrapes >= 2, `scraped ${scrapes} times`);
  assert.ok((await metricValue(metrics, 'heapster_ticks_skipped_total')) >= 1);
});

test('the scheduler fires each aligned window once, in order', async () => {
  const metrics = new SelfMetrics();
  const windows: Window[] = [];
  const p = new Pipeline({
    sources: [source('s', async (w) => (windows.push(w), nodeBatch(w, 'n')))],
    processors: [],
    sinks: [],
    resolutionMs: 50,
    scrapeOffsetMs: 5,
    scrapeTimeoutMs: 40,
    metrics,
    logger,
  });
  p.start();
  await new Promise((r) => setTimeout(r, 400));
  await p.stop();
  assert.ok(windows.length >= 4, `ticks: ${windows.length}`);
  for (const w of windows) {
    assert.equal(w.endMs % 50, 0);
    assert.equal(w.endMs - w.startMs, 50);
  }
  // Strictly increasing: no window is scraped twice or out of order (a stalled event loop may skip one).
  for (let i = 1; i < windows.length; i++) assert.ok(windows[i].endMs > windows[i - 1].endMs);
});

test('QueuedSink: a slow sink never blocks the writer; overflow drops the oldest and counts it', async () => {
  const metrics = new SelfMetrics();
  const got: number[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const slow: Sink = {
    name: 'slow',
    async write(b) {
      await gate;
      got.push(b.timestampMs);
    },
    async close() {},
  };
  const q = new QueuedSink(slow, { capacity: 2, writeTimeoutMs: 10_000, metrics, logger });
  const t0 = performance.now();
  for (let i = 1; i <= 5; i++) await q.write(emptyBatch(i));
  assert.ok(performance.now() - t0 < 50, 'write only enqueues');
  // Batch 1 is being written; 2,3 were queued then dropped for 4,5.
  assert.equal(q.depth, 2);
  release();
  await q.close();
  assert.deepEqual(got, [1, 4, 5]);
  assert.equal(
    await metricValue(metrics, 'heapster_exporter_batches_total', {
      exporter: 'slow',
      result: 'dropped',
    }),
    2,
  );
  assert.equal(
    await metricValue(metrics, 'heapster_exporter_batches_total', {
      exporter: 'slow',
      result: 'ok',
    }),
    3,
  );
});

test('QueuedSink: a failing sink is counted as error and the next batch still goes out', async () => {
  const metrics = new SelfMetrics();
  let n = 0;
  const flaky: Sink = {
    name: 'flaky',
    async write() {
      n++;
      if (n === 1) throw new Error('connection refused');
    },
    async close() {},
  };
  const q = new QueuedSink(flaky, { capacity: 4, writeTimeoutMs: 1000, metrics, logger });
  await q.write(emptyBatch(1));
  await q.write(emptyBatch(2));
  await q.close();
  assert.equal(n, 2);
  assert.equal(
    await metricValue(metrics, 'heapster_exporter_batches_total', {
      exporter: 'flaky',
      result: 'error',
    }),
    1,
  );
  assert.equal(
    await metricValue(metrics, 'heapster_exporter_batches_total', {
      exporter: 'flaky',
      result: 'ok',
    }),
    1,
  );
});
