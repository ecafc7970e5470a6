// `heapster top` end to end: the real CLI (node bin/heapster.js top ...) against an in-process
// API server holding known batches (the kubectl-top.md example cluster), and against a real
// heapster main job on this machine.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../src/api/server.js';
import { emptyBatch, newMetricSet } from '../src/core/batch.js';
import type { Batch } from '../src/core/batch.js';
import type { EntityType } from '../src/core/keys.js';
import {
  CLUSTER_KEY,
  namespaceKey,
  nodeKey,
  podContainerKey,
  podKey,
  sysContainerKey,
} from '../src/core/keys.js';
import { SelfMetrics } from '../src/core/self-metrics.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { CLEAR_SCREEN, topCommand } from '../src/top/top-command.js';
import { startHeapster } from './support/heapster-process.js';
import { freePort, waitFor } from './support/services.js';

const BIN = fileURLToPath(new URL('../bin/heapster.js', import.meta.url));
const MI = 2 ** 20;
const KI = 1024;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/heapster.js top ARGS`; `untilStdout` sends SIGINT once stdout satisfies it. */
function top(args: string[], untilStdout?: (out: string) => boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'top', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (untilStdout && !sent && untilStdout(stdout)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `topCommand` in this process with captured output (same code as the CLI runs). */
async function topInProcess(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await topCommand(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

function set(
  b: Batch,
  key: string,
  type: EntityType,
  labels: Record<string, string>,
  values: Record<string, number>,
): void {
  const s = newMetricSet(type, labels, { scrapeTimeMs: b.timestampMs });
  for (const [k, v] of Object.entries(values)) s.values.set(k, v);
  b.sets.set(key, s);
}

/** The kubectl-top.md example cluster as one Heapster batch. */
function exampleBatch(t: number): Batch {
  const b = emptyBatch(t);
  set(b, CLUSTER_KEY, 'cluster', {}, { 'cpu/usage_rate': 1500 });
  const node = (name: string, cpu: number, mem: number, cpuAlloc: number, memAlloc: number) =>
    set(
      b,
      nodeKey(name),
      'node',
      { nodename: name, hostname: name },
      {
        'cpu/usage_rate': cpu,
        'memory/working_set': mem,
        'memory/usage': mem * 2,
        'cpu/node_allocatable': cpuAlloc,
        'cpu/node_capacity': cpuAlloc * 2,
        'memory/node_allocatable': memAlloc,
      },
    );
  node('node-a', 1234.56789, 4194304 * KI, 3800, 15900000 * KI);
  node('b', 250, 1048576 * KI, 8000, 32 * 1024 * MI);
  set(
    b,
    sysContainerKey('node-a', 'system.slice/docker.service'),
    'sys_container',
    { hostname: 'node-a', container_name: 'system.slice/docker.service' },
    { 'cpu/usage_rate': 40, 'memory/working_set': 300 * MI },
  );
  set(
    b,
    sysContainerKey('node-a', 'kubelet'),
    'sys_container',
    { hostname: 'node-a', container_name: 'kubelet' },
    { 'cpu/usage_rate': 75, 'memory/working_set': 90 * MI },
  );
  const pod = (ns: string, name: string, labels: string, ctrs: [string, number, number][]) => {
    const common = {
      namespace_name: ns,
      pod_name: name,
      nodename: 'node-a',
      hostname: 'node-a',
      labels,
    };
    let cpu = 0;
    let mem = 0;
    for (const [c, cc, cm] of ctrs) {
      set(
        b,
        podContainerKey(ns, name, c),
        'pod_container',
        { ...common, container_name: c },
        { 'cpu/usage_rate': cc, 'memory/working_set': cm },
      );
      cpu += cc;
      mem += cm;
    }
    set(b, podKey(ns, name), 'pod', common, { 'cpu/usage_rate': cpu, 'memory/working_set': mem });
  };
  pod('default', 'web-1', 'app:x', [
    ['nginx', 5, 20 * MI],
    ['sidecar', 1, 10 * MI],
  ]);
  pod('default', 'db-0', 'app:y,tier:db', [['postgres', 150, 256 * MI]]);
  pod('kube-system', 'coredns-1', 'k8s-app:kube-dns', [['coredns', 3, 15 * MI]]);
  set(
    b,
    namespaceKey('default'),
    'ns',
    { namespace_name: 'default' },
    { 'cpu/usage_rate': 156, 'memory/working_set': 286 * MI },
  );
  set(
    b,
    namespaceKey('kube-system'),
    'ns',
    { namespace_name: 'kube-system' },
    { 'cpu/usage_rate': 3, 'memory/working_set': 15 * MI },
  );
  return b;
}

async function apiServer(store: MemoryStore): Promise<{ app: FastifyInstance; url: string }> {
  const app = createApiServer({
    store,
    selfMetrics: new SelfMetrics(),
    resolutionMs: 60_000,
    healthMaxDelayMs: 180_000,
    logger: pino({ level: 'silent' }),
  });
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  return { app, url: `http://127.0.0.1:${port}` };
}

const table = (...lines: string[]): string => lines.map((l) => l + '\n').join('');

test('heapster top against a server with known data: tables, sorting, selectors, errors', async () => {
  const store = new MemoryStore();
  const t = Date.UTC(2026, 10, 25, 12, 0, 0);
  // An older batch with other values: top shows the latest.
  const old = exampleBatch(t - 60_000);
  old.sets.get(nodeKey('b'))!.values.set('cpu/usage_rate', 9999);
  store.append(old);
  store.append(exampleBatch(t));
  const { app, url } = await apiServer(store);
  try {
    const s = ['-s', url];
    const cases: [string[], string][] = [
      [
        ['nodes'],
        table(
          'NAME     CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%   ',
          'b        250m         3%     1024Mi          3%        ',
          'node-a   1235m        32%    4096Mi          26%       ',
        ),
      ],
      [
        ['node', '--sort-by=cpu', '--no-headers'],
        table('node-a   1235m   32%   4096Mi   26%   ', 'b        250m    3%    1024Mi   3%    '),
      ],
      [
        ['pods', '-A'],
        table(
          'NAMESPACE     NAME        CPU(cores)   MEMORY(bytes)   ',
          'default       db-0        150m         256Mi           ',
          'default       web-1       6m           30Mi            ',
          'kube-system   coredns-1   3m           15Mi            ',
        ),
      ],
      [
        ['pods', '--all-namespaces', '--sort-by', 'memory', '-l', 'app'],
        table(
          'NAMESPACE   NAME    CPU(cores)   MEMORY(bytes)   ',
          'default     db-0    150m         256Mi           ',
          'default     web-1   6m           30Mi            ',
        ),
      ],
      [
        ['pods', '-l', 'app=x'],
        table('NAME    CPU(cores)   MEMORY(bytes)   ', 'web-1   6m           30Mi            '),
      ],
      [
        ['containers', '-n', 'default'],
        table(
          'POD     NAME       CPU(cores)   MEMORY(bytes)   ',
          'db-0    postgres   150m         256Mi           ',
          'web-1   nginx      5m           20Mi            ',
          'web-1   sidecar    1m           10Mi            ',
        ),
      ],
      [
        ['containers', '--system', '--sort-by=cpu'],
        table(
          'NODE     NAME                          CPU(cores)   MEMORY(bytes)   ',
          'node-a   kubelet                       75m          90Mi            ',
          'node-a   system.slice/docker.service   40m          300Mi           ',
        ),
      ],
      [
        ['ns'],
        table(
          'NAME          CPU(cores)   MEMORY(bytes)   ',
          'default       156m         286Mi           ',
          'kube-system   3m           15Mi            ',
        ),
      ],
    ];
    // The first case through the real CLI, the rest through the same command in-process
    // (each CLI start costs seconds of tsx start-up on this machine).
    for (const [i, [args, want]] of cases.entries()) {
      const r = i === 0 ? await top([...args, ...s]) : await topInProcess([...args, ...s]);
      assert.equal(r.stderr, '', args.join(' '));
      assert.equal(r.code, 0, args.join(' '));
      assert.equal(r.stdout, want, args.join(' '));
    }

    const empty = await top(['pods', '-n', 'nope', ...s]);
    assert.deepEqual(empty, {
      code: 0,
      stdout: '',
      stderr: 'No resources found in nope namespace.\n',
    });
    const missing = await top(['pods', 'missing', ...s]);
    assert.deepEqual(missing, {
      code: 1,
      stdout: '',
      stderr: 'error: pod "default/missing" not found\n',
    });
    const badFlag = await top(['pods', '--sort-by=size', ...s]);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /^error: --sort-by: want cpu or memory, got "size"\n/);

    // --watch redraws in place until SIGINT, then exits 0.
    const watched = await top(
      ['nodes', '--watch', '--interval=100ms', ...s],
      (out) => out.split(CLEAR_SCREEN).length > 3,
    );
    assert.equal(watched.code, 0, watched.stderr);
    const frames = watched.stdout.split(CLEAR_SCREEN).slice(1);
    assert.ok(frames.length >= 3);
    for (const f of frames.slice(0, 3)) {
      assert.match(f, /^Every 0\.1s: heapster top nodes --watch/);
      assert.ok(f.endsWith(cases[0][1]), f);
    }
  } finally {
    await app.close();
  }
});

test('heapster top: unreachable server and a server without metrics exit 1 with a clear message', async () => {
  const port = await freePort();
  const down = await top(['nodes', '--server', `http://127.0.0.1:${port}`]);
  assert.deepEqual(down, {
    code: 1,
    stdout: '',
    stderr: `error: cannot reach heapster at http://127.0.0.1:${port}: connection refused\n`,
  });
  const { app, url } = await apiServer(new MemoryStore());
  try {
    for (const kind of ['nodes', 'pods']) {
      const r = await top([kind, '-s', url]);
      assert.deepEqual(
        r,
        {
          code: 1,
          stdout: '',
          stderr: `error: metrics not available yet: heapster at ${url} has no data yet\n`,
        },
        kind,
      );
    }
  } finally {
    await app.close();
  }
});

interface MetricResult {
  metrics: { timestamp: string; value: number; floatValue?: number }[];
}

test('heapster top nodes against a real heapster job matches its Model API', async () => {
  const h = await startHeapster(['--metric_resolution=1s']);
  try {
    const node = os.hostname();
    const series = async (metric: string): Promise<number[]> => {
      const r = await h.get(`/api/v1/model/nodes/${node}/metrics/${metric}`);
      return (r.body as MetricResult).metrics.map((p) => p.floatValue ?? p.value);
    };
    await waitFor('the node cpu rate', async () =>
      (await series('cpu/usage_rate')).length ? true : undefined,
    );
    const r = await top(['nodes', '--no-headers', '-s', h.base]);
    assert.equal(r.code, 0, r.stderr);
    const cells = r.stdout.trim().split(/\s+/);
    assert.equal(cells.length, 5, r.stdout);
    const [name, cpu, cpuPct, mem, memPct] = cells;
    assert.equal(name, node);
    // The row is one of the ticks the Model API holds (a tick may land while top runs).
    const cpus = await series('cpu/usage_rate');
    const mems = await series('memory/working_set');
    const [cpuCap] = (await series('cpu/node_allocatable')).slice(-1);
    const [memCap] = (await series('memory/node_allocatable')).slice(-1);
    const cpuCells = cpus.map((v) => `${Math.ceil(v)}m|${Math.floor((v * 100) / cpuCap)}%`);
    const memCells = mems.map((v) => `${Math.floor(v / MI)}Mi|${Math.floor((v * 100) / memCap)}%`);
    assert.ok(
      cpuCells.includes(`${cpu}|${cpuPct}`),
      `${cpu} ${cpuPct} not in ${cpuCells.slice(-5)}`,
    );
    assert.ok(
      memCells.includes(`${mem}|${memPct}`),
      `${mem} ${memPct} not in ${memCells.slice(-5)}`,
    );

    // On a plain machine `containers` lists the system containers of the node.
    const c = await top(['containers', '-s', h.base]);
    assert.equal(c.code, 0, c.stderr);
    const lines = c.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^NODE +NAME +CPU\(cores\) +MEMORY\(bytes\) +$/);
    const free = (await h.get(`/api/v1/model/nodes/${node}/freecontainers/`)).body as string[];
    assert.equal(lines.length - 1, free.length);
    for (const l of lines.slice(1)) assert.ok(free.includes(l.split(/\s+/)[1]), l);
  } finally {
    assert.equal(await h.stop(), 0);
  }
});
