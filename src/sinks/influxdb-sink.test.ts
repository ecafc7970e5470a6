import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { ConfigError } from '../config/types.js';
import { parseUri } from '../config/uri.js';
import { countPoints } from '../core/batch.js';
import { createInfluxdbSink, influxDuration, parseInfluxdbUri } from './influxdb-sink.js';
import { toLineProtocol } from './influxdb-line-protocol.js';
import { clusterBatch } from './testdata/cluster-batch.js';

const uri = (v: string) => parseUri('--sink', v, {});

test('influxdb options: defaults of §4.1, every option, bad values named', () => {
  const d = parseInfluxdbUri(uri('influxdb:http://monitoring-influxdb:8086'));
  assert.equal(d.baseUrl, 'http://monitoring-influxdb:8086');
  assert.deepEqual(
    [
      d.user,
      d.password,
      d.db,
      d.retentionMs,
      d.withFields,
      d.clusterName,
      d.disableCounterMetrics,
      d.concurrency,
      d.insecureSsl,
      d.v2,
    ],
    ['root', 'root', 'k8s', 0, false, 'default', false, 1, false, undefined],
  );
  assert.equal(parseInfluxdbUri(uri('influxdb')).baseUrl, 'http://localhost:8086');
  const all = parseInfluxdbUri(
    uri(
      'influxdb:http://h:1?user=u&pw=p&db=d&retention=720h&secure=true&insecuressl=true&withfields=true&cluster_name=c&disable_counter_metrics=true&concurrency=4',
    ),
  );
  assert.equal(all.baseUrl, 'https://h:1');
  assert.deepEqual(
    [
      all.user,
      all.password,
      all.db,
      all.retentionMs,
      all.withFields,
      all.clusterName,
      all.disableCounterMetrics,
      all.concurrency,
      all.insecureSsl,
      all.runtime.concurrency,
    ],
    ['u', 'p', 'd', 720 * 3600_000, true, 'c', true, 4, true, 4],
  );
  for (const [bad, re] of [
    ['concurrency=0', /"concurrency": 0 is below the minimum 1/],
    ['withfields=yes', /"withfields": "yes" is not a boolean/],
    ['retention=30m', /"retention".*minimum of 1h/],
    ['org=o', /need "bucket"/],
    ['dbname=x', /unknown option "dbname"/],
  ] as const) {
    assert.throws(
      () => parseInfluxdbUri(uri(`influxdb:http://h:1?${bad}`)),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      bad,
    );
  }
  assert.equal(influxDuration(0), 'INF');
  assert.equal(influxDuration(48 * 3600_000), '2d');
  assert.equal(influxDuration(90 * 60_000), '90m');
});

test('influxdb v2: /api/v2/write with org, bucket, token and the same line protocol', async () => {
  const got: { url: string; auth: string | undefined; body: string }[] = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      got.push({ url: req.url ?? '', auth: req.headers.authorization, body });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  try {
    const sink = createInfluxdbSink(
      uri(`influxdb:http://127.0.0.1:${port}?org=acme&bucket=k8s/autogen&token=t0k&cluster_name=c`),
      { logger: pino({ level: 'silent' }) },
    );
    const b = clusterBatch(Date.UTC(2020, 0, 1));
    await sink.write(b);
    await sink.close();
    assert.equal(got.length, 1); // no CREATE DATABASE on v2
    assert.equal(got[0].url, '/api/v2/write?org=acme&bucket=k8s%2Fautogen&precision=ms');
    assert.equal(got[0].auth, 'Token t0k');
    assert.equal(
      got[0].body,
      toLineProtocol(b, { withFields: false, clusterName: 'c', disableCounterMetrics: false }),
    );
    assert.equal(got[0].body.split('\n').length - 1, countPoints(b));
  } finally {
    srv.close();
  }
});
