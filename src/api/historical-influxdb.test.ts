import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUri } from '../config/uri.js';
import {
  aggregateQuery,
  entitySelector,
  influxIdent,
  influxString,
  parseInfluxdbHistoricalUri,
  rawPointsQuery,
} from './historical-influxdb.js';

const shape = { withFields: false, clusterName: 'default', rp: 'default' };

test('InfluxQL literals escape backslashes, quotes and newlines', () => {
  assert.equal(influxString(`a'b\\c\nd"e`), `'a\\'b\\\\c\\nd"e'`);
  assert.equal(influxIdent(`cpu/usage" x\\`), `"cpu/usage\\" x\\\\"`);
});

test('entity keys become tag predicates restricted to the cluster', () => {
  assert.equal(
    entitySelector('namespace:ns/pod:p/container:c', 'prod'),
    `"type" = 'pod_container' AND "namespace_name" = 'ns' AND "pod_name" = 'p' AND "container_name" = 'c' AND "cluster_name" = 'prod'`,
  );
  assert.equal(
    entitySelector('node:n1/container:system.slice/docker.service', 'default'),
    `"type" = 'sys_container' AND "nodename" = 'n1' AND "container_name" = 'system.slice/docker.service' AND "cluster_name" = 'default'`,
  );
  assert.equal(
    entitySelector('pod-id:u1/container:c', 'default'),
    `"type" = 'pod_container' AND "pod_id" = 'u1' AND "container_name" = 'c' AND "cluster_name" = 'default'`,
  );
  assert.equal(entitySelector('bogus', 'default'), undefined);
});

test('raw and aggregated queries in both schemas', () => {
  const q = { key: 'node:n1', metric: 'filesystem/usage', startMs: 1000, endMs: 61_000 };
  assert.equal(
    rawPointsQuery({ ...q, labels: { resource_id: '/' } }, shape),
    `SELECT "value" FROM "default"."filesystem/usage" WHERE "type" = 'node' AND "nodename" = 'n1' AND "cluster_name" = 'default' AND "resource_id" = '/' AND "make" = '' AND "model" = '' AND "accelerator_id" = '' AND time >= 1000ms AND time <= 61000ms`,
  );
  assert.equal(
    aggregateQuery(
      { ...q, metric: 'cpu/usage_rate', startMs: -62135596800000, stepMs: 300_000 },
      new Set(['average', '95-perc'] as const),
      { ...shape, withFields: true },
    ),
    `SELECT MEAN("usage_rate") AS "average", PERCENTILE("usage_rate", 95) AS "95-perc" FROM "default"."cpu" WHERE "type" = 'node' AND "nodename" = 'n1' AND "cluster_name" = 'default' AND "resource_id" = '' AND "make" = '' AND "model" = '' AND "accelerator_id" = '' AND time <= 61000ms GROUP BY time(300000ms) fill(none)`,
  );
});

test('the sink options apply; the v2 API is refused', () => {
  const c = parseInfluxdbHistoricalUri(
    parseUri(
      '--historical_source',
      'influxdb:http://h:8086?db=x&user=u&pw=p&secure=true&withfields=true&cluster_name=c&concurrency=4',
      {},
    ),
  );
  assert.deepEqual(c, {
    baseUrl: 'https://h:8086',
    user: 'u',
    password: 'p',
    db: 'x',
    rp: 'default',
    insecureSsl: false,
    withFields: true,
    clusterName: 'c',
  });
  assert.throws(
    () =>
      parseInfluxdbHistoricalUri(
        parseUri('--historical_source', 'influxdb:http://h?bucket=b&org=o', {}),
      ),
    /v2 API/,
  );
});
