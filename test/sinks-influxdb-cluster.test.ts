// The real CLI on a simulated 5-node cluster, exporting to a real InfluxDB 1.6 in both schemas:
// every query of the original's Grafana dashboards (QUERIES.md, with $timeFilter and $interval
// filled in as Grafana does) returns series, and the values of one tick equal what the Model
// API serves for that tick; the historical API served from that InfluxDB
// (--historical_source) agrees too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSimulator } from '../src/sim/simulator.js';
import type { Simulator } from '../src/sim/simulator.js';
import { dashboardQueries, fillQuery } from './support/grafana-queries.js';
import type { HeapsterProcess } from './support/heapster-process.js';
import { startHeapster } from './support/heapster-process.js';
import type { InfluxdbServer } from './support/influxdb.js';
import { haveInfluxdb, startInfluxdb } from './support/influxdb.js';
import { need, waitFor } from './support/services.js';

const RESOLUTION_S = 2;

interface MetricResult {
  metrics: { timestamp: string; value: number; floatValue?: number }[];
}

test('simulated cluster → heapster → InfluxDB: every dashboard query has series and the Model API values (both schemas)', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  // Released in reverse order even when the test fails half-way.
  const res: { influx?: InfluxdbServer; sim?: Simulator; hs?: HeapsterProcess } = {};
  t.after(async () => {
    await res.hs?.stop().catch(() => res.hs?.child.kill('SIGKILL'));
    await res.sim?.stop();
    await res.influx?.destroy();
  });
  const influx = (res.influx = await startInfluxdb());
  const sim = (res.sim = await startSimulator({ nodes: 5, podsPerNode: 4, containersPerPod: 2 }));
  const plain = `influxdb:${influx.url}?db=k8s`;
  const fields = `influxdb:${influx.url}?db=k8sfields&withfields=true`;
  const hs = (res.hs = await startHeapster([
    `--source=${sim.sourceUri}`,
    `--metric_resolution=${RESOLUTION_S}s`,
    `--sink=${plain}`,
    `--sink=${fields}`,
    `--historical_source=${plain}`,
  ]));
  const db = influx;
  const heapster = hs;
  const get = async <T>(path: string): Promise<T> => {
    const r = await heapster.get(path);
    assert.equal(r.status, 200, `${path}: ${r.text}`);
    return r.body as T;
  };

  // Pick the dashboards' template values from what the Model API lists.
  const nodes = await waitFor('nodes in the Model API', async () => {
    const n = await get<string[]>('/api/v1/model/nodes/');
    return n.length === 5 ? n : undefined;
  });
  const node = nodes[0];
  const namespace = 'kube-system';
  const pods = await waitFor(`pods of ${namespace}`, async () => {
    const p = await get<string[]>(`/api/v1/model/namespaces/${namespace}/pods/`);
    return p.length > 0 ? p : undefined;
  });
  const pod = pods[0];
  const containers = await get<string[]>(
    `/api/v1/model/namespaces/${namespace}/pods/${pod}/containers/`,
  );
  assert.ok(containers.length > 0);

  // A tick whose rates exist and that both databases hold: the newest node cpu/usage_rate
  // point of the Model API once InfluxDB has it in both schemas.
  const cpuPath = `/api/v1/model/nodes/${node}/metrics/cpu/usage_rate`;
  const tickMs = await waitFor(
    'a tick with rates in the Model API and in both databases',
    async () => {
      const r = await get<MetricResult>(cpuPath);
      const last = r.metrics.at(-1);
      if (last === undefined) return undefined;
      const ms = Date.parse(last.timestamp);
      const q = (f: string, m: string) =>
        `SELECT "${f}" FROM "${m}" WHERE "type" = 'node' AND "nodename" = '${node}' AND time = ${ms}ms`;
      const [a, b] = await Promise.all([
        db.query(q('value', 'cpu/usage_rate'), 'k8s'),
        db.query(q('usage_rate', 'cpu'), 'k8sfields'),
      ]);
      return a.length > 0 && b.length > 0 ? ms : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );

  // 1. Every dashboard query returns series, both schemas, over the last 5 minutes.
  const vars = { nodename: node, namespace, podname: pod };
  let checked = 0;
  for (const dq of dashboardQueries()) {
    const withFields = dq.file.startsWith('influxdb_withfields');
    const q = fillQuery(dq.text, {
      timeFilter: 'time > now() - 5m',
      interval: `${RESOLUTION_S}s`,
      vars,
    });
    const series = await db.query(q, withFields ? 'k8sfields' : 'k8s');
    assert.ok(series.length > 0, `no series for ${dq.file}: ${q}`);
    const values = series.flatMap((s) => s.values.map((r) => r[1]));
    assert.ok(
      values.some((v) => typeof v === 'number' || typeof v === 'string'),
      `only nulls for ${dq.file}: ${q}`,
    );
    checked++;
  }
  assert.equal(checked, 94); // 47 per schema: 44 panel targets + 3 template variables

  // 2. One tick's values: dashboard panels and direct reads equal the Model API.
  const at = (r: MetricResult, what: string): number => {
    const p = r.metrics.find((m) => Date.parse(m.timestamp) === tickMs);
    assert.ok(p, `Model API has no ${what} point at ${new Date(tickMs).toISOString()}`);
    return p.value;
  };
  const oneTick = {
    timeFilter: `time >= ${tickMs}ms AND time <= ${tickMs}ms`,
    interval: `${RESOLUTION_S}s`,
    vars,
  };
  const panel = async (file: string, needle: string, dbName: string): Promise<number> => {
    const dq = dashboardQueries().find((d) => d.file === file && d.text.includes(needle));
    assert.ok(dq, `${file}: no query with ${needle}`);
    const series = await db.query(fillQuery(dq.text, oneTick), dbName);
    const rows = series.flatMap((s) => s.values).filter((r) => r[0] === tickMs);
    assert.equal(rows.length, 1, `${file}: ${needle}`);
    return rows[0][1] as number;
  };
  // Node CPU: the "Individual CPU Usage: $nodename" panel, both schemas.
  const nodeCpu = at(await get<MetricResult>(cpuPath), 'node cpu/usage_rate');
  assert.ok(nodeCpu > 0);
  assert.equal(
    await panel(
      'cluster.json',
      `FROM "cpu/usage_rate" WHERE "type" = 'node' AND "nodename" =~`,
      'k8s',
    ),
    nodeCpu,
  );
  assert.equal(
    await panel(
      'influxdb_withfields/cluster.json',
      `SELECT sum("usage_rate") FROM "cpu" WHERE "type" = 'node' AND "nodename" =~`,
      'k8sfields',
    ),
    nodeCpu,
  );
  // Pod container memory: the pods dashboard sums containers of the pod (GROUP BY container).
  let podMem = 0;
  for (const c of containers) {
    podMem += at(
      await get<MetricResult>(
        `/api/v1/model/namespaces/${namespace}/pods/${pod}/containers/${c}/metrics/memory/usage`,
      ),
      `container ${c} memory/usage`,
    );
  }
  const sumPanel = async (file: string, needle: string, dbName: string): Promise<number> => {
    const dq = dashboardQueries().find((d) => d.file === file && d.text.includes(needle));
    assert.ok(dq, `${file}: no query with ${needle}`);
    const series = await db.query(fillQuery(dq.text, oneTick), dbName);
    assert.equal(series.length, containers.length, `${file}: one series per container`);
    return series.reduce((a, s) => a + (s.values.find((r) => r[0] === tickMs)?.[1] as number), 0);
  };
  assert.equal(await sumPanel('pods.json', 'FROM "memory/usage"', 'k8s'), podMem);
  assert.equal(
    await sumPanel(
      'influxdb_withfields/pods.json',
      'SELECT sum("usage") FROM "memory"',
      'k8sfields',
    ),
    podMem,
  );
  // Pod memory/usage and a labeled filesystem/usage, read directly.
  const podMemModel = at(
    await get<MetricResult>(
      `/api/v1/model/namespaces/${namespace}/pods/${pod}/metrics/memory/usage`,
    ),
    'pod memory/usage',
  );
  const one = async (dbName: string, m: string, f: string, where: string): Promise<unknown> => {
    const s = await db.query(
      `SELECT "${f}" FROM "${m}" WHERE ${where} AND time = ${tickMs}ms`,
      dbName,
    );
    assert.equal(s.length, 1, `${m} ${where}`);
    assert.equal(s[0].values.length, 1, `${m} ${where}`);
    return s[0].values[0][1];
  };
  const podWhere = `"type" = 'pod' AND "namespace_name" = '${namespace}' AND "pod_name" = '${pod}'`;
  assert.equal(await one('k8s', 'memory/usage', 'value', podWhere), podMemModel);
  assert.equal(await one('k8sfields', 'memory', 'usage', podWhere), podMemModel);
  const fsIds = (
    await db.query(
      `SHOW TAG VALUES FROM "filesystem/usage" WITH KEY = "resource_id" WHERE "type" = 'node' AND "nodename" = '${node}'`,
      'k8s',
    )
  )[0].values.map((r) => String(r[1]));
  assert.ok(fsIds.length > 0, 'node filesystems have resource_id tags');
  for (const id of fsIds) {
    const model = at(
      await get<MetricResult>(
        `/api/v1/model/nodes/${node}/metrics/filesystem/usage?labels=resource_id:${encodeURIComponent(id)}`,
      ),
      `filesystem/usage ${id}`,
    );
    const where = `"type" = 'node' AND "nodename" = '${node}' AND "resource_id" = '${id}'`;
    assert.equal(await one('k8s', 'filesystem/usage', 'value', where), model);
    assert.equal(await one('k8sfields', 'filesystem', 'usage', where), model);
  }

  // 3. The historical API, served by this heapster from InfluxDB, has the same tick.
  const hist = await get<MetricResult>(
    `/api/v1/historical/nodes/${node}/metrics/cpu/usage_rate?start=${new Date(tickMs).toISOString()}`,
  );
  assert.equal(at(hist, 'historical node cpu/usage_rate'), nodeCpu);
  assert.deepEqual(await get<string[]>('/api/v1/historical/nodes/'), [...nodes].sort());
  const agg = await get<{ buckets: { count: number; maximum: { intValue: number } }[] }>(
    `/api/v1/historical/namespaces/${namespace}/pods/${pod}/metrics-aggregated/max,count/memory/usage?bucket=1h`,
  );
  assert.ok(agg.buckets.length >= 1 && agg.buckets.every((b) => b.count >= 1));
});
