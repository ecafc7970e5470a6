// The gcm, stackdriver and gcl sinks through the official @google-cloud clients against a
// local gRPC server that speaks Cloud Monitoring v3 and Cloud Logging v2 (built from the
// clients' own .proto files): the requests the clients really send are decoded and checked.
// Batches come from the simulated cluster through the real source and processor chain.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { ConfigError } from '../src/config/types.js';
import { parseUri } from '../src/config/uri.js';
import type { Batch } from '../src/core/batch.js';
import { countPoints } from '../src/core/batch.js';
import { metricDescriptor, NODE_AUTOSCALING_METRICS } from '../src/core/metrics.js';
import { SelfMetrics } from '../src/core/self-metrics.js';
import type { KubeEvent } from '../src/events/types.js';
import { QueuedSink } from '../src/pipeline/sink-queue.js';
import { defaultProcessors } from '../src/processors/index.js';
import { startSimulator } from '../src/sim/simulator.js';
import { GCM_LABELS } from '../src/sinks/google/gcm-series.js';
import { createGclEventSink } from '../src/sinks/google/gcl-sink.js';
import { createSink } from '../src/sinks/registry.js';
import { createSource } from '../src/sources/registry.js';
import type { KubeletSource } from '../src/sources/kubernetes/kubelet-source.js';
import type { GoogleApiServer, RecordedCall } from './support/google-api-server.js';
import { startGoogleApiServer, structToJson } from './support/google-api-server.js';
import type { HeapsterProcess } from './support/heapster-process.js';
import { startHeapster } from './support/heapster-process.js';
import { waitFor } from './support/services.js';

const silent = pino({ level: 'silent' });
const ctx = { nodeName: 'x', resolutionMs: 15_000, logger: silent };
const PROJECT = 'test-project';
let api: GoogleApiServer;
/** Three ticks of a simulated 3-node cluster through the default processors (with enrichers). */
const batches: Batch[] = [];

const T0 = Math.floor(Date.now() / 1000) * 1000 - 600_000;

before(async () => {
  api = await startGoogleApiServer();
  const clock = { now: T0 };
  const sim = await startSimulator({
    nodes: 3,
    podsPerNode: 3,
    containersPerPod: 2,
    nowMs: () => clock.now,
  });
  const src = createSource(parseUri('--source', sim.sourceUri, {}), ctx) as KubeletSource;
  try {
    const chain = defaultProcessors({ cluster: src.cluster });
    const signal = new AbortController().signal;
    for (let i = 0; i < 4; i++) {
      const raw = await src.scrape({ startMs: clock.now - 15_000, endMs: clock.now }, signal);
      const b = chain.reduce((acc, p) => p.process(acc), raw);
      if (i > 0) batches.push(b); // the first tick has no rates
      clock.now += 15_000;
    }
  } finally {
    await src.close();
    await sim.stop();
  }
});

after(async () => {
  await api?.stop();
});

function uri(key: string, opts: string): ReturnType<typeof parseUri> {
  return parseUri(
    '--sink',
    `${key}:?project=${PROJECT}&endpoint=${api.endpoint}&insecure=true${opts}`,
    {},
  );
}

/** Decoded value of a point: number and which oneof field carried it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function pointValue(p: any): { field: string; value: number } {
  const field = p.value.value as string;
  return { field, value: Number(p.value[field]) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function tsMs(t: any): number {
  return Number(t.seconds) * 1000 + Math.round((t.nanos ?? 0) / 1e6);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function allSeries(calls: RecordedCall[]): any[] {
  return calls.flatMap((c) => c.request.timeSeries);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function key(ts: any): string {
  const sorted = (o: Record<string, string> = {}) =>
    JSON.stringify(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  return `${ts.resource.type}${sorted(ts.resource.labels)}${ts.metric.type}${sorted(ts.metric.labels)}@${tsMs(ts.points[0].interval.endTime)}`;
}

test('the Google clients are loaded only when a Google sink sends', async () => {
  const cache = createRequire(import.meta.url).cache;
  const loaded = () => Object.keys(cache).some((k) => k.includes('/@google-cloud/'));
  const sink = createSink(uri('gcm', ''), ctx);
  assert.equal(loaded(), false, 'creating the sink must not load @google-cloud/*');
  await sink.write(batches[0]);
  assert.equal(loaded(), true);
  await sink.close();
  api.reset();
});

test('gcm: descriptors once, ≤ 200 series per request, every value of every batch once, with the right types and intervals', async () => {
  api.reset();
  const sink = createSink(uri('gcm', '&metrics=all'), ctx);
  for (const b of batches) await sink.write(b);
  await sink.close();

  // No Google auth went to the plaintext endpoint.
  for (const c of api.calls) assert.equal(c.metadata.authorization, undefined);
  assert.equal(
    api.calls.filter((c) => c.failedWith).length,
    0,
    JSON.stringify(api.calls.find((c) => c.failedWith)),
  );

  const descs = api.ok('CreateMetricDescriptor').map((c) => c.request);
  const types = descs.map((r) => r.metricDescriptor.type);
  assert.equal(new Set(types).size, types.length, 'each descriptor is created once');
  const byType = new Map(descs.map((r) => [r.metricDescriptor.type, r.metricDescriptor]));
  for (const r of descs) {
    const d = r.metricDescriptor;
    assert.equal(r.name, `projects/${PROJECT}`);
    assert.equal(d.name, `projects/${PROJECT}/metricDescriptors/${d.type}`);
    assert.ok(d.labels.length <= 10, `${d.type}: ${d.labels.length} labels`);
    const metric = d.type.replace('custom.googleapis.com/kubernetes.io/', '');
    const cat = metricDescriptor(metric);
    if (cat) {
      assert.equal(d.metricKind, cat.kind === 'cumulative' ? 'CUMULATIVE' : 'GAUGE', metric);
      assert.equal(d.valueType, cat.valueType === 'int64' ? 'INT64' : 'DOUBLE', metric);
    }
  }
  assert.equal(
    byType.get('custom.googleapis.com/kubernetes.io/cpu/usage')?.metricKind,
    'CUMULATIVE',
  );
  assert.equal(
    byType.get('custom.googleapis.com/kubernetes.io/cpu/usage_rate')?.valueType,
    'INT64',
  );
  assert.equal(
    byType.get('custom.googleapis.com/kubernetes.io/network/rx_rate')?.valueType,
    'DOUBLE',
  );
  assert.deepEqual(
    byType
      .get('custom.googleapis.com/kubernetes.io/memory/usage')
      ?.labels.map((l: { key: string }) => l.key),
    GCM_LABELS,
  );

  const requests = api.ok('CreateTimeSeries');
  assert.ok(
    requests.length >= 2 * batches.length,
    `${requests.length} requests: batches are > 200 series`,
  );
  for (const c of requests) {
    assert.equal(c.request.name, `projects/${PROJECT}`);
    assert.ok(c.request.timeSeries.length >= 1 && c.request.timeSeries.length <= 200);
  }
  const series = allSeries(requests);
  const keys = series.map(key);
  assert.equal(new Set(keys).size, keys.length, 'no series twice');
  for (const ts of series) {
    assert.deepEqual(ts.resource, { type: 'global', labels: { project_id: PROJECT } });
    assert.equal(ts.points.length, 1);
    for (const k of Object.keys(ts.metric.labels ?? {}))
      assert.ok(GCM_LABELS.includes(k) || ['resource_type'].includes(k), k);
    const d = byType.get(ts.metric.type);
    assert.ok(d, `descriptor of ${ts.metric.type} created before its first write`);
    const { field } = pointValue(ts.points[0]);
    assert.equal(field, d.valueType === 'INT64' ? 'int64Value' : 'doubleValue', ts.metric.type);
    const { startTime, endTime } = ts.points[0].interval;
    if (d.metricKind === 'CUMULATIVE') assert.ok(tsMs(startTime) < tsMs(endTime), ts.metric.type);
    else assert.equal(startTime, undefined, ts.metric.type);
  }
  // Every value of every batch arrived once (cumulative values need a collection start).
  for (const b of batches) {
    let expected = 0;
    for (const set of b.sets.values()) {
      const started = set.collectionStartMs > 0 && set.collectionStartMs < b.timestampMs;
      for (const [name] of set.values)
        if (metricDescriptor(name)?.kind !== 'cumulative' || started) expected++;
      for (const lv of set.labeled)
        if (metricDescriptor(lv.name)?.kind !== 'cumulative' || started) expected++;
    }
    const got = series.filter((ts) => tsMs(ts.points[0].interval.endTime) === b.timestampMs);
    assert.equal(got.length, expected, `series of batch ${b.timestampMs}`);
    assert.ok(expected > countPoints(b) * 0.8);
  }
  // A value as the batch had it.
  const last = batches.at(-1)!;
  const [nodeKey, node] = [...last.sets].find(([k]) => k.startsWith('node:') && !k.includes('/'))!;
  const cpu = series.find(
    (ts) =>
      ts.metric.type.endsWith('/cpu/usage_rate') &&
      ts.metric.labels.type === 'node' &&
      ts.metric.labels.hostname === node.labels.hostname &&
      tsMs(ts.points[0].interval.endTime) === last.timestampMs,
  );
  assert.ok(cpu, `cpu/usage_rate of ${nodeKey}`);
  assert.equal(pointValue(cpu.points[0]).value, node.values.get('cpu/usage_rate'));
  const cpuUsage = series.find(
    (ts) =>
      ts.metric.type.endsWith('/cpu/usage') &&
      ts.metric.labels.type === 'node' &&
      ts.metric.labels.hostname === node.labels.hostname &&
      tsMs(ts.points[0].interval.endTime) === last.timestampMs,
  );
  assert.equal(tsMs(cpuUsage.points[0].interval.startTime), node.collectionStartMs);
});

test('gcm metrics=autoscaling: only the node autoscaling metrics, labeled hostname, resource_id=host_id, resource_type=instance', async () => {
  api.reset();
  const sink = createSink(uri('gcm', '&metrics=autoscaling'), ctx);
  await sink.write(batches[0]);
  await sink.close();
  const allowed = new Set(
    NODE_AUTOSCALING_METRICS.map((m) => `custom.googleapis.com/kubernetes.io/${m.name}`),
  );
  const descs = api.ok('CreateMetricDescriptor').map((c) => c.request.metricDescriptor);
  assert.ok(descs.length > 0);
  for (const d of descs) {
    assert.ok(allowed.has(d.type), d.type);
    assert.deepEqual(d.labels.map((l: { key: string }) => l.key).sort(), [
      'hostname',
      'resource_id',
      'resource_type',
    ]);
  }
  const series = allSeries(api.ok('CreateTimeSeries'));
  const nodes = [...batches[0].sets.values()].filter((s) => s.labels.type === 'node');
  let expected = 0;
  for (const n of nodes)
    for (const [name] of n.values)
      if (allowed.has(`custom.googleapis.com/kubernetes.io/${name}`)) expected++;
  assert.ok(expected >= nodes.length * 4, `the enrichers made autoscaling metrics (${expected})`);
  assert.equal(series.length, expected);
  for (const ts of series) {
    assert.ok(allowed.has(ts.metric.type), ts.metric.type);
    const node = nodes.find((n) => n.labels.hostname === ts.metric.labels.hostname);
    assert.ok(node, ts.metric.labels.hostname);
    assert.deepEqual(ts.metric.labels, {
      hostname: node.labels.hostname,
      resource_id: node.labels.host_id,
      resource_type: 'instance',
    });
    assert.equal(pointValue(ts.points[0]).field, 'doubleValue');
  }
});

test('stackdriver: new resources (k8s_container/k8s_pod/k8s_node) and old ones (gke_container) with Google’s metric types', async () => {
  api.reset();
  const sink = createSink(
    uri(
      'stackdriver',
      '&use_new_resources=true&use_old_resources=true&cluster_name=c1&cluster_location=us-central1&zone=us-central1-a',
    ),
    ctx,
  );
  const b = batches.at(-1)!;
  await sink.write(b);
  await sink.close();
  assert.equal(api.ok('CreateMetricDescriptor').length, 0, 'no descriptors for system metrics');
  const requests = api.ok('CreateTimeSeries');
  for (const c of requests) assert.ok(c.request.timeSeries.length <= 200);
  const series = allSeries(requests);
  const keys = series.map(key);
  assert.equal(new Set(keys).size, keys.length, 'no series twice');
  const find = (resType: string, metricType: string, labels: Record<string, string>) =>
    series.filter(
      (ts) =>
        ts.resource.type === resType &&
        ts.metric.type === metricType &&
        Object.entries(labels).every(
          ([k, v]) => ts.resource.labels[k] === v || ts.metric.labels?.[k] === v,
        ),
    );
  const base = { project_id: PROJECT, location: 'us-central1', cluster_name: 'c1' };
  for (const [k, set] of b.sets) {
    const t = set.labels.type;
    if (t === 'pod_container') {
      const res = {
        ...base,
        namespace_name: set.labels.namespace_name,
        pod_name: set.labels.pod_name,
        container_name: set.labels.container_name,
      };
      const cpu = find('k8s_container', 'kubernetes.io/container/cpu/core_usage_time', res);
      assert.equal(cpu.length, 1, k);
      assert.deepEqual(cpu[0].resource.labels, res);
      assert.equal(cpu[0].metricKind, 'CUMULATIVE');
      assert.equal(pointValue(cpu[0].points[0]).field, 'doubleValue');
      assert.ok(
        Math.abs(pointValue(cpu[0].points[0]).value - set.values.get('cpu/usage')! / 1e9) < 1e-9,
      );
      assert.equal(tsMs(cpu[0].points[0].interval.startTime), set.collectionStartMs);
      assert.equal(tsMs(cpu[0].points[0].interval.endTime), b.timestampMs);
      const mem = find('k8s_container', 'kubernetes.io/container/memory/used_bytes', res);
      const byType = Object.fromEntries(
        mem.map((m) => [m.metric.labels.memory_type, pointValue(m.points[0])]),
      );
      assert.deepEqual(byType['non-evictable'], {
        field: 'int64Value',
        value: set.values.get('memory/working_set'),
      });
      assert.equal(
        byType.evictable.value,
        set.values.get('memory/usage')! - set.values.get('memory/working_set')!,
      );
      const up = find('k8s_container', 'kubernetes.io/container/uptime', res);
      assert.equal(up[0].points[0].interval.startTime, undefined, 'gauge: end time only');
      const old = find('gke_container', 'container.googleapis.com/container/cpu/usage_time', {
        pod_id: set.labels.pod_id,
        container_name: set.labels.container_name,
      });
      assert.equal(old.length, 1, `old model ${k}`);
      assert.deepEqual(old[0].resource.labels, {
        project_id: PROJECT,
        cluster_name: 'c1',
        zone: 'us-central1-a',
        instance_id: set.labels.host_id ?? '',
        namespace_id: set.labels.namespace_id,
        pod_id: set.labels.pod_id,
        container_name: set.labels.container_name,
      });
    } else if (t === 'pod') {
      const res = {
        ...base,
        namespace_name: set.labels.namespace_name,
        pod_name: set.labels.pod_name,
      };
      const rx = find('k8s_pod', 'kubernetes.io/pod/network/received_bytes_count', res);
      assert.equal(rx.length, 1, k);
      assert.deepEqual(rx[0].resource.labels, res);
      assert.deepEqual(pointValue(rx[0].points[0]), {
        field: 'int64Value',
        value: set.values.get('network/rx'),
      });
      assert.ok(tsMs(rx[0].points[0].interval.startTime) < b.timestampMs);
    } else if (t === 'node') {
      const res = { ...base, node_name: set.labels.nodename };
      const cores = find('k8s_node', 'kubernetes.io/node/cpu/allocatable_cores', res);
      assert.equal(cores.length, 1, k);
      assert.deepEqual(cores[0].resource.labels, res);
      assert.equal(
        pointValue(cores[0].points[0]).value,
        set.values.get('cpu/node_allocatable')! / 1000,
      );
      assert.equal(find('k8s_node', 'kubernetes.io/node/cpu/core_usage_time', res).length, 1);
      const machine = find('gke_container', 'container.googleapis.com/container/cpu/usage_time', {
        container_name: 'machine',
        instance_id: set.labels.host_id,
      });
      assert.equal(machine.length, 1, `old model node ${k}`);
    } else if (t === 'sys_container') {
      const d = find('k8s_node', 'kubernetes.io/node_daemon/cpu/core_usage_time', {
        node_name: set.labels.nodename,
        component: set.labels.container_name,
      });
      assert.equal(d.length, 1, k);
    }
  }
  const resourceTypes = new Set(series.map((ts) => ts.resource.type));
  assert.deepEqual([...resourceTypes].sort(), [
    'gke_container',
    'k8s_container',
    'k8s_node',
    'k8s_pod',
  ]);
});

test('stackdriver: only old resources by default; off GCE zone and project are required', () => {
  assert.throws(
    () =>
      createSink(
        parseUri('--sink', `stackdriver:?project=p&endpoint=${api.endpoint}&insecure=true`, {}),
        ctx,
      ),
    (e: unknown) =>
      e instanceof ConfigError &&
      /option "zone" is required when not running on GCE/.test(e.message),
  );
  assert.throws(
    () =>
      createSink(
        parseUri('--sink', `stackdriver:?zone=z&endpoint=${api.endpoint}&insecure=true`, {}),
        ctx,
      ),
    (e: unknown) => e instanceof ConfigError && /no Google Cloud project/.test(e.message),
  );
});

function event(i: number, type: string, t: number): KubeEvent {
  const raw = {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: {
      name: `web-${i}.17a`,
      namespace: 'shop',
      uid: `uid-${i}`,
      resourceVersion: String(100 + i),
    },
    involvedObject: {
      kind: 'Pod',
      namespace: 'shop',
      name: `web-${i}`,
      uid: `pod-uid-${i}`,
      apiVersion: 'v1',
    },
    reason: type === 'Warning' ? 'BackOff' : 'Started',
    message: `container web ${i} "quoted"`,
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: new Date(t - 60_000).toISOString(),
    lastTimestamp: new Date(t).toISOString(),
    count: 2,
    type,
  };
  return {
    namespace: 'shop',
    name: raw.metadata.name,
    uid: raw.metadata.uid,
    resourceVersion: raw.metadata.resourceVersion,
    reason: raw.reason,
    message: raw.message,
    type,
    involvedObject: raw.involvedObject,
    sourceComponent: 'kubelet',
    sourceHost: 'node-1',
    firstTimestampMs: t - 60_000,
    lastTimestampMs: t,
    count: 2,
    raw,
  };
}

test('gcl events: log kubernetes.io/events, global resource, severity from the type, the event as jsonPayload; UNAVAILABLE is retried and delivers each event once', async () => {
  api.reset();
  const metrics = new SelfMetrics();
  const sink = createGclEventSink(
    parseUri(
      '--sink',
      `gcl:?project=${PROJECT}&endpoint=${api.endpoint}&insecure=true&retry_max_delay=200ms`,
      {},
    ),
    {
      logger: silent,
      metrics,
      writeTimeoutMs: 5000,
      flushTimeoutMs: 10_000,
    },
  );
  api.failNext(2, status.UNAVAILABLE, 'backend restarting', 'WriteLogEntries');
  const t = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
  const events = Array.from({ length: 700 }, (_, i) =>
    event(i, i % 3 === 0 ? 'Warning' : 'Normal', t + i),
  );
  await sink.write(events.slice(0, 400));
  await sink.write(events.slice(400));
  await sink.close();
  const failed = api.calls.filter((c) => c.failedWith);
  assert.equal(failed.length, 2);
  assert.ok(failed.every((c) => c.failedWith === 'UNAVAILABLE'));
  const entries = api.ok('WriteLogEntries').flatMap((c) => c.request.entries);
  assert.equal(entries.length, events.length, 'every event once');
  assert.equal(new Set(entries.map((e) => e.insertId)).size, events.length);
  for (const c of api.ok('WriteLogEntries')) assert.ok(c.request.entries.length <= 1000);
  const byId = new Map(entries.map((e) => [e.insertId, e]));
  for (const ev of [events[0], events[1], events[699]]) {
    const e = byId.get(ev.uid);
    assert.ok(e, ev.uid);
    assert.equal(e.logName, `projects/${PROJECT}/logs/kubernetes.io%2Fevents`);
    assert.deepEqual(e.resource, { type: 'global', labels: { project_id: PROJECT } });
    assert.equal(e.severity, ev.type === 'Warning' ? 'WARNING' : 'INFO');
    assert.equal(tsMs(e.timestamp), ev.lastTimestampMs);
    assert.equal(e.payload, 'jsonPayload');
    assert.deepEqual(structToJson(e.jsonPayload), ev.raw);
  }
  const text = await metrics.registry.metrics();
  assert.match(text, /heapster_sink_points_written_total\{sink="gcl"\} 700/);
  assert.match(text, /heapster_sink_points_retried_total\{sink="gcl"\} [1-9]/);
});

test('gcm through the runtime: UNAVAILABLE is retried and delivers everything once; INVALID_ARGUMENT is logged with Google’s message and not retried', async () => {
  api.reset();
  const metrics = new SelfMetrics();
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
  const queued = new QueuedSink(createSink(uri('gcm', '&retry_max_delay=200ms'), ctx), {
    capacity: 3,
    writeTimeoutMs: 5000,
    flushTimeoutMs: 10_000,
    metrics,
    logger,
  });
  api.failNext(3, status.UNAVAILABLE, 'try again', 'CreateTimeSeries');
  for (const b of batches) await queued.write(b);
  await queued.close();
  const failed = api.calls.filter((c) => c.failedWith === 'UNAVAILABLE');
  assert.equal(failed.length, 3);
  const ok = allSeries(api.ok('CreateTimeSeries'));
  const keys = ok.map(key);
  assert.equal(new Set(keys).size, keys.length, 'nothing twice');
  for (const f of failed)
    for (const ts of f.request.timeSeries)
      assert.ok(keys.includes(key(ts)), 'a failed series was delivered later');
  assert.match(
    await metrics.registry.metrics(),
    /heapster_sink_points_retried_total\{sink="gcm:test-project"\} [1-9]/,
  );

  // INVALID_ARGUMENT: dropped with Google's message in the log, not sent again.
  api.reset();
  lines.length = 0;
  const again = new QueuedSink(createSink(uri('gcm', '&retry_max_delay=200ms'), ctx), {
    capacity: 3,
    writeTimeoutMs: 5000,
    flushTimeoutMs: 10_000,
    metrics,
    logger,
  });
  const msg = 'Field timeSeries[3].points[0].interval.end_time had an invalid value';
  api.failNext(1, status.INVALID_ARGUMENT, msg, 'CreateTimeSeries');
  await again.write(batches[0]);
  await again.close();
  const rejected = api.calls.filter((c) => c.failedWith === 'INVALID_ARGUMENT');
  assert.equal(rejected.length, 1);
  const rejectedKeys = new Set(rejected[0].request.timeSeries.map(key));
  const sent = allSeries(api.ok('CreateTimeSeries')).map(key);
  assert.ok(sent.length > 0);
  assert.ok(
    sent.every((k) => !rejectedKeys.has(k)),
    'the rejected request was not retried',
  );
  const line = lines.find((l) => l.includes(msg));
  assert.ok(line, 'the log says what Google said');
  assert.match(line, /INVALID_ARGUMENT/);
  assert.match(line, /not retried/);
  assert.match(
    await metrics.registry.metrics(),
    new RegExp(
      `heapster_sink_points_dropped_total\\{sink="gcm:test-project",reason="rejected"\\} ${rejected[0].request.timeSeries.length}`,
    ),
  );
});

test('gcl metrics=true: one log entry per metric set with every value', async () => {
  api.reset();
  const sink = createSink(uri('gcl', '&metrics=true'), ctx);
  const b = batches[0];
  await sink.write(b);
  await sink.close();
  const entries = api.ok('WriteLogEntries').flatMap((c) => c.request.entries);
  const withValues = [...b.sets.values()].filter((s) => s.values.size + s.labeled.length > 0);
  assert.equal(entries.length, withValues.length);
  const [k, set] = [...b.sets].find(([key]) => key.includes('/container:'))!;
  const e = entries.find((x) => x.insertId === `${k}@${b.timestampMs}`);
  assert.ok(e);
  assert.equal(e.logName, `projects/${PROJECT}/logs/heapster%2Fmetrics`);
  const payload = structToJson(e.jsonPayload);
  assert.equal(payload.key, k);
  assert.deepEqual(payload.labels, set.labels);
  assert.deepEqual(payload.metrics, Object.fromEntries(set.values));
});

test('unknown or bad options of the Google sinks are errors at start, naming the option', () => {
  const bad: [string, RegExp][] = [
    [`gcm:?project=p&bogus=1`, /unknown option "bogus"/],
    [`gcm:?project=p&metrics=some`, /option "metrics"/],
    [`stackdriver:?project=p&zone=z&workers=0`, /option "workers"/],
    [`stackdriver:?project=p&zone=z&nope=1`, /unknown option "nope"/],
    [`gcl:?project=p&endpoint=127.0.0.1:1&insecure=true`, /add option "metrics=true"/],
    [`gcl:?project=p&metrics=true&endpoint=127.0.0.1:1&insecure=true&x=1`, /unknown option "x"/],
    [
      `gcm:?project=p&endpoint=example.com:443&insecure=true`,
      /only allowed with a loopback endpoint/,
    ],
    [`gcm:?project=p&insecure=true`, /only allowed with a loopback endpoint/],
    [`gcm:?project=p&endpoint=nope`, /option "endpoint"/],
    [`gcm:?endpoint=127.0.0.1:1&insecure=true`, /no Google Cloud project.*GOOGLE_CLOUD_PROJECT/],
    [`gcm:?project=p&credentials=/nonexistent/key.json`, /option "credentials"/],
    [`gcm:http://monitoring.example?project=p`, /takes no URL/],
  ];
  for (const [u, re] of bad) {
    assert.throws(
      () => createSink(parseUri('--sink', u, {}), ctx),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      u,
    );
  }
  assert.throws(
    () =>
      createGclEventSink(parseUri('--sink', 'gcl:?project=p&metrics=true', {}), { logger: silent }),
    (e: unknown) => e instanceof ConfigError && /unknown option "metrics"/.test(e.message),
  );
});

test('the real CLI on a simulated cluster exports to gcm, stackdriver and gcl through the official clients', async (t) => {
  api.reset();
  const res: { sim?: Awaited<ReturnType<typeof startSimulator>>; hs?: HeapsterProcess } = {};
  t.after(async () => {
    await res.hs?.stop().catch(() => res.hs?.child.kill('SIGKILL'));
    await res.sim?.stop();
  });
  const sim = (res.sim = await startSimulator({ nodes: 2, podsPerNode: 2, containersPerPod: 2 }));
  const common = `project=${PROJECT}&endpoint=${api.endpoint}&insecure=true`;
  const hs = (res.hs = await startHeapster([
    `--source=${sim.sourceUri}`,
    '--metric_resolution=2s',
    `--sink=gcm:?${common}`,
    `--sink=stackdriver:?${common}&use_new_resources=true&cluster_name=sim&cluster_location=local&zone=local-a`,
    `--sink=gcl:?${common}&metrics=true`,
  ]));
  const truth = sim.truth();
  // Wait for a tick with rates in gcm and the containers in stackdriver.
  await waitFor(
    'rates in gcm and containers in stackdriver',
    async () => {
      const s = allSeries(api.ok('CreateTimeSeries'));
      const rates = s.some(
        (ts) =>
          ts.metric.type.endsWith('/cpu/usage_rate') && ts.metric.labels.type === 'pod_container',
      );
      const containers = new Set(
        s
          .filter((ts) => ts.resource.type === 'k8s_container')
          .map((ts) => ts.resource.labels.container_name + '/' + ts.resource.labels.pod_name),
      );
      return rates && containers.size === truth.pods.length * 2 ? true : undefined;
    },
    { timeoutMs: 30_000 },
  );
  assert.equal(await hs.stop(), 0);
  assert.deepEqual(
    api.calls.filter((c) => c.failedWith),
    [],
  );
  for (const c of api.calls) {
    assert.match(
      c.metadata['x-goog-api-client'] ?? '',
      /gax\/\S+ gapic\/\S+/,
      'sent by the gapic client',
    );
    assert.equal(c.metadata.authorization, undefined);
  }
  for (const c of api.ok('CreateTimeSeries')) assert.ok(c.request.timeSeries.length <= 200);
  const series = allSeries(api.ok('CreateTimeSeries'));
  const keys = series.map(key);
  assert.equal(new Set(keys).size, keys.length, 'each series once per tick');
  for (const p of truth.pods) {
    const rx = series.filter(
      (ts) =>
        ts.metric.type === 'kubernetes.io/pod/network/received_bytes_count' &&
        ts.resource.labels.pod_name === p.name,
    );
    assert.ok(rx.length >= 1, `pod ${p.name} network in stackdriver`);
    assert.deepEqual(Object.keys(rx[0].resource.labels).sort(), [
      'cluster_name',
      'location',
      'namespace_name',
      'pod_name',
      'project_id',
    ]);
  }
  const entries = api.ok('WriteLogEntries').flatMap((c) => c.request.entries);
  assert.ok(
    entries.some((e) => e.insertId.startsWith('node:')),
    'metric sets as log entries',
  );
  assert.ok(api.ok('CreateMetricDescriptor').length > 10);
});
