import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { emptyBatch } from '../../core/batch.js';
import { CadvisorFormatError, containerInfosToSets } from './parser.js';
import type { ContainerInfo } from './types.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8'));
const ID = { nodeName: 'node-1', hostname: 'node-1.example', hostId: 'i-123' };
const NOW = 1_700_000_000_000;

test('real cAdvisor v1 subcontainers (k8s 1.2): node, system containers, pod network, pod container', () => {
  const b = emptyBatch(NOW);
  containerInfosToSets(fixture('subcontainers-k8s-1.2.json'), ID, NOW, b);
  assert.deepEqual([...b.sets.keys()].sort(), [
    'namespace:default/pod:dd-agent-1rxlh',
    'namespace:default/pod:dd-agent-1rxlh/container:dd-agent',
    'node:node-1',
    'node:node-1/container:kubelet',
    'node:node-1/container:system',
  ]);

  const node = b.sets.get('node:node-1')!;
  assert.equal(node.labels.type, 'node');
  assert.equal(node.labels.nodename, 'node-1');
  assert.equal(node.labels.host_id, 'i-123');
  assert.equal(node.scrapeTimeMs, Date.parse('2016-06-17T16:07:50.026Z'));
  assert.equal(node.collectionStartMs, Date.parse('2016-06-03T18:08:06.908Z'));
  assert.equal(node.values.get('uptime'), node.scrapeTimeMs - node.collectionStartMs);
  assert.equal(node.values.get('cpu/usage'), 179058059341746);
  assert.equal(node.values.get('memory/usage'), 3854888960);
  assert.equal(node.values.get('memory/working_set'), 1953751040);
  assert.equal(node.values.get('memory/page_faults'), 606358);
  assert.equal(node.values.get('memory/major_page_faults'), 888);
  // interfaces summed (eth0 + cbr0), not the inline default interface
  assert.equal(node.values.get('network/rx'), 15012305689 + 10295887677);
  assert.equal(node.values.get('network/tx'), 10488381037 + 26581366889);
  const fsUsage = node.labeled.find((l) => l.name === 'filesystem/usage');
  assert.deepEqual(fsUsage, {
    name: 'filesystem/usage',
    labels: { resource_id: '/dev/sda1' },
    value: 4037660672,
  });
  assert.equal(
    node.labeled.find((l) => l.name === 'filesystem/limit')?.value,
    105553100800,
    'capacity → filesystem/limit',
  );
  // has_inodes absent in this old cAdvisor: no inode metrics
  assert.equal(
    node.labeled.some((l) => l.name.startsWith('filesystem/inodes')),
    false,
  );
  const diskRead = node.labeled.find((l) => l.name === 'disk/io_read_bytes');
  assert.ok(diskRead, 'disk I/O per device');
  assert.match(diskRead.labels.resource_id, /^\d+:\d+$|^\/dev\//);

  const app = b.sets.get('namespace:default/pod:dd-agent-1rxlh/container:dd-agent')!;
  assert.equal(app.labels.type, 'pod_container');
  assert.equal(app.labels.pod_name, 'dd-agent-1rxlh');
  assert.equal(app.labels.namespace_name, 'default');
  assert.equal(app.labels.pod_id, '12c7be82-33ca-11e6-ac8f-42010af00003');
  assert.equal(app.labels.container_name, 'dd-agent');
  assert.equal(app.labels.container_base_image, 'datadog/docker-dd-agent:massi_ingest_k8s_events');
  assert.equal(app.values.get('cpu/usage'), 1636943556502);
  assert.equal(app.values.get('memory/usage'), 101560320);
  assert.equal(app.values.has('network/rx'), false, 'has_network false');

  const pod = b.sets.get('namespace:default/pod:dd-agent-1rxlh')!;
  assert.equal(pod.labels.type, 'pod');
  assert.equal(pod.values.get('network/rx'), 1217092163);
  assert.equal(pod.values.get('network/tx'), 86040599);
  assert.equal(pod.values.has('cpu/usage'), false, "the pause container's cpu is not the pod's");

  const sys = b.sets.get('node:node-1/container:system')!;
  assert.equal(sys.labels.type, 'sys_container');
  assert.equal(sys.labels.container_name, 'system');
  assert.equal(sys.values.get('cpu/usage'), 9192616604693);
});

test('the same containers as a name → ContainerInfo object (kubelet /stats/container/) give the same sets', () => {
  const list = fixture('subcontainers-k8s-1.2.json') as ContainerInfo[];
  const a = emptyBatch(NOW);
  const b = emptyBatch(NOW);
  containerInfosToSets(list, ID, NOW, a);
  containerInfosToSets(Object.fromEntries(list.map((c) => [c.name, c])), ID, NOW, b);
  assert.deepEqual(b, a);
});

test('Docker containers are named by their first alias; Kubernetes 1.0 docker names become pod containers', () => {
  const spec = {
    has_cpu: true,
    has_memory: false,
    has_network: false,
    has_filesystem: false,
    has_diskio: false,
    has_custom_metrics: false,
  };
  const stat = {
    timestamp: '2024-01-01T00:00:10Z',
    cpu: { usage: { total: 5e9, user: 0, system: 0 }, load_average: 0 },
  };
  const b = emptyBatch(NOW);
  containerInfosToSets(
    [
      {
        name: '/docker/' + 'a'.repeat(64),
        aliases: ['busy', 'a'.repeat(64)],
        namespace: 'docker',
        spec: { ...spec, image: 'busybox:local', creation_time: '2024-01-01T00:00:00Z' },
        stats: [stat],
      },
      {
        name: '/docker/' + 'b'.repeat(64),
        aliases: ['k8s_web.1a2b_frontend-1_prod_0000-1111_abcd', 'b'.repeat(64)],
        spec,
        stats: [stat],
      },
      { name: '/nostats', spec, stats: [] },
    ],
    ID,
    NOW,
    b,
  );
  const busy = b.sets.get('node:node-1/container:busy')!;
  assert.equal(busy.labels.container_base_image, 'busybox:local');
  assert.equal(busy.values.get('uptime'), 10_000);
  assert.equal(busy.values.get('cpu/usage'), 5e9);
  const web = b.sets.get('namespace:prod/pod:frontend-1/container:web')!;
  assert.equal(web.labels.pod_id, '0000-1111');
  assert.equal(b.sets.size, 2, 'a container without stats is skipped');
});

test('malformed answers throw CadvisorFormatError', () => {
  assert.throws(() => containerInfosToSets('nope', ID, NOW, emptyBatch(NOW)), CadvisorFormatError);
  assert.throws(
    () => containerInfosToSets([{ spec: {} }], ID, NOW, emptyBatch(NOW)),
    CadvisorFormatError,
  );
  assert.throws(
    () => containerInfosToSets([{ name: '/' }], ID, NOW, emptyBatch(NOW)),
    CadvisorFormatError,
  );
});
