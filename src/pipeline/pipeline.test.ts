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
import { PermanentWriteError, QueuedSink, backoffDelayMs } from './sink-queue.js';
import type { ChunkedSink } from './sink-queue.js';
import { pino } from 'pino';

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
      setLatest: () => undefined,
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

/** A batch of one node with 10 values (the point sinks below count 10 points per batch). */
function tenPoints(timestampMs: number): Batch {
  const b = emptyBatch(timestampMs);
  const set = newMetricSet('node', { nodename: 'n' }, { scrapeTimeMs: timestampMs });
  for (let i = 0; i < 10; i++) set.values.set(`custom/m${i}`, i);
  b.sets.set(nodeKey('n'), set);
  return b;
}

/** A point sink for runtime tests: one chunk of `points` per batch; `send` is scripted. */
function pointSink(
  name: string,
  runtime: { capacityPoints: number; concurrency?: number; retryMaxDelayMs?: number },
  send: (payload: number, signal: AbortSignal) => Promise<void>,
  points = 10,
): ChunkedSink<number> {
  return {
    name,
    runtime: { concurrency: 1, retryMaxDelayMs: 100, ...runtime },
    encode: (b) => [{ payload: b.timestampMs, points, timestampMs: b.timestampMs }],
    send,
    async write() {},
    async close() {},
  };
}

function captureLogger(): { logger: typeof logger; lines: () => string[] } {
  const out: string[] = [];
  const l = pino({ level: 'info' }, { write: (s: string) => out.push(s) });
  return { logger: l, lines: () => out };
}

test('sink runtime: failed requests are retried with backoff until they succeed; each point is written once', async () => {
  const metrics = new SelfMetrics();
  const delivered: number[] = [];
  let calls = 0;
  const sink = pointSink('flaky', { capacityPoints: 1000 }, async (ts) => {
    calls++;
    if (calls <= 3) throw new Error('connection refused');
    delivered.push(ts);
  });
  const q = new QueuedSink(sink, { capacity: 3, writeTimeoutMs: 1000, metrics, logger });
  for (let i = 1; i <= 4; i++) await q.write(tenPoints(i));
  await q.close();
  assert.deepEqual(delivered, [1, 2, 3, 4]);
  assert.equal(calls, 7);
  assert.equal(
    await metricValue(metrics, 'heapster_sink_points_written_total', { sink: 'flaky' }),
    40,
  );
  assert.equal(
    await metricValue(metrics, 'heapster_sink_points_retried_total', { sink: 'flaky' }),
    30,
  );
  assert.equal(
    await metricValue(metrics, 'heapster_sink_write_errors_total', { sink: 'flaky' }),
    3,
  );
  assert.equal(await metricValue(metrics, 'heapster_sink_queue_points', { sink: 'flaky' }), 0);
});

test('sink runtime: a full queue drops the oldest points, counts them and logs the sink and count', async () => {
  const metrics = new SelfMetrics();
  const cap = captureLogger();
  let up = false;
  const delivered: number[] = [];
  const sink = pointSink('down', { capacityPoints: 30 }, async (ts) => {
    if (!up) throw new Error('down');
    delivered.push(ts);
  });
  const q = new QueuedSink(sink, {
    capacity: 3,
    writeTimeoutMs: 1000,
    metrics,
    logger: cap.logger,
  });
  for (let i = 1; i <= 6; i++) await q.write(tenPoints(i * 1000));
  assert.ok(q.queuedPoints <= 30);
  up = true;
  await q.close();
  assert.deepEqual(delivered, [4000, 5000, 6000]);
  assert.equal(
    await metricValue(metrics, 'heapster_sink_points_dropped_total', {
      sink: 'down',
      reason: 'queue_full',
    }),
    30,
  );
  const drops = cap.lines().filter((l) => l.includes('queue full'));
  assert.equal(drops.length, 3);
  assert.match(
    drops[0],
    /sink down: queue full \(capacity 30 points\), dropped the 10 oldest points/,
  );
});

test('sink runtime: a dead sink never delays the writer or another sink; each request times out', async () => {
  const metrics = new SelfMetrics();
  const hung = pointSink(
    'hung',
    { capacityPoints: 100 },
    (_ts, signal) =>
      new Promise<void>((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason)),
      ),
  );
  const fastGot: number[] = [];
  const fast = pointSink('fast', { capacityPoints: 100 }, async (ts) => {
    fastGot.push(ts);
  });
  const qHung = new QueuedSink(hung, {
    capacity: 3,
    writeTimeoutMs: 50,
    flushTimeoutMs: 300,
    metrics,
    logger,
  });
  const qFast = new QueuedSink(fast, { capacity: 3, writeTimeoutMs: 50, metrics, logger });
  const t0 = performance.now();
  for (let i = 1; i <= 3; i++)
    await Promise.all([qHung.write(tenPoints(i)), qFast.write(tenPoints(i))]);
  assert.ok(performance.now() - t0 < 50, 'write only enqueues');
  await qFast.close();
  assert.deepEqual(fastGot, [1, 2, 3]);
  await qHung.close();
  assert.ok(
    (await metricValue(metrics, 'heapster_sink_write_errors_total', { sink: 'hung' })) >= 2,
  );
  assert.equal(
    await metricValue(metrics, 'heapster_sink_points_dropped_total', {
      sink: 'hung',
      reason: 'shutdown',
    }),
    30,
  );
  assert.equal(
    await metricValue(metrics, 'heapster_sink_points_written_total', { sink: 'hung' }),
    0,
  );
});

test('sink runtime: a rejected chunk (PermanentWriteError) is dropped and counted, not retried', async () => {
  const metrics = new SelfMetrics();
  let calls = 0;
  const sink = pointSink('picky', { capacityPoints: 100 }, async (ts) => {
    calls++;
    if (ts === 1) throw new PermanentWriteError('HTTP 400: field type conflict');
  });
  const q = new QueuedSink(sink, { capacity: 3, writeTimeoutMs: 1000, metrics, logger });
  await q.write(tenPoints(1));
  await q.write(tenPoints(2));
  await q.close();
  assert.equal(calls, 2);
  assert.equal(
    await metricValue(metrics, 'heapster_sink_points_dropped_total', {
      sink: 'picky',
      reason: 'rejected',
    }),
    10,
  );
  assert.equal(
    await metricValue(metrics, 'heapster_sink_points_written_total', { sink: 'picky' }),
    10,
  );
});

test('sink runtime: concurrency bounds requests in flight', async () => {
  const metrics = new SelfMetrics();
  let inFlight = 0;
  let most = 0;
  const sink = pointSink('par', { capacityPoints: 1000, concurrency: 3 }, async () => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, 20));
    inFlight--;
  });
  const q = new QueuedSink(sink, { capacity: 3, writeTimeoutMs: 1000, metrics, logger });
  for (let i = 1; i <= 10; i++) await q.write(tenPoints(i));
  await q.close();
  assert.equal(most, 3);
  assert.equal(
    await metricValue(metrics, 'heapster_sink_points_written_total', { sink: 'par' }),
    100,
  );
});

test('backoffDelayMs doubles from 500 ms up to the cap, with jitter in [0.5, 1)', () => {
  assert.equal(
    backoffDelayMs(1, 30_000, () => 0),
    250,
  );
  assert.equal(
    backoffDelayMs(2, 30_000, () => 0.5),
    750,
  );
  assert.equal(
    backoffDelayMs(3, 30_000, () => 0),
    1000,
  );
  assert.equal(
    backoffDelayMs(20, 30_000, () => 0),
    15_000,
  );
  assert.ok(backoffDelayMs(20, 30_000, () => 0.999999) < 30_000);
});

test('sink runtime: batches are encoded chunk by chunk when sent; the newest batch is kept whole even above capacity', async () => {
  const metrics = new SelfMetrics();
  const cap = captureLogger();
  let encoded = 0;
  const sent: string[] = [];
  let open: () => void = () => undefined;
  const gate = new Promise<void>((r) => (open = r));
  const sink: ChunkedSink<string> = {
    name: 'lazy',
    runtime: { capacityPoints: 5, concurrency: 1, retryMaxDelayMs: 100 },
    *encode(b) {
      for (let i = 0; i < 2; i++) {
        encoded++;
        yield { payload: `${b.timestampMs}/${i}`, points: 5, timestampMs: b.timestampMs };
      }
    },
    async send(p) {
      await gate;
      sent.push(p);
    },
    async write() {},
    async close() {},
  };
  const q = new QueuedSink(sink, {
    capacity: 3,
    writeTimeoutMs: 1000,
    metrics,
    logger: cap.logger,
  });
  await q.write(tenPoints(1));
  // The first chunk was pulled for sending at once; the second waits unencoded.
  assert.equal(encoded, 1);
  assert.equal(q.queuedPoints, 10);
  await q.write(tenPoints(2)); // batch 1's unsent half is dropped for batch 2, which is kept whole
  open();
  await q.close();
  assert.deepEqual(sent, ['1/0', '2/0', '2/1']);
  assert.equal(
    await metricValue(metrics, 'heapster_sink_points_dropped_total', {
      sink: 'lazy',
      reason: 'queue_full',
    }),
    5,
  );
  assert.ok(
    cap
      .lines()
      .some((l) => l.includes('one batch has 10 points, more than the queue capacity of 5')),
  );
});
