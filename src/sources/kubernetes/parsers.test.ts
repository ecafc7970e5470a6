import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { emptyBatch } from '../../core/batch.js';
import { cadvisorToSets } from './cadvisor-parser.js';
import { PromParseError, parsePromText } from './prometheus-text.js';
import { resourceToSets } from './resource-parser.js';
import { SummaryFormatError, parseTime, summaryToSets } from './summary-parser.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const ID = { nodeName: 'node-1', hostname: 'node-1.example', hostId: 'i-123' };
const NOW = 1_700_000_000_000;

test('summary: node, system container, pod, container and volume of a real GKE kubelet summary', () => {
  const b = emptyBatch(NOW);
  summaryToSets(JSON.parse(fixture('beats_stats_summary.json')), ID, NOW, b);
  const node = b.sets.get('node:node-1')!;
  assert.equal(node.labels.type, 'node');
  assert.equal(node.labels.hostname, 'node-1.example');
  assert.equal(node.labels.host_id, 'i-123');
  assert.equal(node.values.get('cpu/usage'), 4189523881380);
  assert.equal(node.values.get('memory/working_set'), 2111090688);
  assert.equal(node.values.get('memory/major_page_faults'), 103);
  assert.equal(node.values.get('network/rx'), 1115133198);
  assert.equal(node.values.get('ephemeral_storage/usage'), 2514276352);
  assert.equal(node.scrapeTimeMs, Date.parse('2017-04-20T08:06:41Z'));
  assert.equal(node.collectionStartMs, Date.parse('2017-04-18T12:53:49Z'));
  assert.equal(node.values.get('uptime'), node.scrapeTimeMs - node.collectionStartMs);
  const rootFs = node.labeled.find((l) => l.name === 'filesystem/usage');
  assert.deepEqual(rootFs, {
    name: 'filesystem/usage',
    labels: { resource_id: '/' },
    value: 2514276352,
  });

  const kubelet = b.sets.get('node:node-1/container:kubelet')!;
  assert.equal(kubelet.labels.type, 'sys_container');
  assert.equal(kubelet.labels.container_name, 'kubelet');
  assert.equal(kubelet.values.get('cpu/usage'), 2357800908948);

  const pods = [...b.sets.entries()].filter(([, s]) => s.labels.type === 'pod');
  assert.equal(pods.length, 1);
  const [podKeyText, pod] = pods[0]!;
  assert.match(podKeyText, /^namespace:[^/]+\/pod:[^/]+$/);
  assert.ok(pod.labels.pod_id, 'pod uid from podRef');
  assert.ok(pod.labeled.some((l) => l.labels.resource_id?.startsWith('Volume:')));
  const containers = [...b.sets.values()].filter((s) => s.labels.type === 'pod_container');
  assert.equal(containers.length, 1);
  assert.ok(containers[0]!.values.has('cpu/usage'));
  assert.ok(containers[0]!.labeled.some((l) => l.labels.resource_id === 'logs'));
});

test('summary: a second container is read and the 2^64-1 "unknown" inode count is dropped', () => {
  const b = emptyBatch(NOW);
  summaryToSets(JSON.parse(fixture('beats_stats_summary_multiple_containers.json')), ID, NOW, b);
  const containers = [...b.sets.values()].filter((s) => s.labels.type === 'pod_container');
  assert.deepEqual(containers.map((c) => c.labels.container_name).sort(), ['nginx', 'sidecar']);
  assert.equal(containers.length, 2);
  for (const s of b.sets.values()) {
    for (const l of s.labeled) assert.ok(l.value < 2 ** 63, `${l.name} ${l.value}`);
  }
});

test('summary: runtime/misc are renamed, duplicate containers keep the newest, a non-object fails clearly', () => {
  const summary = {
    node: {
      nodeName: 'node-1',
      systemContainers: [
        {
          name: 'runtime',
          startTime: '2024-01-01T00:00:00Z',
          cpu: { time: '2024-01-01T00:01:00Z', usageCoreNanoSeconds: 5 },
        },
        {
          name: 'misc',
          startTime: '2024-01-01T00:00:00Z',
          cpu: { time: '2024-01-01T00:01:00Z', usageCoreNanoSeconds: 6 },
        },
      ],
      cpu: { time: '2024-01-01T00:01:00Z', usageCoreNanoSeconds: 100 },
    },
    pods: [
      {
        podRef: { name: 'p', namespace: 'ns', uid: 'u1' },
        containers: [
          {
            name: 'c',
            startTime: '2024-01-01T00:00:00Z',
            cpu: { time: '2024-01-01T00:01:00Z', usageCoreNanoSeconds: 1 },
          },
          {
            name: 'c',
            startTime: '2024-01-01T00:00:30Z',
            cpu: { time: '2024-01-01T00:01:00Z', usageCoreNanoSeconds: 2 },
          },
        ],
      },
    ],
  };
  const b = emptyBatch(NOW);
  summaryToSets(summary, ID, NOW, b);
  assert.equal(b.sets.get('node:node-1/container:docker-daemon')?.values.get('cpu/usage'), 5);
  assert.equal(b.sets.get('node:node-1/container:system')?.values.get('cpu/usage'), 6);
  assert.equal(b.sets.get('namespace:ns/pod:p/container:c')?.values.get('cpu/usage'), 2);
  assert.throws(() => summaryToSets({ pods: [] }, ID, NOW, emptyBatch(NOW)), SummaryFormatError);
});

test('resource: node, pod and container cpu (ns) and working set with sample times and start times', () => {
  const b = emptyBatch(NOW);
  resourceToSets(fixture('metrics_resource.txt'), ID, NOW, b);
  const node = b.sets.get('node:node-1')!;
  assert.equal(node.values.get('cpu/usage'), 357354910000);
  assert.equal(node.values.get('memory/working_set'), 1616896000);
  assert.equal(node.scrapeTimeMs, 1693924821718);
  const web = b.sets.get('namespace:default/pod:web-1')!;
  assert.equal(web.values.get('cpu/usage'), 6.8e9);
  assert.equal(web.values.get('memory/working_set'), 31653888);
  const nginx = b.sets.get('namespace:default/pod:web-1/container:nginx')!;
  assert.equal(nginx.labels.container_name, 'nginx');
  assert.equal(nginx.labels.nodename, 'node-1');
  assert.equal(nginx.values.get('cpu/usage'), 5.5e9);
  assert.equal(nginx.values.get('memory/working_set'), 20971520);
  assert.equal(nginx.collectionStartMs, 1693920000000);
  assert.equal(nginx.scrapeTimeMs, 1693924826190);
  assert.equal(
    b.sets
      .get('namespace:kube-system/pod:coredns-5d78c9869d-8xkzq/container:coredns')
      ?.values.get('cpu/usage'),
    27426327917,
  );
});

test('cadvisor: node, pod cgroup, sandbox network, containers and system containers', () => {
  const b = emptyBatch(NOW);
  cadvisorToSets(fixture('metrics_cadvisor.txt'), ID, NOW, b, true);
  const node = b.sets.get('node:node-1')!;
  assert.equal(node.labels.schedulable, 'true');
  assert.equal(node.values.get('cpu/usage'), 12345678901234);
  assert.equal(node.values.get('memory/cache'), 653852672);
  assert.equal(node.values.get('memory/page_faults'), 131567, 'scope=container, not hierarchy');
  assert.equal(node.values.get('memory/major_page_faults'), 103);
  assert.equal(node.values.get('network/rx'), 1115133198 + 1000, 'summed over interfaces');
  assert.equal(node.collectionStartMs, 1692521629000);
  assert.equal(node.values.get('uptime'), 1693924826187 - 1692521629000);
  const io = node.labeled.find((l) => l.name === 'disk/io_read_bytes');
  assert.deepEqual(io, {
    name: 'disk/io_read_bytes',
    labels: { resource_id: '/dev/sda' },
    value: 1234560000,
  });
  assert.ok(node.labeled.some((l) => l.name === 'filesystem/limit' && l.value === 101258067968));

  const pod = b.sets.get('namespace:default/pod:web-1')!;
  assert.equal(pod.labels.type, 'pod');
  assert.equal(pod.labels.pod_id, '8a7f3c1e-2b4d-4c6e-9f10-1a2b3c4d5e6f');
  assert.equal(pod.values.get('cpu/usage'), 6.8e9, 'from the pod cgroup, not the sandbox');
  assert.equal(pod.values.get('memory/working_set'), 31653888);
  assert.equal(pod.values.get('network/rx'), 123456, 'network from the sandbox');
  assert.equal(pod.values.get('network/tx'), 654321);

  const nginx = b.sets.get('namespace:default/pod:web-1/container:nginx')!;
  assert.equal(nginx.labels.container_base_image, 'docker.io/library/nginx:1.25');
  assert.equal(nginx.values.get('cpu/usage'), 5.5e9);
  assert.equal(nginx.values.get('memory/rss'), 16777216);
  assert.equal(nginx.collectionStartMs, 1693920000000);
  assert.ok(nginx.labeled.some((l) => l.name === 'disk/io_write_bytes' && l.value === 8192));
  assert.ok(!nginx.values.has('network/rx'));
  assert.equal(
    b.sets.get('namespace:default/pod:web-1/container:sidecar')?.values.get('cpu/usage'),
    1.25e9,
  );

  const kubelet = b.sets.get('node:node-1/container:system.slice/kubelet.service')!;
  assert.equal(kubelet.labels.type, 'sys_container');
  assert.equal(kubelet.values.get('cpu/usage'), 950.25e9);
  assert.equal(b.sets.has('node:node-1/container:kubepods.slice'), false);
});

test('prometheus text: escaped label values, +Inf, and a malformed line names its number', () => {
  const got: unknown[] = [];
  parsePromText('# HELP x y\nm{a="q\\"x\\\\y",b="1"} +Inf 12\nm 3\n', (s) => got.push(s));
  assert.deepEqual(got, [
    { name: 'm', labels: { a: 'q"x\\y', b: '1' }, value: Infinity, timestampMs: 12 },
    { name: 'm', labels: {}, value: 3, timestampMs: undefined },
  ]);
  assert.throws(
    () => parsePromText('ok 1\nbad{a="x} 1\n', () => undefined),
    (e: Error) => e instanceof PromParseError && /line 2/.test(e.message),
  );
  assert.throws(() => parsePromText('m notanumber\n', () => undefined), PromParseError);
});

test('summary times parse exactly as Date.parse does, fast path or not', () => {
  const texts = [
    '2026-12-07T17:06:49Z',
    '2026-12-07T17:06:49.5Z',
    '2026-12-07T17:06:49.123456789Z',
    '2026-12-07T17:06:49.1239Z',
    '2026-12-07T17:06:49.9999999999Z',
    '2026-12-07T17:06:49.Z',
    '2024-02-29T23:59:59Z',
    '2026-02-30T00:00:00Z',
    '2026-12-31T24:00:00Z',
    '2026-12-07T17:60:00Z',
    '2026-12-07T17:06:60Z',
    '2026-13-07T17:06:49Z',
    '2026-12-07t17:06:49z',
    '2026-12-07T17:06:49+02:00',
    '2026-12-07T17:06:49.25-05:30',
    '1969-12-31T23:59:59Z',
    '0001-01-01T00:00:00Z',
    '2026-1a-07T17:06:49Z',
    '2026-12-07T17:06:4xZ',
    '2026-12-07',
    '',
    'not a time',
  ];
  // And a spread of valid times across years, months and fractions.
  for (let i = 0; i < 2000; i++) {
    const ms = Date.UTC(1970, 0, 1) + Math.floor(((i * 7919) % 2000) * 86_400_000 * 11.3) + i;
    const iso = new Date(ms).toISOString();
    texts.push(iso, iso.replace(/\.\d+Z$/, 'Z'), iso.replace('Z', `${i % 1000}Z`));
  }
  for (const t of texts) assert.equal(parseTime(t), Date.parse(t), t);
});
