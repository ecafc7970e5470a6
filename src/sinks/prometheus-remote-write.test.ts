import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { uncompress } from 'snappyjs';
import { parseUri } from '../config/uri.js';
import { countPoints } from '../core/batch.js';
import {
  decodeWriteRequest,
  encodeRemoteWrite,
  encodeWriteRequest,
  promLabelName,
  promMetricName,
  toTimeSeries,
} from './prometheus-remote-write.js';
import { createPrometheusSink } from './prometheus-sink.js';
import { clusterBatch } from './testdata/cluster-batch.js';
import { pino } from 'pino';

const T = Date.UTC(2018, 5, 1, 10, 1, 0);

test('names: cpu/usage_rate → heapster_cpu_usage_rate; labels sanitized', () => {
  assert.equal(promMetricName('cpu/usage_rate', 'heapster_'), 'heapster_cpu_usage_rate');
  assert.equal(promMetricName('nvidia.com/gpu/request', 'k8s_'), 'k8s_nvidia_com_gpu_request');
  assert.equal(promMetricName('uptime', ''), 'uptime');
  assert.equal(promMetricName('9lives', ''), '_9lives');
  assert.equal(promLabelName('resource_id'), 'resource_id');
  assert.equal(promLabelName('app.kubernetes.io/name'), 'app_kubernetes_io_name');
});

test('series: one per value, __name__ first then labels sorted, empty labels dropped', () => {
  const b = clusterBatch(T);
  const series = toTimeSeries(b, { prefix: 'heapster_', clusterName: 'c1' });
  assert.equal(series.length, countPoints(b));
  for (const s of series) {
    assert.equal(s.labels[0].name, '__name__');
    const rest = s.labels.slice(1).map((l) => l.name);
    assert.deepEqual(rest, [...rest].sort());
    assert.ok(s.labels.every((l) => l.value !== ''));
    assert.deepEqual(
      s.samples.map((x) => x.timestamp),
      [T],
    );
  }
  const fs = series.find(
    (s) =>
      s.labels[0].value === 'heapster_filesystem_usage' &&
      s.labels.some((l) => l.name === 'type' && l.value === 'node') &&
      s.labels.some((l) => l.name === 'resource_id' && l.value === 'logs'),
  );
  assert.deepEqual(fs?.labels, [
    { name: '__name__', value: 'heapster_filesystem_usage' },
    { name: 'cluster_name', value: 'c1' },
    { name: 'host_id', value: 'node-1-id' },
    { name: 'hostname', value: 'node-1' },
    { name: 'labels', value: 'zone:a' },
    { name: 'nodename', value: 'node-1' },
    { name: 'resource_id', value: 'logs' },
    { name: 'type', value: 'node' },
  ]);
  assert.deepEqual(fs?.samples, [{ value: 7, timestamp: T }]);
  // The protobuf round trip keeps everything.
  assert.deepEqual(decodeWriteRequest(encodeWriteRequest(series)), series);
});

test('encodeRemoteWrite is byte for byte protobufjs on the same series, chunked', () => {
  const b = clusterBatch(T);
  b.sets.get('cluster')?.values.set('cpu/usage_rate', -1.25e-7);
  const opts = { prefix: 'heapster_', clusterName: '' };
  const series = toTimeSeries(b, opts);
  const chunks: { bytes: Buffer; series: number }[] = [];
  encodeRemoteWrite(b, opts, 50, (body, n) => chunks.push({ bytes: Buffer.from(body), series: n }));
  assert.deepEqual(
    chunks.map((c) => c.series),
    [50, 50, 50, series.length - 150],
  );
  for (let i = 0; i < chunks.length; i++) {
    const want = Buffer.from(encodeWriteRequest(series.slice(i * 50, i * 50 + 50)));
    assert.ok(Buffer.from(chunks[i].bytes).equals(want), `chunk ${i} differs from protobufjs`);
  }
});

test('the sink sends snappy-compressed protobuf with the remote write headers, in chunks', async () => {
  const got: { headers: Record<string, unknown>; body: Buffer; url: string }[] = [];
  const srv = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(parts), url: req.url ?? '' });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  try {
    const sink = createPrometheusSink(
      parseUri(
        '--sink',
        `prometheus:http://127.0.0.1:${port}/api/v1/write?max_samples_per_send=100&bearer_token=s3cret`,
        {},
      ),
      { logger: pino({ level: 'silent' }) },
    );
    const b = clusterBatch(T);
    await sink.write(b);
    await sink.close();
    assert.equal(got.length, Math.ceil(countPoints(b) / 100));
    let n = 0;
    for (const r of got) {
      assert.equal(r.url, '/api/v1/write');
      assert.equal(r.headers['content-encoding'], 'snappy');
      assert.equal(r.headers['content-type'], 'application/x-protobuf');
      assert.equal(r.headers['x-prometheus-remote-write-version'], '0.1.0');
      assert.equal(r.headers.authorization, 'Bearer s3cret');
      n += decodeWriteRequest(uncompress(new Uint8Array(r.body))).length;
    }
    assert.equal(n, countPoints(b));
  } finally {
    srv.close();
  }
});
