// The event source against the simulated API server (src/sim): what the first list exports,
// watch events, and no loss and no duplicate across an API server restart and a 410 Gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseUri } from '../config/uri.js';
import { ConfigError } from '../config/types.js';
import type { SimEvent } from '../sim/cluster-model.js';
import { startSimulator } from '../sim/simulator.js';
import type { Simulator } from '../sim/simulator.js';
import { EventerMetrics } from './eventer-metrics.js';
import { createKubernetesEventSource } from './kubernetes-event-source.js';
import type { KubernetesEventSource } from './kubernetes-event-source.js';
import type { KubeEvent } from './types.js';

const logger = pino({ level: 'silent' });
const T0 = Math.floor(Date.now() / 1000) * 1000;

/** Every event the simulator emits, by uid. */
function recordEvents(sim: Simulator): Map<string, SimEvent> {
  const out = new Map<string, SimEvent>();
  sim.model.onChange((c) => {
    if (c.kind === 'event') out.set(c.event.uid, c.event);
  });
  return out;
}

function source(sim: Simulator, metrics: EventerMetrics, cutoffMs: number): KubernetesEventSource {
  return createKubernetesEventSource(
    parseUri('--source', `kubernetes:${sim.apiUrl}?inClusterConfig=false`, {}),
    { logger, metrics, initialCutoffMs: cutoffMs, minBackoffMs: 50, maxBackoffMs: 200 },
  );
}

/** Takes from the source until `n` events were taken in all (plus a settle time for extras). */
async function takeUntil(
  src: KubernetesEventSource,
  taken: KubeEvent[],
  n: number,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (taken.length < n) {
    if (Date.now() > deadline) {
      throw new Error(`got ${taken.length} events, expected ${n}`);
    }
    await new Promise((r) => setTimeout(r, 25));
    taken.push(...src.take().events);
  }
  // Anything extra (a duplicate) would arrive with the same watch or relist: give it time.
  await new Promise((r) => setTimeout(r, 300));
  taken.push(...src.take().events);
}

function uids(events: readonly KubeEvent[]): string[] {
  return events.map((e) => e.uid).sort();
}

test('event source: the first list exports only events after the cut-off; watch events follow, decoded', async () => {
  const clock = { now: T0 - 120_000 };
  const sim = await startSimulator({
    nodes: 2,
    podsPerNode: 2,
    containersPerPod: 1,
    nowMs: () => clock.now,
  });
  const emitted = recordEvents(sim);
  const metrics = new EventerMetrics();
  let src: KubernetesEventSource | undefined;
  try {
    sim.churn(); // two events, two minutes old
    clock.now = T0;
    sim.restart(); // one event, recent
    src = source(sim, metrics, T0 - 30_000);
    src.start();
    const taken: KubeEvent[] = [];
    await takeUntil(src, taken, 1);
    assert.equal(src.skippedOld, 2, 'the two old events of the first list are not exported');
    const recent = [...emitted.values()].filter((e) => e.timeMs === T0);
    assert.deepEqual(uids(taken), recent.map((e) => e.uid).sort());
    assert.equal(taken[0].reason, 'BackOff');

    clock.now = T0 + 1000;
    sim.churn();
    await takeUntil(src, taken, 3);
    assert.equal(taken.length, 3);
    const scheduled = taken.find((e) => e.reason === 'Scheduled');
    assert.ok(scheduled, 'watch delivered the Scheduled event');
    const sim1 = emitted.get(scheduled.uid);
    assert.ok(sim1);
    assert.equal(scheduled.namespace, sim1.namespace);
    assert.equal(scheduled.involvedObject.kind, 'Pod');
    assert.equal(scheduled.involvedObject.name, sim1.podName);
    assert.equal(scheduled.involvedObject.uid, sim1.podUid);
    assert.equal(scheduled.sourceHost, sim1.nodeName);
    assert.equal(scheduled.sourceComponent, 'kubelet');
    assert.equal(scheduled.type, 'Normal');
    assert.equal(scheduled.lastTimestampMs, T0 + 1000);
    assert.equal(scheduled.message, sim1.message);
    assert.equal(scheduled.count, 1);
    const text = await metrics.registry.metrics();
    assert.match(text, /eventer_events_received_total\{via="list"\} 1/);
    assert.match(text, /eventer_events_received_total\{via="watch"\} 2/);
  } finally {
    await src?.stop();
    await sim.stop();
  }
});

test('event source: an API server restart and a 410 Gone lose nothing and export nothing twice', async () => {
  // A watch cache of 4 changes: events made while the API server is down push the resource
  // version the eventer resumes from out of the cache, so its watch gets 410 Gone and relists.
  const sim = await startSimulator({
    nodes: 2,
    podsPerNode: 3,
    containersPerPod: 1,
    watchCacheSize: 4,
  });
  const emitted = recordEvents(sim);
  const metrics = new EventerMetrics();
  const src = source(sim, metrics, 0);
  try {
    src.start();
    const taken: KubeEvent[] = [];
    sim.churn();
    await takeUntil(src, taken, 2);

    // A short restart: the events made while it is down come from the watch cache.
    const restarted = sim.restartApi(300);
    sim.restart();
    await restarted;
    await takeUntil(src, taken, 3);

    // A long outage with more changes than the watch cache holds: 410 Gone, then a relist.
    const down = sim.restartApi(500);
    for (let i = 0; i < 4; i++) sim.churn();
    await down;
    await takeUntil(src, taken, 11);

    assert.equal(taken.length, emitted.size, 'as many exported as the cluster made');
    assert.deepEqual(uids(taken), [...emitted.keys()].sort(), 'each event exactly once');
    const text = await metrics.registry.metrics();
    const restarts = Number(/eventer_watch_restarts_total (\d+)/.exec(text)?.[1]);
    assert.ok(restarts >= 1, `the watch was restarted (${restarts})`);
    assert.match(text, /eventer_events_received_total\{via="list"\} [1-9]/, 'a relist happened');
  } finally {
    await src.stop();
    await sim.stop();
  }
});

test('event source: bad key or option is a ConfigError naming it', () => {
  const metrics = new EventerMetrics();
  const mk = (v: string) =>
    createKubernetesEventSource(parseUri('--source', v, {}), {
      logger,
      metrics,
      initialCutoffMs: 0,
    });
  assert.throws(
    () => mk('kubernetes.summary_api:http://127.0.0.1:1?inClusterConfig=false'),
    (e: unknown) =>
      e instanceof ConfigError && /unknown event source "kubernetes.summary_api"/.test(e.message),
  );
  assert.throws(
    () => mk('kubernetes:http://127.0.0.1:1?inClusterConfig=false&resync=1'),
    (e: unknown) => e instanceof ConfigError && /unknown option "resync"/.test(e.message),
  );
  assert.throws(
    () => mk('kubernetes:http://127.0.0.1:1?inClusterConfig=maybe'),
    (e: unknown) => e instanceof ConfigError && /"inClusterConfig"/.test(e.message),
  );
});
