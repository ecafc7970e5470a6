// graphite (carbon plaintext, TCP and UDP) and opentsdb (/api/put) sinks against a real
// VictoriaMetrics' Graphite and OpenTSDB HTTP listeners: every point arrives with the path
// or name and tags we meant, and labeled values no longer collide in Graphite.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { parseUri } from '../src/config/uri.js';
import { countPoints } from '../src/core/batch.js';
import { SelfMetrics } from '../src/core/self-metrics.js';
import { QueuedSink } from '../src/pipeline/sink-queue.js';
import { toGraphiteLines } from '../src/sinks/graphite-sink.js';
import { toTsdbPoints } from '../src/sinks/opentsdb-sink.js';
import { createSink } from '../src/sinks/registry.js';
import { clusterBatch } from '../src/sinks/testdata/cluster-batch.js';
import { need, waitFor } from './support/services.js';
import type { VictoriaMetricsServer } from './support/victoria-metrics.js';
import { haveVictoriaMetrics, startVictoriaMetrics } from './support/victoria-metrics.js';

const silent = pino({ level: 'silent' });
const ctx = { nodeName: 'n', resolutionMs: 1000, logger: silent };
let vm: VictoriaMetricsServer | undefined;

before(async () => {
  if (haveVictoriaMetrics()) vm = await startVictoriaMetrics();
});
after(async () => {
  await vm?.stop();
});

async function send(uri: string, t: number): Promise<number> {
  const metrics = new SelfMetrics();
  const q = new QueuedSink(createSink(parseUri('--sink', uri, {}), ctx), {
    capacity: 3,
    writeTimeoutMs: 5000,
    metrics,
    logger: silent,
  });
  await q.write(clusterBatch(t));
  await q.close();
  const json = await metrics.registry.getMetricsAsJSON();
  return json.find((m) => m.name === 'heapster_sink_points_written_total')?.values[0]?.value ?? 0;
}

for (const proto of ['tcp', 'udp'] as const) {
  test(`graphite over ${proto}: every path arrives with its value; labeled values get their resource id`, async (t) => {
    if (!need(t, haveVictoriaMetrics(), 'install Debian package victoria-metrics')) return;
    const prefix = `k8s_${proto}`;
    const ts = Math.floor(Date.now() / 1000) * 1000 - 5000;
    const batch = clusterBatch(ts);
    const want = new Map<string, number>();
    for (const c of toGraphiteLines(batch, prefix)) {
      for (const line of c.text.trimEnd().split('\n')) {
        const [path, value, sec] = line.split(' ');
        assert.equal(Number(sec), ts / 1000);
        assert.ok(!want.has(path), `two points share the path ${path}`);
        want.set(path, Number(value));
      }
    }
    assert.equal(want.size, countPoints(batch));
    assert.ok(want.has(`${prefix}.nodes.node-1.filesystem._.usage`));
    assert.ok(want.has(`${prefix}.nodes.node-1.filesystem.logs.usage`));
    assert.ok(
      want.has(`${prefix}.nodes.node-2.pods.default.web-1.containers.web.memory.working_set`),
    );
    assert.ok(want.has(`${prefix}.nodes.node-1.sys-containers.kubelet.cpu.usage_rate`));
    assert.ok(want.has(`${prefix}.namespaces.kube-system.cpu.usage_rate`));
    assert.ok(want.has(`${prefix}.cluster.cpu.usage_rate`));
    const written = await send(
      `graphite:${proto}://127.0.0.1:${vm!.graphitePort}?prefix=${prefix}`,
      ts,
    );
    assert.equal(written, want.size);
    const got = await waitFor(`graphite points in VictoriaMetrics (${proto})`, async () => {
      const r = await vm!.query(`{__name__=~"${prefix}\\\\..+"}`, ts / 1000);
      return r.length >= want.size ? r : undefined;
    });
    assert.equal(got.length, want.size);
    for (const s of got) {
      const path = s.metric.__name__;
      assert.ok(want.has(path), `unexpected ${path}`);
      assert.equal(Number(s.value[1]), want.get(path), path);
    }
  });
}

test('opentsdb: every point arrives with its name and tags, labeled values included', async (t) => {
  if (!need(t, haveVictoriaMetrics(), 'install Debian package victoria-metrics')) return;
  const ts = Math.floor(Date.now() / 1000) * 1000 - 5000;
  const batch = clusterBatch(ts);
  const key = (m: Record<string, string>) =>
    JSON.stringify(
      Object.keys(m)
        .sort()
        .map((k) => [k, m[k]]),
    );
  const want = new Map<string, number>();
  for (const p of toTsdbPoints(batch, 'tsdb-test')) {
    const k = key({ __name__: p.metric, ...p.tags });
    assert.ok(!want.has(k), `duplicate ${k}`);
    want.set(k, p.value);
  }
  assert.equal(want.size, countPoints(batch));
  assert.ok(
    want.has(
      key({
        __name__: 'filesystem_usage_gauge',
        type: 'node',
        nodename: 'node-1',
        labels: 'zone_a',
        resource_id: 'logs',
        cluster: 'tsdb-test',
      }),
    ),
  );
  const written = await send(`opentsdb:${vm!.opentsdbUrl}?cluster=tsdb-test`, ts);
  assert.equal(written, want.size);
  const got = await waitFor('opentsdb points in VictoriaMetrics', async () => {
    const r = await vm!.query(`{cluster="tsdb-test"}`, ts / 1000);
    return r.length >= want.size ? r : undefined;
  });
  assert.equal(got.length, want.size);
  for (const s of got) {
    const k = key(s.metric);
    assert.ok(want.has(k), `unexpected ${k}`);
    assert.equal(Number(s.value[1]), want.get(k), k);
  }
});
