import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ConfigError } from '../config/types.js';
import { parseUri } from '../config/uri.js';
import { decodeEvent } from './decode.js';
import {
  InfluxdbEventSink,
  createInfluxdbEventSink,
  eventChunks,
  eventLine,
  escapeStringField,
} from './influxdb-event-sink.js';
import type { KubeEvent } from './types.js';
import { NODE_EVENT, POD_EVENT, SERIES_EVENT } from './testdata/events.js';

function ev(o: Record<string, unknown>): KubeEvent {
  const e = decodeEvent(o);
  assert.ok(e);
  return e;
}

/** Reads back a string field value of line protocol. */
function unescapeField(text: string): string {
  assert.ok(text.startsWith('"') && text.endsWith('"'), text);
  return text.slice(1, -1).replace(/\\([\\"])/g, '$1');
}

const DEFAULT = { withFields: false, clusterName: 'default' };
const WITHFIELDS = { withFields: true, clusterName: 'default' };

test('default schema: measurement log/events, the original tags, value = the event as indented JSON', () => {
  const line = eventLine(ev(POD_EVENT), DEFAULT);
  const m = /^log\/events,(\S+) value=("(?:[^"\\]|\\.)*") (\d+)\n$/s.exec(line);
  assert.ok(m, line);
  assert.equal(
    m[1],
    'cluster_name=default,hostname=node-3,pod_id=a1b2c3d4-0000-4000-8000-000000000001,' +
      'pod_name=web-7d4b9c-x2k8p,uid=0b6f0a4e-5f4b-4a3e-9c1d-2e8f7a6b5c4d',
  );
  assert.equal(Number(m[3]), Date.parse('2018-06-01T10:01:30Z'), 'time = lastTimestamp');
  const value = unescapeField(m[2]);
  assert.deepEqual(JSON.parse(value), POD_EVENT);
  assert.ok(value.startsWith('{\n "metadata": {\n  "name"'), 'indented by one space');

  // Not a pod: no pod_id/pod_name; no source.host: no hostname tag (empty tags are dropped).
  const node = eventLine(ev(NODE_EVENT), DEFAULT);
  assert.match(
    node,
    /^log\/events,cluster_name=default,uid=5e1d2c3b-4a59-4687-9a0b-c1d2e3f4a5b6 value="/,
  );
  const nodeValue = JSON.parse(
    unescapeField(/ value=(".*") \d+\n$/s.exec(node)?.[1] ?? ''),
  ) as Record<string, unknown>;
  assert.equal(nodeValue.kind, undefined, 'no kind/apiVersion in the value, as the original');
  assert.equal(nodeValue.reason, 'NodeNotReady');
});

test('withfields schema: measurement events, field message, the tags the Events dashboard reads', () => {
  assert.equal(
    eventLine(ev(POD_EVENT), { withFields: true, clusterName: 'prod' }),
    'events,cluster_name=prod,component=kubelet,hostname=node-3,kind=Pod,namespace_name=shop,' +
      'object_name=web-7d4b9c-x2k8p,pod_id=a1b2c3d4-0000-4000-8000-000000000001,reason=BackOff,' +
      'type=Warning,uid=0b6f0a4e-5f4b-4a3e-9c1d-2e8f7a6b5c4d ' +
      'message="Back-off restarting failed container web in pod web-7d4b9c-x2k8p" 1527847290000\n',
  );
  assert.equal(
    eventLine(ev(NODE_EVENT), WITHFIELDS),
    'events,cluster_name=default,component=node-controller,kind=Node,namespace_name=default,' +
      'object_name=node-3,reason=NodeNotReady,type=Normal,uid=5e1d2c3b-4a59-4687-9a0b-c1d2e3f4a5b6 ' +
      'message="Node node-3 status is now: NodeNotReady" 1527847320000\n',
  );
});

test('escaping: spaces, commas, = and quotes in tags; quotes, backslashes and newlines in fields', () => {
  const line = eventLine(ev(SERIES_EVENT), WITHFIELDS);
  assert.equal(
    line,
    'events,cluster_name=default,component=job-controller,kind=Job,namespace_name=batch\\ jobs,' +
      'object_name=nightly\\,\\ "big"\\=1,reason=Completed,type=Normal,' +
      'uid=c0ffee00-1111-4222-8333-444455556666 ' +
      'message="line one\nline \\"two\\" with a \\\\ backslash" 1527847384123\n',
  );
  assert.equal(escapeStringField('a"b\\c'), '"a\\"b\\\\c"');
});

test('chunks of at most 1000 events, each line one point', () => {
  const base = ev(POD_EVENT);
  const events = Array.from({ length: 2500 }, (_, i) => ({
    ...base,
    uid: `u${i}`,
    lastTimestampMs: base.lastTimestampMs + i,
  }));
  const chunks = [...eventChunks(events, DEFAULT)];
  assert.deepEqual(
    chunks.map((c) => c.points),
    [1000, 1000, 500],
  );
  assert.equal(chunks[2].text.match(/^log\/events,/gm)?.length, 500);
  assert.equal(chunks[2].timestampMs, base.lastTimestampMs + 2499);
});

test('factory: the metric sink options; an unknown option is a ConfigError naming it', async () => {
  const logger = pino({ level: 'silent' });
  const sink = createInfluxdbEventSink(
    parseUri('--sink', 'influxdb:http://127.0.0.1:1?db=ev&withfields=true&queue_points=50', {}),
    { logger },
  );
  assert.ok(sink instanceof InfluxdbEventSink);
  assert.equal(sink.name, 'influxdb:127.0.0.1:1/ev');
  assert.equal(sink.runtime.capacityPoints, 50);
  const [chunk] = [...sink.encode([ev(POD_EVENT)])];
  assert.match(chunk.payload.toString(), /^events,/);
  await sink.close();
  assert.throws(
    () => createInfluxdbEventSink(parseUri('--sink', 'influxdb:http://h?batch=1', {}), { logger }),
    (e: unknown) => e instanceof ConfigError && /unknown option "batch"/.test(e.message),
  );
});
