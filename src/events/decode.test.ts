import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEvent, eventJson } from './decode.js';
import { EventBuffer } from './event-buffer.js';
import { formatEventLine, LogEventSink } from './log-event-sink.js';
import { NODE_EVENT, POD_EVENT, SERIES_EVENT } from './testdata/events.js';

test('decodeEvent: a kubelet pod event', () => {
  const e = decodeEvent(POD_EVENT);
  assert.ok(e);
  assert.equal(e.namespace, 'shop');
  assert.equal(e.name, 'web-7d4b9c-x2k8p.17a3e0f1c2d3e4f5');
  assert.equal(e.uid, '0b6f0a4e-5f4b-4a3e-9c1d-2e8f7a6b5c4d');
  assert.equal(e.resourceVersion, '48213');
  assert.equal(e.reason, 'BackOff');
  assert.equal(e.type, 'Warning');
  assert.deepEqual(e.involvedObject, {
    kind: 'Pod',
    namespace: 'shop',
    name: 'web-7d4b9c-x2k8p',
    uid: 'a1b2c3d4-0000-4000-8000-000000000001',
    apiVersion: 'v1',
    fieldPath: 'spec.containers{web}',
  });
  assert.equal(e.sourceComponent, 'kubelet');
  assert.equal(e.sourceHost, 'node-3');
  assert.equal(e.firstTimestampMs, Date.parse('2018-06-01T10:00:58Z'));
  assert.equal(e.lastTimestampMs, Date.parse('2018-06-01T10:01:30Z'));
  assert.equal(e.count, 4);
  assert.equal(e.raw, POD_EVENT);
});

test('decodeEvent: eventTime and series.count when lastTimestamp and count are missing', () => {
  const e = decodeEvent(SERIES_EVENT);
  assert.ok(e);
  assert.equal(e.lastTimestampMs, Date.parse('2018-06-01T10:03:04.123Z'));
  assert.equal(e.firstTimestampMs, e.lastTimestampMs);
  assert.equal(e.count, 7);
  assert.equal(e.sourceComponent, 'job-controller', 'reportingComponent when source is empty');
  assert.equal(e.sourceHost, undefined);
  const bare = decodeEvent({ metadata: { name: 'x', creationTimestamp: '2018-06-01T00:00:00Z' } });
  assert.equal(bare?.lastTimestampMs, Date.parse('2018-06-01T00:00:00Z'));
  assert.equal(bare?.count, 1);
  assert.equal(decodeEvent({ metadata: {} }), undefined, 'no name: not an event');
});

test('eventJson: indented by one space, without kind and apiVersion', () => {
  const e = decodeEvent(NODE_EVENT);
  assert.ok(e);
  const text = eventJson(e);
  const { kind: _k, apiVersion: _a, ...rest } = NODE_EVENT;
  assert.deepEqual(JSON.parse(text), rest);
  assert.ok(text.includes('\n "involvedObject": {\n  "kind": "Node"'), text.slice(0, 120));
});

test('EventBuffer: beyond its capacity new events are dropped and counted until the next take', () => {
  const e = decodeEvent(POD_EVENT);
  assert.ok(e);
  const buf = new EventBuffer(2);
  assert.equal(buf.push(e), true);
  assert.equal(buf.push({ ...e, uid: 'b' }), true);
  assert.equal(buf.push({ ...e, uid: 'c' }), false);
  assert.equal(buf.push({ ...e, uid: 'd' }), false);
  const first = buf.take();
  assert.deepEqual(
    first.events.map((x) => x.uid),
    [e.uid, 'b'],
  );
  assert.equal(first.dropped, 2);
  assert.equal(buf.push({ ...e, uid: 'e' }), true);
  assert.deepEqual(buf.take(), { events: [{ ...e, uid: 'e' }], dropped: 0 });
  assert.equal(buf.droppedTotal, 2);
});

test('log sink: a header per tick and one line per event', async () => {
  const pod = decodeEvent(POD_EVENT);
  const series = decodeEvent(SERIES_EVENT);
  assert.ok(pod && series);
  assert.equal(
    formatEventLine(pod),
    '   2018-06-01T10:01:30Z (cnt:4): Back-off restarting failed container web in pod web-7d4b9c-x2k8p [Warning BackOff Pod shop/web-7d4b9c-x2k8p on node-3]',
  );
  let out = '';
  const sink = new LogEventSink(
    {
      write(chunk, cb) {
        out += chunk;
        cb();
        return true;
      },
    },
    () => Date.parse('2018-06-01T10:04:00Z'),
  );
  await sink.write([pod, series]);
  assert.deepEqual(out.split('\n'), [
    'EventBatch     Timestamp: 2018-06-01T10:04:00Z',
    formatEventLine(pod),
    '   2018-06-01T10:03:04.123Z (cnt:7): line one line "two" with a \\ backslash [Normal Completed Job batch jobs/nightly, "big"=1]',
    '',
  ]);
});
