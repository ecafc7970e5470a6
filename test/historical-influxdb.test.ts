// The historical API (§7.2) served from a real InfluxDB 1.6 (--historical_source=influxdb:...)
// answers exactly what the embedded store answers for the same data written through the real
// influxdb sink, in both schemas; names from the URL cannot inject InfluxQL; a dead InfluxDB
// gives a 502 naming it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { parseUri } from '../src/config/uri.js';
import type { Batch } from '../src/core/batch.js';
import { isIntMetric, metricDescriptor } from '../src/core/metrics.js';
import { podContainerKey, podKey } from '../src/core/keys.js';
import { SelfMetrics } from '../src/core/self-metrics.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  InfluxdbHistoricalBackend,
  createInfluxdbHistoricalBackend,
  parseInfluxdbHistoricalUri,
} from '../src/api/historical-influxdb.js';
import type { HistoricalSourceError } from '../src/api/historical.js';
import { createApiServer } from '../src/api/server.js';
import { createInfluxdbSink } from '../src/sinks/influxdb-sink.js';
import { clusterBatch, set } from '../src/sinks/testdata/cluster-batch.js';
import { TsdbStore } from '../src/store/tsdb-store.js';
import type { InfluxdbServer } from './support/influxdb.js';
import { haveInfluxdb, startInfluxdb } from './support/influxdb.js';
import { freePort, need } from './support/services.js';

const silent = pino({ level: 'silent' });
const T0 = Date.UTC(2018, 5, 1, 10, 0, 0);
const NOW = T0 + 3_600_000;
const TICKS = 20;
const ODD_NS = 'team a';
const ODD_POD = `we'b "1" a,b=c x\\y`;

let influx: InfluxdbServer | undefined;
before(async () => {
  if (haveInfluxdb()) influx = await startInfluxdb();
});
after(async () => {
  await influx?.destroy();
});

/** Tick i of the test cluster: every value scaled by a factor that varies per tick and metric. */
function tick(i: number): Batch {
  const b = clusterBatch(T0 + i * 60_000);
  const odd = set(
    'pod',
    { namespace_name: ODD_NS, pod_name: ODD_POD, nodename: 'node-1', pod_id: 'odd-uid' },
    b.timestampMs,
  );
  odd.values.set('memory/usage', 4096);
  odd.values.set('network/rx_rate', 0.5);
  b.sets.set(podKey(ODD_NS, ODD_POD), odd);
  const c = set(
    'pod_container',
    { namespace_name: ODD_NS, pod_name: ODD_POD, container_name: 'c 1', nodename: 'node-1' },
    b.timestampMs,
  );
  c.values.set('cpu/usage_rate', 3);
  b.sets.set(podContainerKey(ODD_NS, ODD_POD, 'c 1'), c);
  let j = 0;
  const scale = (name: string, v: number): number => {
    const f = 1 + ((i * 7 + j++ * 3) % 11) / 10;
    const int = metricDescriptor(name) ? isIntMetric(name, 0.5) : Number.isInteger(v);
    return int ? Math.round(v * f) : v * f;
  };
  for (const s of b.sets.values()) {
    for (const [name, v] of s.values) s.values.set(name, scale(name, v));
    for (const lv of s.labeled) lv.value = scale(lv.name, lv.value);
  }
  return b;
}

/** Writes the ticks through the real sink into `db` and into a store; returns both APIs. */
async function load(db: string, options: string) {
  assert.ok(influx);
  const store = new TsdbStore({ retentionRawMs: 48 * 3_600_000 });
  const uri = `influxdb:${influx.url}?db=${db}${options}`;
  const sink = createInfluxdbSink(parseUri('--sink', uri, {}), { logger: silent });
  for (let i = 0; i < TICKS; i++) {
    const b = tick(i);
    store.append(b);
    await sink.write(b);
  }
  await sink.close();
  const common = {
    selfMetrics: new SelfMetrics(),
    resolutionMs: 60_000,
    healthMaxDelayMs: 180_000,
    logger: silent,
    now: () => NOW,
  };
  const fromStore = createApiServer({ ...common, store });
  const backend = createInfluxdbHistoricalBackend(parseUri('--historical_source', uri, {}));
  const fromInflux = createApiServer({
    ...common,
    store: new TsdbStore({ retentionRawMs: 3_600_000 }),
    historicalSource: uri,
    historicalBackend: backend,
  });
  return {
    fromStore,
    fromInflux,
    async close() {
      await fromStore.close();
      await fromInflux.close();
      await backend.close();
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const enc = encodeURIComponent;

/** Every historical path worth comparing, each raw and aggregated. */
function paths(): string[] {
  const ALL = 'average,max,min,median,count,50-perc,95-perc,99-perc';
  const pod = `namespaces/${enc(ODD_NS)}/pods/${enc(ODD_POD)}`;
  const metricPaths = [
    'metrics/cpu/usage_rate',
    'nodes/node-1/metrics/cpu/usage_rate',
    'nodes/node-2/metrics/memory/usage',
    'nodes/node-1/metrics/network/rx_rate',
    'nodes/node-1/metrics/filesystem/usage?labels=resource_id:logs',
    'nodes/node-1/metrics/filesystem/usage?labels=resource_id:/',
    'nodes/node-1/metrics/filesystem/usage',
    'nodes/node-1/freecontainers/kubelet/metrics/memory/working_set',
    'namespaces/kube-system/metrics/memory/usage',
    'namespaces/kube-system/pods/dns-1/metrics/network/tx_rate',
    'namespaces/kube-system/pods/dns-1/containers/sidecar/metrics/cpu/usage_rate',
    'namespaces/kube-system/pod-list/dns-1,proxy-2,nope/metrics/memory/usage',
    `${pod}/metrics/memory/usage`,
    `${pod}/metrics/network/rx_rate`,
    `${pod}/containers/${enc('c 1')}/metrics/cpu/usage_rate`,
    'nodes/nope/metrics/cpu/usage_rate',
    'nodes/node-1/metrics/no/such_metric',
  ];
  const out = [
    'metrics',
    'nodes',
    'namespaces',
    'namespaces/kube-system/pods',
    `namespaces/${enc(ODD_NS)}/pods`,
    'namespaces/kube-system/pods/dns-1/containers',
    `${pod}/containers`,
    'nodes/node-1/freecontainers',
    'nodes/node-1/metrics',
    'namespaces/kube-system/pods/dns-1/metrics',
    `${pod}/containers/${enc('c 1')}/metrics`,
    'nodes/node-1/freecontainers/kubelet/metrics',
  ];
  const ranges = [
    '',
    `start=${iso(T0 + 5 * 60_000)}`,
    `start=${iso(T0 + 2 * 60_000 + 30_000)}&end=${iso(T0 + 11 * 60_000)}`,
  ];
  for (const p of metricPaths) {
    const [path, q] = p.split('?');
    for (const r of ranges) {
      const query = [q, r].filter(Boolean).join('&');
      out.push(path + (query ? `?${query}` : ''));
      const agg = path.replace(/\/metrics\//, `/metrics-aggregated/${ALL}/`);
      for (const bucket of ['5m', '1h', '90s']) {
        out.push(`${agg}?${[q, r, `bucket=${bucket}`].filter(Boolean).join('&')}`);
      }
    }
  }
  return out;
}

/** deepEqual, but numbers that are not integers compare with a relative tolerance. */
function assertClose(got: unknown, want: unknown, where: string): void {
  if (typeof want === 'number' && typeof got === 'number' && !Number.isInteger(want)) {
    assert.ok(
      Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)),
      `${where}: ${got} != ${want}`,
    );
    return;
  }
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(got), `${where}: not an array`);
    assert.equal(got.length, want.length, `${where}: length`);
    want.forEach((w, i) => assertClose(got[i], w, `${where}[${i}]`));
    return;
  }
  if (want !== null && typeof want === 'object') {
    assert.ok(got !== null && typeof got === 'object', `${where}: not an object`);
    assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), `${where}: keys`);
    for (const [k, w] of Object.entries(want)) {
      assertClose((got as Record<string, unknown>)[k], w, `${where}.${k}`);
    }
    return;
  }
  assert.deepEqual(got, want, where);
}

async function compareAll(db: string, options: string): Promise<number> {
  const api = await load(db, options);
  try {
    let nonEmpty = 0;
    for (const p of paths()) {
      const url = `/api/v1/historical/${p}`;
      const [a, b] = await Promise.all([
        api.fromStore.inject({ url }),
        api.fromInflux.inject({ url }),
      ]);
      assert.equal(a.statusCode, 200, `store ${url}: ${a.body}`);
      assert.equal(b.statusCode, 200, `influx ${url}: ${b.body}`);
      const want = a.json() as unknown;
      assertClose(b.json(), want, `${db} ${url}`);
      if (JSON.stringify(want).length > 40) nonEmpty++;
    }
    return nonEmpty;
  } finally {
    await api.close();
  }
}

test('historical API from InfluxDB equals the store, endpoint by endpoint (default schema)', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const n = await compareAll('hist', '');
  assert.ok(n > 150, `only ${n} answers had data`);
});

test('historical API from InfluxDB equals the store, endpoint by endpoint (withfields schema)', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const n = await compareAll('histfields', '&withfields=true&cluster_name=c%201');
  assert.ok(n > 150, `only ${n} answers had data`);
});

test('names from the URL cannot inject InfluxQL; pod-id routes read the pod_id tag', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const api = await load('inject', '');
  try {
    const get = async (p: string) => {
      const res = await api.fromInflux.inject({ url: `/api/v1/historical/${p}` });
      assert.equal(res.statusCode, 200, `${p}: ${res.body}`);
      return res.json() as unknown;
    };
    const empty = { metrics: [], latestTimestamp: '0001-01-01T00:00:00Z' };
    for (const evil of [
      `x' OR pod_name = 'dns-1`,
      `x' OR '1' = '1`,
      `x'; DROP DATABASE "inject"; SELECT '`,
      `x\\' OR pod_name = 'dns-1`,
      `x\n' OR pod_name = 'dns-1`,
    ]) {
      assert.deepEqual(
        await get(`namespaces/kube-system/pods/${enc(evil)}/metrics/memory/usage`),
        empty,
        evil,
      );
      assert.deepEqual(
        await get(
          `namespaces/kube-system/pods/dns-1/metrics/memory/usage?labels=${enc(`resource_id:${evil}`)}`,
        ),
        empty,
        evil,
      );
      assert.deepEqual(await get(`namespaces/${enc(evil)}/pods`), [], evil);
    }
    assert.deepEqual(
      await get(`nodes/node-1/metrics/${enc('cpu/usage_rate" WHERE 1=1; DROP DATABASE "inject')}`),
      empty,
    );
    // Still there, untouched.
    const dbs = (await influx!.query('SHOW DATABASES'))[0].values.flat();
    assert.ok(dbs.includes('inject'));
    const dns = (await get('namespaces/kube-system/pods/dns-1/metrics/memory/usage')) as {
      metrics: unknown[];
    };
    assert.equal(dns.metrics.length, TICKS);

    // The sink does not write pod_id (like the original); data that has it is found by uid.
    await fetch(`${influx!.url}/write?db=inject&rp=default&precision=ms`, {
      method: 'POST',
      body: [
        `memory/usage,cluster_name=default,type=pod,pod_id=uid-1,pod_name=p,namespace_name=n value=7i ${T0}`,
        `memory/usage,cluster_name=default,type=pod,pod_id=uid-1,pod_name=p,namespace_name=n value=9i ${T0 + 60_000}`,
        `memory/usage,cluster_name=default,type=pod_container,pod_id=uid-1,container_name=c value=5i ${T0}`,
      ].join('\n'),
    });
    assert.deepEqual(await get('pod-id/uid-1/metrics/memory/usage'), {
      metrics: [
        { timestamp: '2018-06-01T10:00:00Z', value: 7 },
        { timestamp: '2018-06-01T10:01:00Z', value: 9 },
      ],
      latestTimestamp: '2018-06-01T10:01:00Z',
    });
    assert.deepEqual(await get('pod-id/uid-1/metrics'), ['memory/usage']);
    assert.deepEqual(await get('pod-id/uid-1/containers'), ['c']);
    assert.deepEqual(
      ((await get('pod-id/uid-1/containers/c/metrics/memory/usage')) as { metrics: unknown[] })
        .metrics,
      [{ timestamp: '2018-06-01T10:00:00Z', value: 5 }],
    );
    assert.deepEqual(
      await get('pod-id-list/uid-1,uid-2/metrics-aggregated/max,count/memory/usage?bucket=1h'),
      {
        items: [
          {
            buckets: [{ timestamp: '2018-06-01T10:00:00Z', count: 2, maximum: { intValue: 9 } }],
            bucketSize: 3.6e12,
          },
          { buckets: [], bucketSize: 3.6e12 },
        ],
      },
    );
    // The store keys pods by name: it does not serve pod-id routes.
    const res = await api.fromStore.inject({ url: '/api/v1/historical/pod-id/uid-1/metrics' });
    assert.equal(res.statusCode, 404);
  } finally {
    await api.close();
  }
});

test('InfluxDB down: 502 naming the server; a missing database reads as empty', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const port = await freePort();
  const uri = `influxdb:http://127.0.0.1:${port}?db=k8s`;
  const backend = createInfluxdbHistoricalBackend(parseUri('--historical_source', uri, {}));
  const app = createApiServer({
    store: new TsdbStore({ retentionRawMs: 3_600_000 }),
    selfMetrics: new SelfMetrics(),
    resolutionMs: 60_000,
    healthMaxDelayMs: 180_000,
    logger: silent,
    historicalSource: uri,
    historicalBackend: backend,
  });
  try {
    for (const p of [
      'nodes',
      'nodes/n/metrics/cpu/usage_rate',
      'metrics-aggregated/max/cpu/usage_rate',
    ]) {
      const res = await app.inject({ url: `/api/v1/historical/${p}` });
      assert.equal(res.statusCode, 502, p);
      assert.match(
        res.json().error,
        new RegExp(
          `^InfluxDB at http://127\\.0\\.0\\.1:${port} \\(database "k8s"\\) is unreachable: connect ECONNREFUSED`,
        ),
      );
    }
  } finally {
    await app.close();
    await backend.close();
  }
  // A server that accepts and never answers: 504 once the query timeout passes.
  const silentServer = createServer(() => {});
  await new Promise<void>((r) => silentServer.listen(0, '127.0.0.1', r));
  const silentPort = (silentServer.address() as AddressInfo).port;
  const slow = new InfluxdbHistoricalBackend({
    ...parseInfluxdbHistoricalUri(
      parseUri('--historical_source', `influxdb:http://127.0.0.1:${silentPort}`, {}),
    ),
    timeoutMs: 300,
  });
  try {
    await assert.rejects(slow.list({ kind: 'nodes' }), (err: HistoricalSourceError) => {
      assert.equal(err.status, 504);
      assert.match(
        err.message,
        /^InfluxDB at http:\/\/127\.0\.0\.1:\d+ \(database "k8s"\) did not answer within 0\.3 s$/,
      );
      return true;
    });
  } finally {
    await slow.close();
    silentServer.closeAllConnections();
    await new Promise((r) => silentServer.close(r));
  }
  const fresh = createInfluxdbHistoricalBackend(
    parseUri('--historical_source', `influxdb:${influx!.url}?db=never_written`, {}),
  );
  try {
    assert.deepEqual(await fresh.list({ kind: 'nodes' }), []);
    assert.deepEqual(
      await fresh.points({ key: 'node:n', metric: 'cpu/usage_rate', startMs: 0, endMs: NOW }),
      [],
    );
  } finally {
    await fresh.close();
  }
});
