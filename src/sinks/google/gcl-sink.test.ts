import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeEvent } from '../../events/types.js';
import { eventEntry, eventSeverity, logName, metricSetEntry } from './gcl-sink.js';
import { toStruct } from './logging-api.js';
import { clusterBatch } from '../testdata/cluster-batch.js';

test('log names are URL-escaped; severity follows the event type', () => {
  assert.equal(logName('p', 'kubernetes.io/events'), 'projects/p/logs/kubernetes.io%2Fevents');
  assert.equal(eventSeverity('Warning'), 'WARNING');
  assert.equal(eventSeverity('Normal'), 'INFO');
  assert.equal(eventSeverity('Other'), 'NOTICE');
});

test('an event becomes an entry: last timestamp, UID as insertId, the raw event as a Struct', () => {
  const raw = {
    metadata: { uid: 'u1', name: 'e' },
    count: 3,
    nested: [1, 'a', null, true],
    gone: undefined,
  };
  const e = {
    uid: 'u1',
    type: 'Warning',
    lastTimestampMs: 1_700_000_000_500,
    raw,
  } as unknown as KubeEvent;
  const entry = eventEntry(e);
  assert.equal(entry.insertId, 'u1');
  assert.equal(entry.severity, 'WARNING');
  assert.deepEqual(entry.timestamp, { seconds: 1_700_000_000, nanos: 500_000_000 });
  assert.deepEqual(entry.jsonPayload, {
    fields: {
      metadata: {
        structValue: { fields: { uid: { stringValue: 'u1' }, name: { stringValue: 'e' } } },
      },
      count: { numberValue: 3 },
      nested: {
        listValue: {
          values: [
            { numberValue: 1 },
            { stringValue: 'a' },
            { nullValue: 'NULL_VALUE' },
            { boolValue: true },
          ],
        },
      },
    },
  });
  assert.deepEqual(toStruct({}), { fields: {} });
});

test('a metric set becomes one entry with its labels and values; insertId is key@time', () => {
  const b = clusterBatch(1_700_000_000_000);
  const [key, set] = [...b.sets][0];
  const e = metricSetEntry(key, set, b.timestampMs);
  assert.equal(e.insertId, `${key}@1700000000000`);
  assert.deepEqual(
    e.jsonPayload.fields.metrics,
    toStruct({ metrics: Object.fromEntries(set.values) }).fields.metrics,
  );
});
