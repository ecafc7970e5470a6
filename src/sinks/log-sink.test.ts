import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Batch } from '../core/batch.js';
import { emptyBatch, newMetricSet } from '../core/batch.js';
import { nodeKey, sysContainerKey } from '../core/keys.js';
import type { LogSinkOutput } from './log-sink.js';
import { LogSink, formatBatch } from './log-sink.js';

const T0 = Date.UTC(2018, 5, 1, 10, 1, 0);

function fixture(): Batch {
  const b = emptyBatch(T0);
  const sys = newMetricSet(
    'sys_container',
    { hostname: 'n1', container_name: 'kubelet' },
    { scrapeTimeMs: T0 - 500, collectionStartMs: T0 - 3_600_000 },
  );
  sys.values.set('memory/usage', 512);
  b.sets.set(sysContainerKey('n1', 'kubelet'), sys);
  const node = newMetricSet(
    'node',
    { nodename: 'n1', hostname: 'n1' },
    { scrapeTimeMs: T0 - 1000, collectionStartMs: 0 },
  );
  node.values.set('memory/usage', 4096);
  node.values.set('cpu/usage_rate', 153);
  node.values.set('network/rx_rate', 1234.5);
  node.values.set('custom/x', 0.25);
  node.labeled.push({ name: 'filesystem/usage', labels: { resource_id: '/dev/sdb' }, value: 20 });
  node.labeled.push({ name: 'filesystem/usage', labels: { resource_id: '/' }, value: 10 });
  node.labeled.push({
    name: 'disk/io_read_bytes_rate',
    labels: { resource_id: '/dev/sda', b: 'x' },
    value: 2,
  });
  b.sets.set(nodeKey('n1'), node);
  return b;
}

const EXPECTED = `DataBatch     Timestamp: 2018-06-01T10:01:00Z

MetricSet: node:n1
   Scrape time: 2018-06-01T10:00:59Z 1527847259000000000
   Create time: 1970-01-01T00:00:00Z 0
   Labels:
      hostname = n1
      nodename = n1
      type = node
   Metrics:
      cpu/usage_rate = 153
      custom/x = 0.250000
      memory/usage = 4096
      network/rx_rate = 1234.500000
   Labeled Metrics:
      disk/io_read_bytes_rate{b=x,resource_id=/dev/sda} = 2.000000
      filesystem/usage{resource_id=/} = 10
      filesystem/usage{resource_id=/dev/sdb} = 20

MetricSet: node:n1/container:kubelet
   Scrape time: 2018-06-01T10:00:59.5Z 1527847259500000000
   Create time: 2018-06-01T09:01:00Z 1527843660000000000
   Labels:
      container_name = kubelet
      hostname = n1
      type = sys_container
   Metrics:
      memory/usage = 512
   Labeled Metrics:

`;

test('formatBatch table', () => {
  const cases: [string, Batch, string][] = [
    ['two sets', fixture(), EXPECTED],
    ['empty batch', emptyBatch(T0), 'DataBatch     Timestamp: 2018-06-01T10:01:00Z\n\n'],
  ];
  for (const [name, batch, want] of cases) assert.equal(formatBatch(batch), want, name);
});

test('LogSink writes the formatted batch to its output', async () => {
  const chunks: string[] = [];
  const out: LogSinkOutput = {
    write(chunk, cb) {
      chunks.push(chunk);
      cb();
      return true;
    },
  };
  const sink = new LogSink({ out });
  assert.equal(sink.name, 'log');
  await sink.write(fixture());
  await sink.close();
  assert.deepEqual(chunks, [EXPECTED]);
});

test('LogSink rejects when the stream fails', async () => {
  const sink = new LogSink({
    out: {
      write(_chunk, cb) {
        cb(new Error('EPIPE'));
        return false;
      },
    },
  });
  await assert.rejects(sink.write(fixture()), /EPIPE/);
});
