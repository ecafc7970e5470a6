// The graphite sink against a real carbon-cache (Debian graphite-carbon): every path becomes
// its own whisper file holding our value at our timestamp — labeled values included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { parseUri } from '../src/config/uri.js';
import { countPoints } from '../src/core/batch.js';
import { toGraphiteLines } from '../src/sinks/graphite-sink.js';
import { createSink } from '../src/sinks/registry.js';
import { clusterBatch } from '../src/sinks/testdata/cluster-batch.js';
import { haveCarbon, startCarbon } from './support/carbon.js';
import { need, waitFor } from './support/services.js';

const ctx = { nodeName: 'n', resolutionMs: 1000, logger: pino({ level: 'silent' }) };

test('graphite to carbon-cache over TCP: one whisper file per path with our value and time', async (t) => {
  if (!need(t, haveCarbon(), 'install Debian package graphite-carbon')) return;
  const carbon = await startCarbon();
  try {
    const ts = Math.floor(Date.now() / 1000) * 1000 - 5000;
    const batch = clusterBatch(ts);
    const want = new Map<string, number>();
    for (const c of toGraphiteLines(batch, 'kubernetes')) {
      for (const line of c.text.trimEnd().split('\n')) {
        const [path, value] = line.split(' ');
        want.set(path, Number(value));
      }
    }
    assert.equal(want.size, countPoints(batch));
    const sink = createSink(parseUri('--sink', `graphite:tcp://127.0.0.1:${carbon.port}`, {}), ctx);
    await sink.write(batch);
    await sink.close();
    for (const [path, value] of want) {
      const points = await waitFor(`whisper data of ${path}`, async () => {
        const p = await carbon.fetch(path, ts / 1000 - 10);
        return p.length > 0 ? p : undefined;
      });
      assert.deepEqual(points, [[ts / 1000, value]], path);
    }
  } finally {
    await carbon.stop();
  }
});
