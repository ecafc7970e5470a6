import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyBatch } from '../core/batch.js';
import { CgroupReader } from '../sources/cgroups/cgroup-reader.js';
import { NodeReader } from '../sources/cgroups/node-reader.js';
import { containerInfosToSets } from '../sources/cadvisor/parser.js';
import type { ContainerInfo } from '../sources/cadvisor/types.js';
import type { DockerContainer, DockerIdentity } from '../sources/docker/identity-types.js';
import { parseAgentFlags } from './agent-command.js';
import { Housekeeper } from './housekeeper.js';
import { machineInfoProvider } from './machine-info.js';
import { containerLabelName } from './prometheus.js';
import { containerName, createAgentServer, requestOptions } from './server.js';

const fixture = (p: string): string =>
  fileURLToPath(new URL(`../sources/cgroups/testdata/${p}`, import.meta.url));
const DOCKER_ID = '3f4a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344556677aa';
const DOCKER_CGROUP = `/system.slice/docker-${DOCKER_ID}.scope`;

/** Our own DockerIdentity interface, answered from a fixed table. */
function dockerTable(list: DockerContainer[]): DockerIdentity {
  const byId = new Map(list.map((c) => [c.id, c]));
  return { get: (id) => byId.get(id), start: () => Promise.resolve(), close: () => undefined };
}

function setup(t: { after: (fn: () => void) => void }, storageMs = 3000) {
  const root = mkdtempSync(join(tmpdir(), 'agent-cg-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  cpSync(fixture('cgroup2'), root, { recursive: true });
  const mountinfo = readFileSync(fixture('mountinfo-v2'), 'utf8');
  const cgroups = new CgroupReader({ procRoot: fixture('proc'), cgroupRoot: root, mountinfo });
  const node = new NodeReader({ procRoot: fixture('proc'), sysRoot: fixture('sys'), mountinfo });
  const hk = new Housekeeper({
    cgroups,
    node,
    docker: dockerTable([
      {
        id: DOCKER_ID,
        name: 'web',
        image: 'nginx:1',
        labels: { 'com.example/team': 'a"b' },
        pid: 1,
      },
    ]),
    intervalMs: 1000,
    storageMs,
  });
  const app = createAgentServer({
    housekeeper: hk,
    machineInfo: machineInfoProvider(node, hk, {
      procRoot: fixture('proc'),
      sysRoot: fixture('sys'),
    }),
  });
  t.after(() => void app.close());
  return { root, hk, app };
}

test('housekeeping keeps a bounded history per container and drops vanished cgroups', (t) => {
  const { root, hk } = setup(t);
  assert.equal(hk.capacity, 4, 'ceil(3 s / 1 s) + 1 samples');
  for (let i = 0; i < 6; i++) hk.pass();
  assert.equal(hk.failures, 0);
  assert.ok(hk.containers.has('/'));
  assert.ok(hk.containers.has(DOCKER_CGROUP));
  for (const c of hk.containers.values()) assert.equal(c.samples.length, 4, c.name);
  rmSync(join(root, 'system.slice/ssh.service'), { recursive: true });
  hk.pass();
  assert.equal(hk.containers.has('/system.slice/ssh.service'), false);
});

test('Docker containers get aliases [name, id], image and labels; the v1 API answers parse back', async (t) => {
  const { hk, app } = setup(t);
  hk.pass();
  hk.pass();
  const r = await app.inject({ url: `/api/v1.3/containers${DOCKER_CGROUP}` });
  assert.equal(r.statusCode, 200, r.body);
  const info = r.json<ContainerInfo>();
  assert.equal(info.name, DOCKER_CGROUP);
  assert.deepEqual(info.aliases, ['web', DOCKER_ID]);
  assert.equal(info.namespace, 'docker');
  assert.equal(info.spec.image, 'nginx:1');
  assert.equal(info.stats?.length, 2);

  // A POSTed ContainerInfoRequest limits the stats, as cAdvisor's does.
  const one = await app.inject({
    method: 'POST',
    url: `/api/v1.3/containers${DOCKER_CGROUP}`,
    payload: { num_stats: 1 },
  });
  assert.equal(one.json<ContainerInfo>().stats?.length, 1);

  const subs = (await app.inject({ url: '/api/v1.3/subcontainers/system.slice' })).json<
    ContainerInfo[]
  >();
  assert.equal(subs[0].name, '/system.slice');
  assert.ok(subs[0].subcontainers?.some((s) => s.name === DOCKER_CGROUP));
  const b = emptyBatch(0);
  containerInfosToSets(subs, { nodeName: 'n', hostname: 'n', hostId: '' }, 0, b);
  const web = b.sets.get('node:n/container:web');
  assert.ok(web, [...b.sets.keys()].join(' '));
  assert.equal(web.labels.container_base_image, 'nginx:1');

  const byDocker = await app.inject({ url: '/api/v1.3/docker/web' });
  assert.deepEqual(Object.keys(byDocker.json()), [DOCKER_CGROUP]);
  const byPrefix = await app.inject({
    url: `/api/v2.0/spec/${DOCKER_ID.slice(0, 12)}?type=docker`,
  });
  assert.deepEqual(Object.keys(byPrefix.json()), [DOCKER_CGROUP]);

  const metrics = (await app.inject({ url: '/metrics' })).body;
  assert.match(
    metrics,
    new RegExp(
      `container_memory_usage_bytes\\{id="${DOCKER_CGROUP}",image="nginx:1",name="web",container_label_com_example_team="a\\\\"b"\\} \\d+ \\d+`,
    ),
  );
});

test('v2 request options are validated like cAdvisor', () => {
  assert.deepEqual(requestOptions({}), { idType: 'name', count: 64, recursive: false });
  assert.deepEqual(requestOptions({ type: 'docker', count: '3', recursive: 'true' }), {
    idType: 'docker',
    count: 3,
    recursive: true,
  });
  assert.throws(() => requestOptions({ count: '-1' }), /failed to parse 'count' option: -1/);
  assert.throws(() => requestOptions({ type: 'x' }), /unknown 'type' "x"/);
  assert.equal(containerName(''), '/');
  assert.equal(containerName('a//b/'), '/a/b');
  assert.equal(
    containerLabelName('io.kubernetes.pod.name'),
    'container_label_io_kubernetes_pod_name',
  );
});

test('agent flags: defaults, both spellings, bad values named', () => {
  const d = parseAgentFlags([]);
  assert.equal(d.port, 8080);
  assert.equal(d.housekeepingIntervalMs, 1000);
  assert.equal(d.storageDurationMs, 120_000);
  assert.equal(d.listenIp, '');
  const f = parseAgentFlags([
    '--port=9000',
    '--housekeeping-interval',
    '500ms',
    '--storage_duration=10s',
  ]);
  assert.equal(f.port, 9000);
  assert.equal(f.housekeepingIntervalMs, 500);
  assert.equal(f.storageDurationMs, 10_000);
  assert.throws(() => parseAgentFlags(['--port=x']), /--port/);
  assert.throws(() => parseAgentFlags(['--housekeeping_interval=soon']), /--housekeeping_interval/);
  assert.throws(() => parseAgentFlags(['--bogus']), /bogus/);
});
