import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { decodeEvent } from './decode.js';
import { EventerMetrics } from './eventer-metrics.js';
import { Eventer, MAX_TICK_AGE_MS } from './eventer.js';
import type { KubeEvent } from './types.js';
import { POD_EVENT } from './testdata/events.js';

const logger = pino({ level: 'silent' });

function at(uid: string, ms: number): KubeEvent {
  const e = decodeEvent(POD_EVENT);
  assert.ok(e);
  return { ...e, uid, lastTimestampMs: ms };
}

test('Eventer: each tick writes the buffered events in time order to every sink; empty ticks write nothing; stop flushes and closes', async () => {
  let pending: KubeEvent[] = [];
  let dropped = 0;
  const feed = {
    take: () => {
      const out = { events: pending, dropped };
      pending = [];
      dropped = 0;
      return out;
    },
  };
  const written: Record<string, (readonly KubeEvent[])[]> = { a: [], b: [] };
  const closed: string[] = [];
  const sink = (name: string, fail = false) => ({
    name,
    async write(events: readonly KubeEvent[]) {
      written[name].push(events);
      if (fail) throw new Error('backend down');
    },
    async close() {
      closed.push(name);
    },
  });
  let now = 1_000_000;
  const metrics = new EventerMetrics();
  const eventer = new Eventer({
    feed,
    sinks: [sink('a', true), sink('b')],
    frequencyMs: 1000,
    metrics,
    logger,
    now: () => now,
  });
  pending = [at('late', 30), at('early', 10), at('mid', 20)];
  dropped = 2;
  assert.equal(eventer.tick(), 3);
  assert.deepEqual(
    written.b[0].map((e) => e.uid),
    ['early', 'mid', 'late'],
  );
  assert.equal(written.a[0], written.b[0], 'the same list to every sink');
  assert.ok(Object.isFrozen(written.a[0]));
  assert.equal(eventer.tick(), 0);
  assert.equal(written.b.length, 1, 'an empty tick writes nothing');
  assert.deepEqual(eventer.health(), { ok: true });
  now += MAX_TICK_AGE_MS + 1;
  assert.equal(eventer.health().ok, false);
  pending = [at('last', 40)];
  await eventer.stop();
  assert.deepEqual(
    written.b.map((l) => l.map((e) => e.uid)),
    [['early', 'mid', 'late'], ['last']],
    'stop runs a last tick',
  );
  assert.deepEqual(closed.sort(), ['a', 'b']);
  const text = await metrics.registry.metrics();
  assert.match(text, /eventer_scraper_events_total_number 4/);
  assert.doesNotMatch(text, /heapster_ticks_total/, 'no main-job metrics');
});
