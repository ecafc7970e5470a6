// Real kubectl (`/usr/bin/kubectl top`) against heapster scraping the simulated cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSimulator } from '../src/sim/simulator.js';
import type { ClusterTruth } from '../src/sim/truth.js';
import { startHeapster } from './support/heapster-process.js';
import { need, waitFor } from './support/services.js';

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);

const cpu = (milli: number): string => `${Math.ceil(milli)}m`;
const mem = (bytes: number): string => `${Math.floor(bytes / 2 ** 20)}Mi`;

/** Table rows of kubectl output, split on runs of spaces, header dropped. */
function rows(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/));
}

test('kubectl top node / pod -A / --containers / -l / --sort-by=cpu print the simulator truth', async (t) => {
  if (!need(t, existsSync(KUBECTL), 'kubectl must be at /usr/bin/kubectl')) return;
  const sim = await startSimulator({ nodes: 3, podsPerNode: 4, containersPerPod: 2 });
  const home = mkdtempSync(join(tmpdir(), 'heapster-kubectl-'));
  const hs = await startHeapster([`--source=${sim.sourceUri}`, '--metric_resolution=5s']);
  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(
      KUBECTL,
      [`--server=${hs.base}`, `--cache-dir=${join(home, 'cache')}`, ...args],
      {
        env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: join(home, 'none') },
        timeout: 30_000,
      },
    );
    return stdout;
  };
  try {
    await waitFor(
      'node metrics for every node',
      async () => {
        const r = await hs.get('/apis/metrics.k8s.io/v1beta1/nodes');
        return (r.body as { items?: unknown[] }).items?.length === 3 ? true : undefined;
      },
      { timeoutMs: 40_000 },
    );
    const truth: ClusterTruth = sim.truth();

    const nodes = rows(await kubectl('top', 'node'));
    assert.equal(nodes.length, 3);
    for (const n of truth.nodes) {
      const row = nodes.find((r) => r[0] === n.name);
      assert.ok(row, `row for ${n.name}`);
      assert.equal(row[1], cpu(n.cpuMillicores), `${n.name} cpu`);
      assert.match(row[2] ?? '', /^\d+%$/);
      assert.equal(row[3], mem(n.memoryWorkingSetBytes), `${n.name} memory`);
      assert.match(row[4] ?? '', /^\d+%$/);
    }

    const pods = rows(await kubectl('top', 'pod', '-A'));
    assert.equal(pods.length, truth.pods.length);
    for (const p of truth.pods) {
      const row = pods.find((r) => r[0] === p.namespace && r[1] === p.name);
      assert.ok(row, `row for ${p.namespace}/${p.name}`);
      assert.equal(row[2], cpu(p.cpuMillicores), `${p.name} cpu`);
      const memMi = p.containers.reduce(
        (s, c) => s + Math.floor(c.memoryWorkingSetBytes / 2 ** 20),
        0,
      );
      // kubectl sums the containers' quantities, then rounds down to Mi.
      assert.ok(
        row[3] === mem(p.memoryWorkingSetBytes) || row[3] === `${memMi}Mi`,
        `${p.name} memory ${row[3]}`,
      );
    }

    const ns = truth.pods[0]!.namespace;
    const inNs = truth.pods.filter((p) => p.namespace === ns);
    const containers = rows(await kubectl('top', 'pod', '-n', ns, '--containers'));
    assert.equal(
      containers.length,
      inNs.reduce((s, p) => s + p.containers.length, 0),
    );
    for (const p of inNs) {
      for (const c of p.containers) {
        const row = containers.find((r) => r[0] === p.name && r[1] === c.name);
        assert.ok(row, `row for ${p.name}/${c.name}`);
        assert.equal(row[2], cpu(c.cpuMillicores));
        assert.equal(row[3], mem(c.memoryWorkingSetBytes));
      }
    }

    const app = inNs[0]!.labels.app as string;
    const labelled = rows(await kubectl('top', 'pod', '-n', ns, '-l', `app=${app}`));
    assert.deepEqual(
      labelled.map((r) => r[0]).sort(),
      inNs
        .filter((p) => p.labels.app === app)
        .map((p) => p.name)
        .sort(),
    );

    const sorted = rows(await kubectl('top', 'pod', '-A', '--sort-by=cpu'));
    const cpus = sorted.map((r) => Number((r[2] ?? '').replace(/m$/, '')));
    assert.deepEqual(
      cpus,
      [...cpus].sort((a, b) => b - a),
    );
    assert.equal(sorted[0]![2], cpu(Math.max(...truth.pods.map((p) => p.cpuMillicores))));

    // kubectl prints this on stderr and exits 0.
    const missing = await run(
      KUBECTL,
      [`--server=${hs.base}`, `--cache-dir=${join(home, 'cache')}`, 'top', 'pod', '-n', 'nope'],
      {
        env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: join(home, 'none') },
        timeout: 30_000,
      },
    );
    assert.match(missing.stderr + missing.stdout, /No resources found/);
  } finally {
    await hs.stop();
    await sim.stop();
    rmSync(home, { recursive: true, force: true });
  }
});

test('kubectl top node over HTTPS with a kubeconfig (token, insecure-skip-tls-verify)', async (t) => {
  if (!need(t, existsSync(KUBECTL), 'kubectl must be at /usr/bin/kubectl')) return;
  const home = mkdtempSync(join(tmpdir(), 'heapster-kubectl-tls-'));
  const sim = await startSimulator({ nodes: 2, podsPerNode: 2, containersPerPod: 1 });
  let hs: Awaited<ReturnType<typeof startHeapster>> | undefined;
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(home, 'key.pem'),
      '-out',
      join(home, 'cert.pem'),
    ]);
    hs = await startHeapster(
      [
        `--source=${sim.sourceUri}`,
        '--metric_resolution=5s',
        `--tls_cert=${join(home, 'cert.pem')}`,
        `--tls_key=${join(home, 'key.pem')}`,
      ],
      { waitHealthy: false },
    );
    const url = `https://127.0.0.1:${hs.port}`;
    writeFileSync(
      join(home, 'kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: h',
        'clusters:',
        '- name: h',
        '  cluster:',
        `    server: ${url}`,
        '    insecure-skip-tls-verify: true',
        'users:',
        '- name: u',
        '  user:',
        '    token: abc',
        'contexts:',
        '- name: h',
        '  context:',
        '    cluster: h',
        '    user: u',
      ].join('\n'),
    );
    const kubectl = async (...args: string[]) =>
      (
        await run(
          KUBECTL,
          [
            `--kubeconfig=${join(home, 'kubeconfig')}`,
            `--cache-dir=${join(home, 'cache')}`,
            ...args,
          ],
          {
            env: { PATH: process.env.PATH, HOME: home },
            timeout: 30_000,
          },
        )
      ).stdout;
    const out = await waitFor(
      'kubectl top node over https',
      async () => {
        const o = await kubectl('top', 'node');
        return rows(o).length === 2 ? o : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 1000 },
    );
    const truth = sim.truth();
    for (const n of truth.nodes) {
      const row = rows(out).find((r) => r[0] === n.name);
      assert.equal(row?.[1], cpu(n.cpuMillicores));
      assert.equal(row?.[3], mem(n.memoryWorkingSetBytes));
    }
  } finally {
    await hs?.stop();
    await sim.stop();
    rmSync(home, { recursive: true, force: true });
  }
});
