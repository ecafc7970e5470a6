import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { ConfigError } from '../config/types.js';
import { parseUri } from '../config/uri.js';
import { countPoints, emptyBatch } from '../core/batch.js';
import { isChunkedSink } from '../pipeline/sink-queue.js';
import { LogSink } from './log-sink.js';
import { SINK_FACTORIES, createSink } from './registry.js';
import { clusterBatch } from './testdata/cluster-batch.js';

const ctx = { nodeName: 'n1', resolutionMs: 60_000, logger: pino({ level: 'silent' }) };

test('createSink: log; unknown sink or option is a ConfigError naming it', () => {
  assert.ok(createSink(parseUri('--sink', 'log', {}), ctx) instanceof LogSink);
  assert.throws(
    () => createSink(parseUri('--sink', 'nosuch:http://h', {}), ctx),
    (err: unknown) => err instanceof ConfigError && /unknown sink "nosuch"/.test(err.message),
  );
  assert.throws(
    () => createSink(parseUri('--sink', 'log?x=1', {}), ctx),
    (err: unknown) => err instanceof ConfigError && /unknown option "x"/.test(err.message),
  );
});

/** A valid URI of every point sink (nothing listens there: the contract test sends nothing). */
const POINT_SINKS: Record<string, string> = {
  influxdb: 'influxdb:http://127.0.0.1:1?db=k8s&withfields=true&concurrency=2',
  prometheus: 'prometheus:http://127.0.0.1:1/api/v1/write?prefix=hs_',
  graphite: 'graphite:tcp://127.0.0.1:1?prefix=kubernetes',
  opentsdb: 'opentsdb:http://127.0.0.1:1?cluster=c',
  statsd: 'statsd:udp://127.0.0.1:1?numMetricsPerMsg=3',
};

test('sink contract: every point sink is registered, rejects unknown and bad runtime options, encodes every value', () => {
  assert.deepEqual([...SINK_FACTORIES.keys()].sort(), [
    'gcl',
    'gcm',
    'graphite',
    'influxdb',
    'log',
    'opentsdb',
    'prometheus',
    'stackdriver',
    'statsd',
  ]);
  const batch = clusterBatch(Date.UTC(2020, 0, 1));
  for (const [key, uri] of Object.entries(POINT_SINKS)) {
    const sink = createSink(parseUri('--sink', uri, {}), ctx);
    assert.ok(isChunkedSink(sink), key);
    assert.ok(sink.name.startsWith(key), `${key}: name ${sink.name}`);
    assert.equal(sink.runtime.capacityPoints, 1_000_000, key);
    assert.equal(sink.runtime.retryMaxDelayMs, 30_000, key);
    assert.deepEqual([...sink.encode(emptyBatch(1))], [], key);
    const chunks = [...sink.encode(batch)];
    assert.equal(
      chunks.reduce((a, c) => a + c.points, 0),
      countPoints(batch),
      `${key}: every value becomes one point`,
    );
    for (const c of chunks) assert.equal(c.timestampMs, batch.timestampMs);
    const sep = uri.includes('?') ? '&' : '?';
    for (const [bad, re] of [
      ['bogus=1', /unknown option "bogus"/],
      ['queue_points=0', /option "queue_points": 0 is below the minimum 1/],
      ['retry_max_delay=soon', /option "retry_max_delay"/],
    ] as const) {
      assert.throws(
        () => createSink(parseUri('--sink', uri + sep + bad, {}), ctx),
        (err: unknown) => err instanceof ConfigError && re.test(err.message),
        `${key} ${bad}`,
      );
    }
    const tuned = createSink(
      parseUri('--sink', `${uri}${sep}queue_points=5000&retry_max_delay=2s`, {}),
      ctx,
    );
    assert.ok(isChunkedSink(tuned));
    assert.equal(tuned.runtime.capacityPoints, 5000);
    assert.equal(tuned.runtime.retryMaxDelayMs, 2000);
  }
});
