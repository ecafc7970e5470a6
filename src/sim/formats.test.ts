import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ClusterModel, nodeCpuMillicores, podCpuMillicores } from './cluster-model.js';
import { nodeAddress } from './node-address.js';
import { buildCadvisorMetrics, buildResourceMetrics, goFloat } from './prometheus-format.js';
import { buildSummary } from './summary-format.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

/** A strict parser of the Prometheus text format 0.0.4 (what the kubelet serves). */
function parseProm(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'text ends with a newline');
  for (const line of lines) {
    if (line.startsWith('# HELP ')) continue;
    const t = /^# TYPE ([a-zA-Z_:][\w:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) {
      assert.ok(!types.has(t[1]), `family ${t[1]} declared once`);
      types.set(t[1], t[2]);
      continue;
    }
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    assert.ok(m, `sample line parses: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      const re = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"(,|$)/y;
      let pos = 0;
      while (pos < m[3].length) {
        re.lastIndex = pos;
        const l = re.exec(m[3]);
        assert.ok(l, `labels parse: ${m[3]}`);
        labels[l[1]] = l[2];
        pos = re.lastIndex;
      }
    }
    const value = m[4] === '+Inf' ? Infinity : Number(m[4]);
    assert.ok(!Number.isNaN(value), `value parses: ${line}`);
    assert.ok(types.has(m[1]), `sample ${m[1]} follows its TYPE line`);
    samples.push({ name: m[1], labels, value, timestampMs: m[5] ? Number(m[5]) : undefined });
  }
  return { types, samples };
}

/** Every key path of a JSON value, arrays collapsed to `[]`. */
function keyPaths(v: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) {
    for (const x of v) keyPaths(x, `${prefix}[]`, out);
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.add(`${prefix}.${k}`);
      keyPaths(x, `${prefix}.${k}`, out);
    }
  }
  return out;
}

function model(now = () => T0): ClusterModel {
  return new ClusterModel({ nodes: 3, podsPerNode: 4, containersPerPod: 2, seed: 7, nowMs: now });
}

test('goFloat prints like Go strconv.FormatFloat(v, g, -1, 64)', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [1, '1'],
    [6197.005020909, '6197.005020909'],
    [125842, '125842'],
    [1e6, '1e+06'],
    [13893632, '1.3893632e+07'],
    [1137475584, '1.137475584e+09'],
    [1.7506078364870462e9, '1.7506078364870462e+09'],
    [140827091146, '1.40827091146e+11'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.5, '-2.5'],
    [Infinity, '+Inf'],
    [NaN, 'NaN'],
  ];
  for (const [v, want] of cases) assert.equal(goFloat(v), want, String(v));
});

test('the real /metrics/resource capture parses with the same parser and families', () => {
  const real = parseProm(
    readFileSync(new URL('./testdata/real-metrics-resource.txt', import.meta.url), 'utf8'),
  );
  const ours = parseProm(buildResourceMetrics(model().nodes[0], T0));
  assert.deepEqual([...ours.types.entries()].sort(), [...real.types.entries()].sort());
  for (const name of real.types.keys()) {
    const r = real.samples.find((s) => s.name === name);
    const o = ours.samples.find((s) => s.name === name);
    assert.ok(r && o, name);
    assert.deepEqual(Object.keys(o.labels), Object.keys(r.labels), `${name} label names and order`);
    assert.equal(o.timestampMs === undefined, r.timestampMs === undefined, `${name} timestamp`);
  }
});

test('/metrics/resource values are the model truth at the sample time', () => {
  const m = model();
  const node = m.nodes[1];
  const { samples } = parseProm(buildResourceMetrics(node, T0 + 10_000));
  const nodeCpu = samples.find((s) => s.name === 'node_cpu_usage_seconds_total');
  assert.equal(nodeCpu?.timestampMs, T0 + 10_000);
  const containers = samples.filter((s) => s.name === 'container_cpu_usage_seconds_total');
  assert.equal(containers.length, 4 * 2);
  const pod = node.pods[0];
  const c = pod.containers[1];
  const ws = samples.find(
    (s) =>
      s.name === 'container_memory_working_set_bytes' &&
      s.labels.pod === pod.name &&
      s.labels.namespace === pod.namespace &&
      s.labels.container === c.name,
  );
  assert.equal(ws?.value, c.workingSetBytes);
  const start = samples.find(
    (s) => s.name === 'container_start_time_seconds' && s.labels.pod === pod.name,
  );
  assert.equal(start?.value, pod.containers[0].startMs / 1000);
  assert.equal(samples.find((s) => s.name === 'resource_scrape_error')?.value, 0);
});

test('/metrics/cadvisor has every family with cAdvisor labels, pod network per interface, machine facts', () => {
  const m = model();
  const node = m.nodes[0];
  const { types, samples } = parseProm(buildCadvisorMetrics(node, T0));
  for (const f of [
    'container_cpu_usage_seconds_total',
    'container_memory_usage_bytes',
    'container_memory_working_set_bytes',
    'container_memory_rss',
    'container_memory_cache',
    'container_network_receive_bytes_total',
    'container_network_transmit_bytes_total',
    'container_fs_usage_bytes',
    'container_fs_reads_bytes_total',
    'container_fs_writes_bytes_total',
    'container_start_time_seconds',
    'machine_cpu_cores',
    'machine_memory_bytes',
  ])
    assert.ok(types.has(f), f);
  const pod = node.pods[2];
  const c = pod.containers[0];
  const cpu = samples.find(
    (s) =>
      s.name === 'container_cpu_usage_seconds_total' &&
      s.labels.container === c.name &&
      s.labels.pod === pod.name,
  );
  assert.deepEqual(Object.keys(cpu?.labels ?? {}), [
    'container',
    'cpu',
    'id',
    'image',
    'name',
    'namespace',
    'pod',
  ]);
  assert.equal(cpu?.labels.image, c.image);
  assert.equal(cpu?.labels.name, c.id);
  assert.match(cpu?.labels.id ?? '', new RegExp(`^/kubepods/(burstable/)?pod${pod.uid}/${c.id}$`));
  const rx = samples.filter(
    (s) => s.name === 'container_network_receive_bytes_total' && s.labels.pod === pod.name,
  );
  assert.equal(rx.length, 1, 'pod network once, on the pod cgroup');
  assert.equal(rx[0].labels.interface, 'eth0');
  assert.equal(rx[0].labels.container, '');
  assert.equal(rx[0].value, pod.rxBytesPerSec * ((T0 - pod.startMs) / 1000));
  const fs = samples.find(
    (s) =>
      s.name === 'container_fs_usage_bytes' &&
      s.labels.container === c.name &&
      s.labels.pod === pod.name,
  );
  assert.equal(fs?.labels.device, '/dev/vda1');
  assert.equal(fs?.value, c.rootfsUsedBytes);
  const cores = samples.find((s) => s.name === 'machine_cpu_cores');
  assert.equal(cores?.value, node.cpuCores);
  assert.deepEqual(Object.keys(cores?.labels ?? {}), ['boot_id', 'machine_id', 'system_uuid']);
  const root = samples.find(
    (s) => s.name === 'container_memory_working_set_bytes' && s.labels.id === '/',
  );
  assert.ok(root && root.value > 0);
});

test('/stats/summary has every field of a real kubelet summary, plus the newer ones', () => {
  const real = JSON.parse(
    readFileSync(new URL('./testdata/real-stats-summary-k8s1.6.json', import.meta.url), 'utf8'),
  ) as unknown;
  const ours = buildSummary(model().nodes[0], T0);
  const have = keyPaths(JSON.parse(JSON.stringify(ours)));
  // userDefinedMetrics (null in the capture) is optional and not produced.
  const missing = [...keyPaths(real)].filter(
    (p) => !have.has(p) && !p.endsWith('userDefinedMetrics'),
  );
  assert.deepEqual(missing, []);
  for (const p of [
    '.node.systemContainers[].name',
    '.node.network.interfaces[].rxBytes',
    '.node.runtime.imageFs.usedBytes',
    '.pods[].ephemeral-storage.usedBytes',
    '.pods[].volume[].name',
    '.pods[].containers[].logs.usedBytes',
  ])
    assert.ok(have.has(p), p);
  const names = (ours.node as { systemContainers: { name: string }[] }).systemContainers.map(
    (c) => c.name,
  );
  assert.deepEqual(names, ['kubelet', 'runtime', 'pods']);
});

test('/stats/summary numbers: node = pods + system, time fields at the sample second', () => {
  const m = model();
  const node = m.nodes[2];
  const s = buildSummary(node, T0) as {
    node: { cpu: { usageNanoCores: number; time: string }; memory: { workingSetBytes: number } };
    pods: {
      podRef: { name: string };
      cpu: { usageNanoCores: number };
      containers: { cpu: { usageCoreNanoSeconds: number } }[];
    }[];
  };
  assert.equal(s.node.cpu.time, '2024-01-01T12:00:00Z');
  assert.equal(s.node.cpu.usageNanoCores, nodeCpuMillicores(node) * 1e6);
  assert.equal(s.pods.length, 4);
  assert.equal(s.pods[0].cpu.usageNanoCores, podCpuMillicores(node.pods[0]) * 1e6);
  const c = node.pods[0].containers[0];
  assert.equal(
    s.pods[0].containers[0].cpu.usageCoreNanoSeconds,
    c.cpuMillicores * 1e6 * ((T0 - c.startMs) / 1000),
  );
});

test('node addresses are distinct loopback addresses, never 127.0.0.1 or .0/.255', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 70_000; i++) {
    const a = nodeAddress(i);
    const parts = a.split('.').map(Number);
    assert.equal(parts[0], 127);
    assert.ok(parts[3] >= 1 && parts[3] <= 254, a);
    assert.notEqual(a, '127.0.0.1');
    seen.add(a);
  }
  assert.equal(seen.size, 70_000);
  assert.equal(nodeAddress(0), '127.1.0.1');
  assert.equal(nodeAddress(254), '127.1.1.1');
});

test('the same seed gives the same cluster', () => {
  const a = model();
  const b = model();
  assert.deepEqual(
    a.nodes.map((n) => n.pods.map((p) => [p.name, p.containers.map((c) => c.cpuMillicores)])),
    b.nodes.map((n) => n.pods.map((p) => [p.name, p.containers.map((c) => c.cpuMillicores)])),
  );
});
