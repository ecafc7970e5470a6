// The influxdb sink against a real InfluxDB 1.6: every Grafana dashboard query of the
// original (both schemas) over hand-built cluster batches and over the real pipeline on this
// machine, escaping, database/RP creation, and an outage with the sink runtime.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { parseUri } from '../src/config/uri.js';
import type { Batch } from '../src/core/batch.js';
import { countPoints, emptyBatch } from '../src/core/batch.js';
import { nodeKey, podKey } from '../src/core/keys.js';
import { clusterBatch, set } from '../src/sinks/testdata/cluster-batch.js';
import { SelfMetrics } from '../src/core/self-metrics.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { QueuedSink } from '../src/pipeline/sink-queue.js';
import { defaultProcessors } from '../src/processors/index.js';
import { createInfluxdbSink } from '../src/sinks/influxdb-sink.js';
import type { InfluxdbSink } from '../src/sinks/influxdb-sink.js';
import { createSource } from '../src/sources/registry.js';
import type { InfluxdbServer, InfluxSeries } from './support/influxdb.js';
import { haveInfluxdb, startInfluxdb } from './support/influxdb.js';
import { dashboardQueries, fillQuery } from './support/grafana-queries.js';
import { freePort, need } from './support/services.js';

const silent = pino({ level: 'silent' });
let influx: InfluxdbServer | undefined;

before(async () => {
  if (haveInfluxdb()) influx = await startInfluxdb();
});
after(async () => {
  await influx?.destroy();
});

function sink(query: string): InfluxdbSink {
  if (!influx) throw new Error('no influx');
  return createInfluxdbSink(parseUri('--sink', `influxdb:${influx.url}?${query}`, {}), {
    logger: silent,
  });
}

// ---- the dashboards' queries, from the original's Grafana JSON rendered to InfluxQL ----

const VARS = { nodename: 'node-1', namespace: 'kube-system', podname: 'dns-1' };

function fill(q: string): string {
  return fillQuery(q, { timeFilter: 'time > now() - 5m', interval: '1s', vars: VARS });
}

/** What a dashboard SELECT should return, computed from the batch we sent. */
function expected(q: string, batch: Batch, withFields: boolean): { sum: number; groups: number } {
  const from = /FROM "([^"]+)"/.exec(q)?.[1] ?? '';
  const field = /sum\("([^"]+)"\)/.exec(q)?.[1] ?? 'value';
  const metric = withFields && field !== 'value' ? `${from}/${field}` : from;
  const type = /"type" = '([^']+)'/.exec(q)?.[1];
  const filters: [string, string][] = [];
  if (q.includes('"nodename" =~')) filters.push(['nodename', VARS.nodename]);
  if (q.includes('"namespace_name" =~')) filters.push(['namespace_name', VARS.namespace]);
  if (q.includes('"pod_name" =~')) filters.push(['pod_name', VARS.podname]);
  const groupTag = /GROUP BY time\([^)]*\), "([^"]+)"/.exec(q)?.[1];
  let sum = 0;
  const groups = new Set<string>();
  for (const set of batch.sets.values()) {
    if (set.labels.type !== type) continue;
    if (!filters.every(([k, v]) => set.labels[k] === v)) continue;
    let found = false;
    const v = set.values.get(metric);
    if (v !== undefined) {
      sum += v;
      found = true;
    }
    for (const lv of set.labeled) {
      if (lv.name === metric) {
        sum += lv.value;
        found = true;
      }
    }
    if (found) groups.add(groupTag ? set.labels[groupTag] : '');
  }
  return { sum, groups: groups.size };
}

function sumOf(series: InfluxSeries[]): number {
  let s = 0;
  for (const se of series) for (const row of se.values) if (typeof row[1] === 'number') s += row[1];
  return s;
}

async function checkDashboards(db: string, batch: Batch, withFields: boolean): Promise<number> {
  assert.ok(influx);
  let checked = 0;
  for (const dq of dashboardQueries()) {
    const isFields = dq.file.startsWith('influxdb_withfields');
    if (isFields !== withFields) continue;
    const q = fill(dq.text);
    const series = await influx.query(q, db);
    const where = `${dq.file}: ${q}`;
    assert.ok(series.length > 0, `no series for ${where}`);
    if (q.startsWith('SHOW TAG VALUES')) {
      const key = /WITH KEY = "([^"]+)"/.exec(q)?.[1] ?? '';
      const got = series[0].values.map((r) => r[1]).sort();
      const want = new Set<string>();
      for (const s of batch.sets.values()) {
        if (!s.values.has('uptime') || !s.labels[key]) continue;
        if (q.includes('"namespace_name" =~') && s.labels.namespace_name !== VARS.namespace)
          continue;
        want.add(s.labels[key]);
      }
      assert.deepEqual(got, [...want].sort(), where);
    } else {
      const exp = expected(q, batch, withFields);
      assert.ok(exp.groups > 0, `test batch lacks data for ${where}`);
      assert.equal(series.length, exp.groups, `series count of ${where}`);
      assert.ok(
        Math.abs(sumOf(series) - exp.sum) < 1e-9,
        `${where}: ${sumOf(series)} != ${exp.sum}`,
      );
    }
    checked++;
  }
  return checked;
}

test('every Heapster dashboard query returns the values we sent (default schema)', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const s = sink('db=k8s');
  const batch = clusterBatch(Math.floor(Date.now() / 1000) * 1000 - 10_000);
  await s.write(batch);
  await s.close();
  const n = await checkDashboards('k8s', batch, false);
  assert.equal(n, 47); // 33 cluster + 11 pods panels, 3 templates
  // Integer metrics are integer fields, rates floats, as the original wrote them.
  const types = await influx!.query('SHOW FIELD KEYS', 'k8s');
  const typeOf = (m: string) => types.find((x) => x.name === m)?.values[0][1];
  assert.equal(typeOf('cpu/usage_rate'), 'integer');
  assert.equal(typeOf('memory/usage'), 'integer');
  assert.equal(typeOf('network/rx_rate'), 'float');
  // Blacklisted labels are not tags; cluster_name is.
  const keys = (await influx!.query('SHOW TAG KEYS FROM "uptime"', 'k8s'))[0].values.map(
    (r) => r[0],
  );
  for (const k of ['pod_id', 'namespace_id', 'hostname', 'host_id'])
    assert.ok(!keys.includes(k), k);
  for (const k of ['cluster_name', 'type', 'nodename', 'pod_name', 'namespace_name', 'labels'])
    assert.ok(keys.includes(k), k);
  // The RP the original writes to exists and is the database's default.
  const rps = (await influx!.query('SHOW RETENTION POLICIES ON "k8s"'))[0].values;
  assert.deepEqual(
    rps.find((r) => r[0] === 'default'),
    ['default', '0s', '168h0m0s', 1, true],
  );
});

test('every Heapster dashboard query returns the values we sent (withfields schema)', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const s = sink('db=k8sfields&withfields=true&cluster_name=prod');
  const batch = clusterBatch(Math.floor(Date.now() / 1000) * 1000 - 10_000);
  await s.write(batch);
  await s.close();
  const n = await checkDashboards('k8sfields', batch, true);
  assert.equal(n, 47);
  const series = await influx!.query(
    `SELECT "usage_rate" FROM "cpu" WHERE "cluster_name" = 'prod' AND "type" = 'cluster'`,
    'k8sfields',
  );
  assert.deepEqual(series[0].values, [[batch.timestampMs, 999]]);
});

test('our Grafana dashboards (deploy/grafana): every query returns series', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const s = sink('db=ours');
  const batch = clusterBatch(Math.floor(Date.now() / 1000) * 1000 - 10_000);
  await s.write(batch);
  await s.close();
  const values: Record<string, string> = {
    cluster: 'default',
    node: 'node-1',
    namespace: 'kube-system',
    pod: 'dns-1',
  };
  let checked = 0;
  for (const file of ['cluster', 'nodes', 'pods', 'namespaces']) {
    const url = new URL(`../deploy/grafana/dashboards/${file}.json`, import.meta.url);
    const d = JSON.parse(readFileSync(url, 'utf8')) as {
      templating: { list: { type: string; query: string }[] };
      panels: { title: string; targets: { query: string }[] }[];
    };
    const queries = [
      ...d.templating.list.filter((v) => v.type === 'query').map((v) => v.query),
      ...d.panels.flatMap((p) => p.targets.map((x) => x.query)),
    ];
    for (const raw of queries) {
      const q = raw
        .replaceAll('$timeFilter', 'time > now() - 5m')
        .replaceAll('$__interval', '1s')
        .replace(/\$(\w+)/g, (_, name: string) => values[name] ?? `$${name}`);
      assert.doesNotMatch(q, /\$\w/, `unfilled variable in ${file}: ${q}`);
      const series = await influx!.query(q, 'ours');
      assert.ok(series.length > 0, `no series for ${file}: ${q}`);
      checked++;
    }
  }
  assert.equal(checked, 49); // 34 panel targets + 15 template variables
  const cpu = await influx!.query(
    `SELECT sum("value") FROM "cpu/usage_rate" WHERE "type" = 'node' AND "cluster_name" =~ /^default$/ AND time > now() - 5m`,
    'ours',
  );
  assert.equal(cpu[0].values[0][1], 10 + 30);
});

test('gzip=true: InfluxDB 1.6 takes gzip-compressed writes; the stored points are the same', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const batch = clusterBatch(Math.floor(Date.now() / 1000) * 1000 - 10_000);
  for (const [db, opt] of [
    ['plainbody', ''],
    ['gzipbody', '&gzip=true'],
  ]) {
    const s = sink(`db=${db}${opt}`);
    await s.write(batch);
    await s.close();
  }
  const read = (db: string) => influx!.query('SELECT * FROM /.*/ GROUP BY *', db);
  const gz = await read('gzipbody');
  assert.equal(gz.length, countPoints(batch));
  assert.deepEqual(gz, await read('plainbody'));
});

test('tag values and measurement names with spaces, commas, = and quotes survive', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const odd = ['my pod', 'a,b', 'x=y', 'say "hi"', "it's", 'all of, them = "here"'];
  const b = emptyBatch(Math.floor(Date.now() / 1000) * 1000 - 5000);
  for (const name of odd) {
    const s = set(
      'pod',
      { namespace_name: 'ns 1', pod_name: name, labels: 'k:v,k2:v=2' },
      b.timestampMs,
    );
    s.values.set('memory/usage', odd.indexOf(name) + 1);
    s.values.set('custom/my metric,x=1 "q"', 2.5);
    b.sets.set(podKey('ns 1', name), s);
  }
  const s = sink('db=escape&cluster_name=c%201');
  await s.write(b);
  await s.close();
  const pods = (
    await influx!.query('SHOW TAG VALUES FROM "memory/usage" WITH KEY = "pod_name"', 'escape')
  )[0].values.map((r) => r[1]);
  assert.deepEqual(pods.sort(), [...odd].sort());
  const meas = (await influx!.query('SHOW MEASUREMENTS', 'escape'))[0].values.map((r) => r[0]);
  assert.ok(meas.includes('custom/my metric,x=1 "q"'), meas.join('|'));
  const rows = await influx!.query(
    `SELECT "value" FROM "memory/usage" WHERE "pod_name" = 'all of, them = "here"' AND "namespace_name" = 'ns 1' AND "labels" = 'k:v,k2:v=2' AND "cluster_name" = 'c 1'`,
    'escape',
  );
  assert.deepEqual(rows[0].values, [[b.timestampMs, odd.length]]);
});

test('database creation works against an existing database; a dropped database is recreated', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  // A database someone created before, with its own default RP and data.
  await influx!.query('CREATE DATABASE "existing"');
  await fetch(`${influx!.url}/write?db=existing`, { method: 'POST', body: 'other value=1\n' });
  const s = sink('db=existing&retention=48h');
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 8000;
  await s.write(clusterBatch(t0));
  const rps = (await influx!.query('SHOW RETENTION POLICIES ON "existing"'))[0].values;
  assert.deepEqual(
    rps.map((r) => [r[0], r[1], r[4]]),
    [
      ['autogen', '0s', false],
      ['default', '48h0m0s', true],
    ],
  );
  // Dropped behind our back: the next write recreates the database and the RP, then succeeds.
  await influx!.query('DROP DATABASE "existing"');
  await s.write(clusterBatch(t0 + 1000));
  await s.close();
  const rows = await influx!.query('SELECT count("value") FROM "uptime"', 'existing');
  assert.equal(rows[0].values[0][1], 12);
});

test('the real pipeline on this machine: node panels show what the pipeline exported', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const ctx = { nodeName: 'node-1', resolutionMs: 1000, logger: silent };
  const source = createSource(parseUri('--source', 'local?nodeName=node-1', {}), ctx);
  const metrics = new SelfMetrics();
  const influxSink = sink('db=live');
  const queued = new QueuedSink(influxSink, {
    capacity: 3,
    writeTimeoutMs: 5000,
    metrics,
    logger: silent,
  });
  const pipeline = new Pipeline({
    sources: [source],
    processors: defaultProcessors(),
    sinks: [queued],
    resolutionMs: 1000,
    scrapeOffsetMs: 0,
    scrapeTimeoutMs: 5000,
    metrics,
    logger: silent,
  });
  const now = Math.floor(Date.now() / 1000) * 1000;
  let last: Batch | undefined;
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 1000));
    last = await pipeline.runTick({ startMs: now + (i - 1) * 1000, endMs: now + i * 1000 });
  }
  await pipeline.stop();
  assert.ok(last);
  const node = last.sets.get(nodeKey('node-1'));
  assert.ok(node, 'pipeline produced the node');
  let checked = 0;
  for (const dq of dashboardQueries()) {
    if (dq.file !== 'cluster.json' || !dq.text.startsWith('SELECT')) continue;
    const q = fill(dq.text);
    const exp = expected(q, last, false);
    if (exp.groups === 0) continue; // e.g. cpu/request: no pods on a bare machine
    const series = await influx!.query(
      q.replace('now() - 5m', `${last.timestampMs}ms - 500ms`),
      'live',
    );
    assert.equal(series.length, 1, q);
    assert.ok(Math.abs(sumOf(series) - exp.sum) < 1e-6, `${q}: ${sumOf(series)} != ${exp.sum}`);
    checked++;
  }
  // usage_rate, memory usage/working set, network tx/rx, filesystem usage/limit × 3 panels.
  assert.ok(checked >= 21, `checked ${checked} node queries`);
});

test('outage: InfluxDB down for 60 s loses nothing that fits the queue; a small queue drops the oldest; a dead sink delays nobody', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const metrics = new SelfMetrics();
  const logLines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => logLines.push(s) });
  const perBatch = countPoints(clusterBatch(0));
  const queued = (q: string, flushTimeoutMs = 5000) =>
    new QueuedSink(sink(q), { capacity: 3, writeTimeoutMs: 2000, flushTimeoutMs, metrics, logger });
  const big = queued('db=outage&retry_max_delay=1s');
  const keep = 5;
  const small = queued(`db=outage_small&retry_max_delay=1s&queue_points=${perBatch * keep}`);
  const deadPort = await freePort();
  const dead = new QueuedSink(
    createInfluxdbSink(
      parseUri('--sink', `influxdb:http://127.0.0.1:${deadPort}?retry_max_delay=1s`, {}),
      { logger: silent },
    ),
    { capacity: 3, writeTimeoutMs: 2000, flushTimeoutMs: 100, metrics, logger },
  );
  const sinks = [big, small, dead];
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  let n = 0;
  let slowestMs = 0;
  const every = async (ms: number, count: number) => {
    for (let i = 0; i < count; i++) {
      const b = clusterBatch(t0 + n * 1000);
      n++;
      const started = performance.now();
      await Promise.all(sinks.map((s) => s.write(b)));
      slowestMs = Math.max(slowestMs, performance.now() - started);
      await new Promise((r) => setTimeout(r, ms));
    }
  };
  await every(250, 8); // 2 s up
  await influx!.stop();
  const before = n;
  await every(1000, 60); // 60 s down, a batch a second
  assert.ok(big.queuedPoints >= 55 * perBatch, `queued ${big.queuedPoints} during the outage`);
  await influx!.start();
  await every(250, 8); // 2 s up again
  await Promise.all(sinks.map((s) => s.close()));
  const total = n;
  assert.equal(n - before, 68);
  assert.ok(slowestMs < 200, `a write took ${slowestMs} ms: writes must only enqueue`);

  // Big queue: every point of every batch arrived, once.
  const counts = await influx!.query(
    'SELECT count("value") FROM "memory/usage" GROUP BY *',
    'outage',
  );
  assert.equal(
    counts.length,
    [...clusterBatch(0).sets.values()].filter((x) => x.values.has('memory/usage')).length,
  );
  for (const s of counts) assert.equal(s.values[0][1], total, JSON.stringify(s.tags));
  const all = await influx!.query('SELECT count("value") FROM /.*/', 'outage');
  assert.equal(
    all.reduce((a, s) => a + (s.values[0][1] as number), 0),
    total * perBatch,
  );
  assert.equal(
    await metricsValue(metrics, 'heapster_sink_points_written_total', { sink: big.name }),
    total * perBatch,
  );
  assert.ok(
    (await metricsValue(metrics, 'heapster_sink_points_retried_total', { sink: big.name })) > 0,
  );
  assert.equal(
    await metricsValue(metrics, 'heapster_sink_points_dropped_total', { sink: big.name }),
    0,
  );

  // Small queue: the oldest outage batches were dropped, counted and logged; the rest arrived.
  const smallCounts = await influx!.query('SELECT count("value") FROM "uptime"', 'outage_small');
  const arrivedBatches = (smallCounts[0].values[0][1] as number) / 12;
  assert.ok(
    arrivedBatches >= 8 + keep && arrivedBatches < total,
    `small queue kept ${arrivedBatches}`,
  );
  const dropped = await metricsValue(metrics, 'heapster_sink_points_dropped_total', {
    sink: small.name,
    reason: 'queue_full',
  });
  assert.equal(dropped, (total - arrivedBatches) * perBatch);
  const first = await influx!.query('SELECT first("value") FROM "uptime"', 'outage_small');
  assert.equal(first[0].values[0][0], t0, 'the batches before the outage were written');
  const last = await influx!.query('SELECT last("value") FROM "uptime"', 'outage_small');
  assert.equal(last[0].values[0][0], t0 + (total - 1) * 1000, 'the newest batches were kept');
  assert.ok(
    logLines.some((l) =>
      l.includes(
        `sink ${small.name}: queue full (capacity ${perBatch * keep} points), dropped the ${perBatch} oldest points`,
      ),
    ),
  );
  // The dead sink: its points were dropped at shutdown, never written.
  assert.equal(
    await metricsValue(metrics, 'heapster_sink_points_written_total', { sink: dead.name }),
    0,
  );
});

async function metricsValue(
  m: SelfMetrics,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const json = await m.registry.getMetricsAsJSON();
  const metric = json.find((x) => x.name === name);
  let sum = 0;
  for (const v of metric?.values ?? []) {
    if (Object.entries(labels).every(([k, val]) => v.labels[k] === val)) sum += v.value;
  }
  return sum;
}
