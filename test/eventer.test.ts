// `heapster eventer` as a child process against the simulated cluster (src/sim) and a real
// InfluxDB 1.x: both schemas, each event exported once across ticks and watch restarts, the
// Grafana "Events" dashboard queries, an InfluxDB outage, the log sink, flush on SIGTERM,
// /healthz and /metrics, and bad flags.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { SimEvent } from '../src/sim/cluster-model.js';
import { startSimulator } from '../src/sim/simulator.js';
import type { Simulator } from '../src/sim/simulator.js';
import type { InfluxdbServer, InfluxSeries } from './support/influxdb.js';
import { haveInfluxdb, startInfluxdb } from './support/influxdb.js';
import { startGoogleApiServer } from './support/google-api-server.js';
import { stopChild } from './support/heapster-process.js';
import { freePort, need, waitFor } from './support/services.js';

const BIN = fileURLToPath(new URL('../bin/heapster.js', import.meta.url));

let influx: InfluxdbServer | undefined;
before(async () => {
  if (haveInfluxdb()) influx = await startInfluxdb();
});
after(async () => {
  await influx?.destroy();
});

interface EventerProcess {
  readonly child: ChildProcess;
  readonly base: string;
  stdout(): string;
  stderr(): string;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** SIGTERM; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** Starts `heapster eventer ARGS` on a free healthz port; resolves once the first list is done. */
async function startEventer(args: string[]): Promise<EventerProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [BIN, 'eventer', `--healthz_port=${port}`, '--healthz-ip=127.0.0.1', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HEAPSTER_LOG_LEVEL: 'info' } },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const base = `http://127.0.0.1:${port}`;
  const proc: EventerProcess = {
    child,
    base,
    stdout: () => out,
    stderr: () => err,
    async metric(name, labels = {}) {
      const text = await (await fetch(`${base}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
        if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
          sum += Number(line.slice(line.lastIndexOf(' ') + 1));
        }
      }
      return sum;
    },
    stop: (timeoutMs = 15_000) => stopChild(child, exited, 'eventer', timeoutMs),
  };
  try {
    await waitFor(
      'eventer listed the events',
      async () => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${err}`);
        return err.includes('"listed ') ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return proc;
}

/** Every event the simulator makes, in order. */
function recordEvents(sim: Simulator): SimEvent[] {
  const out: SimEvent[] = [];
  sim.model.onChange((c) => {
    if (c.kind === 'event') out.push(c.event);
  });
  return out;
}

function source(sim: Simulator): string {
  return `--source=kubernetes:${sim.apiUrl}?inClusterConfig=false`;
}

/** Rows of a query as objects (column → value), over every series. */
function rows(series: InfluxSeries[]): Record<string, unknown>[] {
  return series.flatMap((s) =>
    s.values.map((v) => ({
      ...s.tags,
      ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])),
    })),
  );
}

async function waitForRows(db: string, q: string, n: number): Promise<Record<string, unknown>[]> {
  return waitFor(
    `${n} rows of ${q}`,
    async () => {
      const r = rows(await influx!.query(q, db));
      return r.length >= n ? r : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}

test('eventer → influxdb (default schema) and log: every event once, across ticks and API server restarts', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const sim = await startSimulator({
    nodes: 3,
    podsPerNode: 3,
    containersPerPod: 1,
    watchCacheSize: 6,
  });
  const emitted = recordEvents(sim);
  let ev: EventerProcess | undefined;
  try {
    sim.churn(); // before the start: not exported (older than one --frequency by the time it lists)
    await new Promise((r) => setTimeout(r, 1100));
    const before = emitted.length;
    ev = await startEventer([
      source(sim),
      `--sink=influxdb:${influx!.url}?db=ev_default&cluster_name=sim`,
      '--sink=log',
      '--frequency=1s',
    ]);
    const health = await fetch(`${ev.base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok');

    // Over several ticks.
    for (let i = 0; i < 3; i++) {
      sim.churn();
      sim.restart();
      await new Promise((r) => setTimeout(r, 700));
    }
    // A short API server restart (the watch resumes) and a long one with more changes than
    // the watch cache holds (410 Gone, relist).
    const short = sim.restartApi(300);
    sim.restart();
    await short;
    const long = sim.restartApi(1500);
    for (let i = 0; i < 5; i++) sim.churn();
    await long;
    sim.restart();

    const expected = emitted.slice(before);
    assert.equal(expected.length, 3 * 3 + 1 + 10 + 1);
    const got = await waitForRows('ev_default', 'SELECT * FROM "log/events"', expected.length);
    await new Promise((r) => setTimeout(r, 1500)); // a tick or two more: nothing extra arrives
    const all = rows(await influx!.query('SELECT * FROM "log/events"', 'ev_default'));
    assert.equal(all.length, expected.length, 'no event from before the start, none missing');
    assert.equal(got.length, expected.length);
    const byUid = new Map(all.map((r) => [r.uid as string, r]));
    for (const e of expected) {
      const r = byUid.get(e.uid);
      assert.ok(r, `event ${e.reason} of ${e.podName} in InfluxDB`);
      assert.equal(r.time, e.timeMs, 'time = lastTimestamp');
      assert.equal(r.pod_name, e.podName);
      assert.equal(r.pod_id, e.podUid);
      assert.equal(r.hostname, e.nodeName);
      assert.equal(r.cluster_name, 'sim');
      const value = JSON.parse(r.value as string) as Record<string, Record<string, unknown>>;
      assert.equal(value.metadata.uid, e.uid);
      assert.equal(value.metadata.namespace, e.namespace);
      assert.equal(value.reason as unknown, e.reason);
      assert.equal(value.message as unknown, e.message);
      assert.equal(value.involvedObject.name, e.podName);
    }
    // Sent once each (InfluxDB would silently merge a duplicate point: count what we sent).
    assert.equal(
      await ev.metric('heapster_sink_points_written_total', {
        sink: `influxdb:127.0.0.1:${influx!.port}/ev_default`,
      }),
      expected.length,
    );
    assert.equal(
      await ev.metric('heapster_sink_points_written_total', { sink: 'log' }),
      expected.length,
    );
    assert.ok((await ev.metric('eventer_watch_restarts_total')) >= 1, 'the watch was restarted');
    assert.ok((await ev.metric('eventer_events_received_total', { via: 'list' })) >= 1, 'relisted');
    assert.equal(await ev.metric('eventer_events_dropped_total'), 0);

    assert.equal(await ev.stop(), 0, 'SIGTERM: exit 0');
    // The log sink: one line per event, each once.
    const lines = ev
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('   '));
    const lineOf = (e: SimEvent) =>
      `   ${new Date(e.timeMs).toISOString().replace('.000Z', 'Z')} (cnt:1): ${e.message} ` +
      `[${e.type} ${e.reason} Pod ${e.namespace}/${e.podName} on ${e.nodeName}]`;
    assert.deepEqual([...lines].sort(), expected.map(lineOf).sort());
  } finally {
    await ev?.stop();
    await sim.stop();
  }
});

test('eventer → influxdb withfields: the Grafana "Events" dashboard queries return the events', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const sim = await startSimulator({ nodes: 2, podsPerNode: 3, containersPerPod: 1 });
  const emitted = recordEvents(sim);
  let ev: EventerProcess | undefined;
  try {
    ev = await startEventer([
      source(sim),
      `--sink=influxdb:${influx!.url}?db=ev_fields&withfields=true`,
      '--frequency=1s',
    ]);
    for (let i = 0; i < 3; i++) sim.churn();
    sim.restart();
    const got = await waitForRows('ev_fields', 'SELECT * FROM "events"', emitted.length);
    assert.equal(got.length, 7);
    const byUid = new Map(got.map((r) => [r.uid as string, r]));
    for (const e of emitted) {
      const r = byUid.get(e.uid);
      assert.ok(r, `${e.reason} ${e.podName}`);
      assert.equal(r.message, e.message);
      assert.equal(r.reason, e.reason);
      assert.equal(r.type, e.type);
      assert.equal(r.kind, 'Pod');
      assert.equal(r.object_name, e.podName);
      assert.equal(r.namespace_name, e.namespace);
      assert.equal(r.hostname, e.nodeName);
      assert.equal(r.component, 'kubelet');
      assert.equal(r.pod_id, e.podUid);
      assert.equal(r.cluster_name, 'default');
    }

    // The dashboard's queries (from the original's influxdb_withfields/events.json), with the
    // template variables set to one event's values.
    const md = readFileSync(new URL('./testdata/grafana/QUERIES.md', import.meta.url), 'utf8');
    const section = md.slice(md.indexOf('## influxdb_withfields/events.json'));
    const queries = [
      ...section.slice(0, section.indexOf('\n## ', 5)).matchAll(/`((?:SELECT|SHOW) [^`]+)`/g),
    ].map((m) => m[1]);
    assert.equal(queries.length, 7, 'five templates and two panels');
    const pick = emitted.find((e) => e.reason === 'BackOff');
    assert.ok(pick);
    const vars: Record<string, string> = {
      namespace: pick.namespace,
      kind: 'Pod',
      object_name: pick.podName,
      type: pick.type,
      reason: pick.reason,
    };
    const fill = (q: string) =>
      q
        .replaceAll('$timeFilter', 'time > now() - 1h')
        .replace(/\$(\w+)/g, (_, name: string) => vars[name] ?? `$${name}`);
    for (const q of queries) {
      const series = await influx!.query(fill(q), 'ev_fields');
      assert.ok(series.length > 0, `no series for ${fill(q)}`);
      const r = rows(series);
      if (q.startsWith('SHOW')) {
        const key = /WITH KEY = "(\w+)"/.exec(q)?.[1] ?? '';
        const want = vars[key === 'namespace_name' ? 'namespace' : key];
        assert.ok(
          r.some((x) => x.key === key && x.value === want),
          `${q}: ${JSON.stringify(r)}`,
        );
      } else if (q.includes('count(message)')) {
        assert.equal(
          r.reduce((a, x) => a + ((x.count as number | null) ?? 0), 0),
          1,
          `${q}: ${JSON.stringify(r)}`,
        );
      } else {
        assert.equal(r.length, 1, JSON.stringify(r));
        assert.equal(r[0].Message, pick.message);
        assert.equal(r[0].Node_name, pick.nodeName);
        assert.equal(r[0].Object_Name, pick.podName);
        assert.equal(r[0].Reason, 'BackOff');
        assert.equal(r[0].Type, 'Warning');
      }
    }
  } finally {
    await ev?.stop();
    await sim.stop();
  }
});

test('eventer: InfluxDB down for a while loses nothing that fits the queue; SIGTERM flushes what is buffered', async (t) => {
  if (!need(t, haveInfluxdb(), 'install Debian package influxdb')) return;
  const sim = await startSimulator({ nodes: 2, podsPerNode: 3, containersPerPod: 1 });
  const emitted = recordEvents(sim);
  let ev: EventerProcess | undefined;
  let slow: EventerProcess | undefined;
  try {
    ev = await startEventer([
      source(sim),
      `--sink=influxdb:${influx!.url}?db=ev_outage&retry_max_delay=1s`,
      '--frequency=1s',
    ]);
    sim.churn();
    await waitForRows('ev_outage', 'SELECT * FROM "log/events"', 2);
    await influx!.stop();
    for (let i = 0; i < 4; i++) {
      sim.churn();
      sim.restart();
      await new Promise((r) => setTimeout(r, 1000));
    }
    const sink = `influxdb:127.0.0.1:${influx!.port}/ev_outage`;
    assert.ok((await ev.metric('heapster_sink_write_errors_total', { sink })) > 0, 'writes failed');
    assert.ok(
      (await ev.metric('heapster_sink_queue_points', { sink })) > 0,
      'events wait in the queue',
    );
    await influx!.start();
    const got = await waitForRows('ev_outage', 'SELECT * FROM "log/events"', emitted.length);
    assert.equal(got.length, 14);
    assert.deepEqual(got.map((r) => r.uid).sort(), emitted.map((e) => e.uid).sort());
    assert.equal(
      await ev.metric('heapster_sink_points_written_total', { sink }),
      14,
      'each sent once',
    );
    assert.equal(await ev.metric('heapster_sink_points_dropped_total', { sink }), 0);
    assert.equal(await ev.stop(), 0);

    // A long tick: events wait in the buffer; SIGTERM runs a last tick and flushes the queue.
    // (Its first list exports the events of the last --frequency: here all of them.)
    slow = await startEventer([
      source(sim),
      `--sink=influxdb:${influx!.url}?db=ev_flush`,
      '--frequency=3m',
    ]);
    sim.churn();
    sim.restart();
    await waitFor('events buffered', async () =>
      (await slow!.metric('eventer_buffer_events')) === emitted.length ? true : undefined,
    );
    assert.equal(await slow.stop(), 0);
    const flushed = rows(await influx!.query('SELECT * FROM "log/events"', 'ev_flush'));
    assert.equal(flushed.length, 17);
    assert.deepEqual(flushed.map((r) => r.uid).sort(), emitted.map((e) => e.uid).sort());
  } finally {
    await ev?.stop();
    await slow?.stop();
    await sim.stop();
  }
});

test('eventer → gcl: each event once as an entry of log kubernetes.io/events (local Cloud Logging API)', async () => {
  const api = await startGoogleApiServer();
  const sim = await startSimulator({ nodes: 2, podsPerNode: 2, containersPerPod: 1 });
  const emitted = recordEvents(sim);
  let ev: EventerProcess | undefined;
  try {
    ev = await startEventer([
      source(sim),
      `--sink=gcl:?project=sim-project&endpoint=${api.endpoint}&insecure=true`,
      '--frequency=1s',
    ]);
    sim.churn();
    sim.restart();
    await new Promise((r) => setTimeout(r, 1200)); // the next ones in a later tick
    sim.churn();
    const entries = await waitFor(
      'gcl entries',
      async () => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const all = api.ok('WriteLogEntries').flatMap((c) => c.request.entries as any[]);
        return all.length >= emitted.length ? all : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    assert.equal(await ev.stop(), 0);
    assert.equal(entries.length, 5);
    assert.deepEqual(
      entries.map((e: { insertId: string }) => e.insertId).sort(),
      emitted.map((e) => e.uid).sort(),
    );
    for (const e of entries) {
      assert.equal(e.logName, 'projects/sim-project/logs/kubernetes.io%2Fevents');
    }
  } finally {
    await ev?.stop();
    await sim.stop();
    await api.stop();
  }
});

test('eventer: bad flags and options exit 2 naming them; --help and --version exit 0', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, 'eventer', ...args], { encoding: 'utf8', timeout: 30_000 });
  const src = '--source=kubernetes:http://127.0.0.1:1?inClusterConfig=false';
  const cases: [string[], RegExp][] = [
    [[src, '--frequency=fast'], /--frequency: "fast" is not a duration/],
    [[src, '--sinks=log'], /unknown flag --sinks/],
    [[src, '--sink=kafka:?brokers=k:9092'], /event sink "kafka" is not supported yet/],
    [
      [src, '--sink=influxdb:http://h:8086?dbname=x'],
      /--sink=influxdb:http:\/\/h:8086\?dbname=x: unknown option "dbname"/,
    ],
    [[src.replace('inClusterConfig', 'inClusterConfg')], /unknown option "inClusterConfg"/],
  ];
  for (const [args, re] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /^heapster eventer: /);
  }
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--healthz-port PORT/);
  const version = run('--version');
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^heapster eventer version \d+\.\d+\.\d+/);
});
