import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyBatch, newMetricSet } from '../core/batch.js';
import { nodeKey } from '../core/keys.js';
import { MemoryStore } from '../store/memory-store.js';
import { StoreSink } from './metric-sink.js';

test('StoreSink appends every batch to the store', async () => {
  const store = new MemoryStore();
  const sink = new StoreSink(store);
  assert.equal(sink.name, 'metric');
  for (let i = 0; i < 3; i++) {
    const b = emptyBatch(60_000 * (i + 1));
    const set = newMetricSet('node', {}, { scrapeTimeMs: b.timestampMs });
    set.values.set('memory/usage', i);
    b.sets.set(nodeKey('n1'), set);
    await sink.write(b);
  }
  await sink.close();
  assert.equal(store.latest()?.timestampMs, 180_000);
  assert.deepEqual(
    store
      .query({ key: nodeKey('n1'), metric: 'memory/usage', startMs: 0, endMs: Infinity })
      .map((p) => p.value),
    [0, 1, 2],
  );
});

test('StoreSink rejects (never throws synchronously) when the store fails', async () => {
  const sink = new StoreSink({
    append() {
      throw new Error('boom');
    },
    setLatest: () => undefined,
    query: () => [],
    latest: () => undefined,
    metricNames: () => [],
    retentionMs: 1,
  });
  await assert.rejects(sink.write(emptyBatch(0)), /boom/);
});
