// `heapster agent` (cAdvisor-compatible API over the cgroups reader) and the cadvisor sources
// reading it, end to end with the agent as a child process.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch } from '../src/core/batch.js';
import { emptyBatch } from '../src/core/batch.js';
import type { Source } from '../src/core/contracts.js';
import { rootLogger } from '../src/core/log.js';
import { parseUri } from '../src/config/uri.js';
import { RateCalculator } from '../src/processors/rate-calculator.js';
import { createSource } from '../src/sources/registry.js';
import { containerInfosToSets } from '../src/sources/cadvisor/parser.js';
import { pino } from 'pino';
import { CadvisorSource } from '../src/sources/cadvisor/cadvisor-source.js';
import { StaticHosts } from '../src/sources/cadvisor/hosts.js';
import type {
  ContainerInfo,
  ContainerSpecV2,
  ContainerStatsV2,
  DerivedStats,
  MachineInfo,
} from '../src/sources/cadvisor/types.js';
import type { AgentProcess } from './support/agent.js';
import { startAgent } from './support/agent.js';
import { TestCgroup, cgroupV1Writable } from './support/cgroups.js';
import { freePort, need, waitFor } from './support/services.js';

const logger = rootLogger.child({ level: 'silent' });
const ctx = { nodeName: 'test-node', logger, resolutionMs: 10_000 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const opened: Source[] = [];
function source(value: string): Source {
  const s = createSource(parseUri('--source', value), ctx);
  opened.push(s);
  return s;
}

let tick = 0;
async function scrape(src: Source): Promise<Batch> {
  const end = Date.now();
  tick++;
  return src.scrape({ startMs: end - 1000, endMs: end + tick }, AbortSignal.timeout(10_000));
}

let shared: AgentProcess | undefined;
async function agent(t: TestContext): Promise<AgentProcess> {
  if (shared === undefined || shared.child.exitCode !== null) {
    shared = await startAgent(['--docker', 'none']);
  }
  void t;
  return shared;
}

test.after(async () => {
  await Promise.all(opened.map((s) => (s as Partial<CadvisorSource>).close?.()));
  await shared?.stop();
});

test('v1.3 answers parse with the parser of real cAdvisor answers; machine has cAdvisor fields', async (t) => {
  const a = await agent(t);
  const machine = await a.json<MachineInfo>('/api/v1.3/machine');
  assert.ok(machine.num_cores >= 1);
  assert.ok(machine.memory_capacity > 0);
  for (const k of ['cpu_frequency_khz', 'machine_id', 'boot_id', 'filesystems', 'topology']) {
    assert.ok(k in machine, `MachineInfo.${k}`);
  }
  const subs = await a.json<ContainerInfo[]>('/api/v1.3/subcontainers/');
  assert.ok(Array.isArray(subs));
  assert.equal(subs[0].name, '/');
  const root = await a.json<ContainerInfo>('/api/v1.3/containers/');
  assert.equal(root.name, '/');
  assert.ok(root.spec.has_cpu && root.spec.has_memory);
  assert.ok((root.stats ?? []).length >= 1);
  const last = root.stats![root.stats!.length - 1];
  assert.ok(last.cpu!.usage.total > 0);
  assert.ok(last.memory!.usage > 0 && last.memory!.working_set <= last.memory!.usage);
  assert.ok(Date.now() - Date.parse(last.timestamp) < 5000, 'fresh sample');

  const b = emptyBatch(Date.now());
  containerInfosToSets(subs, { nodeName: 'n1', hostname: 'n1', hostId: '' }, Date.now(), b);
  const node = b.sets.get('node:n1');
  assert.ok(node, 'node set from /');
  assert.ok(node.values.get('cpu/usage')! > 0);
  assert.ok(node.values.get('memory/usage')! > 0);
  assert.ok(node.labeled.some((l) => l.name === 'filesystem/usage'));
  const sys = [...b.sets.values()].filter((s) => s.labels.type === 'sys_container');
  assert.equal(sys.length, subs.length - 1, 'every other cgroup is a system container');
});

test('v2.0 spec, stats, summary and their parameters', async (t) => {
  const a = await agent(t);
  await sleep(2200); // at least three samples
  const spec = await a.json<Record<string, ContainerSpecV2>>('/api/v2.0/spec/');
  assert.deepEqual(Object.keys(spec), ['/']);
  assert.equal(spec['/'].has_cpu, true);
  const all = await a.json<Record<string, ContainerSpecV2>>('/api/v2.0/spec/?recursive=true');
  const subs = await a.json<ContainerInfo[]>('/api/v1.3/subcontainers/');
  assert.deepEqual(Object.keys(all).sort(), subs.map((c) => c.name).sort());

  const stats = await a.json<Record<string, ContainerStatsV2[]>>('/api/v2.0/stats/?count=2');
  assert.equal(stats['/'].length, 2);
  const [s0, s1] = stats['/'];
  assert.ok(Date.parse(s1.timestamp) > Date.parse(s0.timestamp));
  assert.ok(s1.cpu!.usage.total >= s0.cpu!.usage.total);
  // cpu_inst: the rate between the two samples, in nanocores (ns of CPU per second).
  const expected =
    ((s1.cpu!.usage.total - s0.cpu!.usage.total) * 1000) /
    (Date.parse(s1.timestamp) - Date.parse(s0.timestamp));
  assert.ok(Math.abs(s1.cpu_inst!.usage.total - expected) <= expected * 0.01 + 1e6, 'cpu_inst');
  const one = await a.json<Record<string, ContainerStatsV2[]>>('/api/v2.0/stats/?count=1');
  assert.equal(one['/'].length, 1);

  const summary = await a.json<Record<string, DerivedStats>>('/api/v2.0/summary/');
  const d = summary['/'];
  const machineCores = (await a.json<MachineInfo>('/api/v2.0/machine')).num_cores;
  assert.ok(d.latest_usage.cpu >= 0 && d.latest_usage.cpu <= machineCores * 1000, 'millicores');
  assert.ok(d.latest_usage.memory > 0);
  assert.equal(d.minute_usage.cpu.present, true);
  assert.ok(d.minute_usage.cpu.max >= d.minute_usage.cpu.fifty);
  assert.ok(d.minute_usage.percent_complete > 0 && d.minute_usage.percent_complete <= 100);

  const machine = await a.json<MachineInfo>('/api/v2.0/machine');
  assert.ok(machine.num_cores >= 1);
  // No Docker here (--docker none): type=docker lists nothing.
  assert.deepEqual(await a.json('/api/v2.0/spec/?type=docker'), {});
  assert.deepEqual(await a.json('/api/v1.3/docker/'), {});
});

test("status codes and messages: bad parameters 400, unknown container cAdvisor's 500, unknown path 404", async (t) => {
  const a = await agent(t);
  const cases: [string, number, RegExp][] = [
    ['/api/v2.0/stats/?count=abc', 400, /failed to parse 'count' option: abc/],
    ['/api/v2.0/spec/?type=bogus', 400, /unknown 'type' "bogus"/],
    ['/api/v2.0/stats/no/such', 500, /unknown container "\/no\/such"/],
    [
      '/api/v1.3/containers/no/such',
      500,
      /failed to get container "\/no\/such".*unknown container/,
    ],
    ['/api/v1.3/subcontainers/nope', 500, /unknown container "\/nope"/],
    ['/api/v1.3/docker/nope', 500, /unable to find Docker container "nope"/],
    ['/api/v1.3/bogus/', 404, /unknown request type "bogus"/],
    ['/api/v9.9/machine', 404, /unsupported API version "v9.9"/],
    ['/nothing/here', 404, /404 page not found/],
  ];
  for (const [path, status, message] of cases) {
    const r = await a.get(path);
    assert.equal(r.status, status, `${path}: ${r.text}`);
    assert.match(r.text, message, path);
  }
  assert.equal((await a.get('/healthz')).status, 200);
});

test('an unreachable Docker socket: the agent serves anyway and names containers by cgroup path', async (t) => {
  const a = await startAgent(['--docker', 'unix:///nonexistent/docker.sock']);
  t.after(() => a.stop());
  const subs = await a.json<ContainerInfo[]>('/api/v1.3/subcontainers/');
  assert.ok(subs.length >= 1);
  assert.ok(subs.every((c) => c.namespace === undefined && c.aliases === undefined));
});

test('/metrics in cAdvisor names with id/name/image labels and machine figures', async (t) => {
  const a = await agent(t);
  const text = (await a.get('/metrics')).text;
  assert.match(text, /^# TYPE container_cpu_usage_seconds_total counter$/m);
  assert.match(
    text,
    /^container_cpu_usage_seconds_total\{cpu="total",id="\/",image="",name=""\} [\d.e+]+ \d+$/m,
  );
  for (const m of [
    'container_memory_usage_bytes',
    'container_memory_working_set_bytes',
    'container_memory_cache',
    'container_memory_rss',
    'container_last_seen',
    'container_fs_usage_bytes',
  ]) {
    assert.match(text, new RegExp(`^${m}\\{[^}]*id="/"`, 'm'), m);
  }
  assert.match(text, /^machine_cpu_cores \d+$/m);
  assert.match(text, /^machine_memory_bytes \d+$/m);
});

test('cadvisor:http source reading the agent: node and cgroup sets with true values', async (t) => {
  if (
    !need(t, cgroupV1Writable(), 'run as root with cgroup v1 cpu, cpuacct and memory hierarchies')
  )
    return;
  const a = await agent(t);
  const cg = new TestCgroup(`/heapster-agent-test-${process.pid}`);
  t.after(() => cg.remove());
  cg.startBusyLoop();
  await cg.startMemoryHolder(64 * 1024 * 1024);
  const name = cg.path.slice(1);
  const key = `node:127.0.0.1/container:${name}`;

  const src = source(`cadvisor:http://127.0.0.1:${a.port}`);
  const rates = new RateCalculator();
  await waitFor('the agent to see the test cgroup', async () =>
    (await scrape(src)).sets.has(key) ? true : undefined,
  );
  // The truth: the cgroup's own CPU counter over (about) the same interval, read directly.
  const cpuacct = (): [number, number] => [
    Date.now(),
    Number(readFileSync(`/sys/fs/cgroup/cpuacct${cg.path}/cpuacct.usage`, 'utf8')),
  ];
  rates.process(await scrape(src));
  const t1 = cpuacct();
  await sleep(4000);
  const b = rates.process(await scrape(src));
  const t2 = cpuacct();
  const trueRate = ((t2[1] - t1[1]) / 1e6 / (t2[0] - t1[0])) * 1000;

  const node = b.sets.get('node:127.0.0.1');
  assert.ok(node, 'node set named after the host');
  assert.equal(node.labels.type, 'node');
  assert.ok(node.values.get('cpu/usage_rate')! > 0, 'node cpu/usage_rate after two ticks');
  assert.ok(node.values.get('uptime')! > 0);

  const c = b.sets.get(key);
  assert.ok(c, `${key} in ${[...b.sets.keys()].join(' ')}`);
  assert.equal(c.labels.type, 'sys_container');
  assert.equal(c.labels.container_name, name);
  const truth = cg.memoryUsageBytes();
  const mem = c.values.get('memory/usage')!;
  assert.ok(Math.abs(mem - truth) / truth < 0.05, `memory/usage ${mem} vs cgroup file ${truth}`);
  assert.ok(mem > 64 * 1024 * 1024, 'the 64 MiB held are counted');
  const rate = c.values.get('cpu/usage_rate')!;
  // One busy loop: about 1000 m on an idle machine; on a loaded one whatever it really got.
  assert.ok(
    Math.abs(rate - trueRate) / trueRate < 0.15,
    `busy loop cpu/usage_rate ${rate} m vs ${Math.round(trueRate)} m from cpuacct.usage`,
  );
  assert.ok(rate <= 1100, `one busy loop cannot use more than one core: ${rate} m`);
});

test('a host that is down loses only its own data; its failure is counted and named', async (t) => {
  const a = await agent(t);
  const dead = await freePort();
  const src = source(
    `cadvisor:http://127.0.0.1:${a.port},http://localhost:${dead}`,
  ) as CadvisorSource;
  const b = await scrape(src);
  assert.ok(b.sets.has('node:127.0.0.1'), 'the live host is scraped');
  assert.equal(b.sets.has('node:localhost'), false);
  assert.equal(src.counters.hostsOk, 1);
  assert.equal(src.counters.hostsFailed, 1);
  const [url, why] = [...src.failingHosts()][0];
  assert.equal(url, `http://localhost:${dead}/api/v1.3/subcontainers/`);
  assert.match(
    why,
    new RegExp(`host localhost: GET http://localhost:${dead}/api/v1.3/subcontainers/: `),
  );

  // Failing again for the same reason is not logged again.
  const lines: string[] = [];
  const quiet = new CadvisorSource({
    discovery: new StaticHosts([{ name: 'dead', baseUrl: `http://127.0.0.1:${dead}`, hostId: '' }]),
    timeoutMs: 1000,
    logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
  });
  opened.push(quiet);
  for (let i = 0; i < 3; i++) assert.equal((await scrape(quiet)).sets.size, 0);
  assert.equal(lines.length, 1, lines.join(''));
  assert.match(
    lines[0],
    /host dead: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\.3\/subcontainers\/: ECONNREFUSED/,
  );
  assert.equal(quiet.counters.hostsFailed, 3);

  // A host that hangs is cut off by the per-host timeout; the other host still answers.
  const hang = createServer(() => undefined);
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  t.after(() => {
    hang.closeAllConnections();
    hang.close();
  });
  const hangPort = (hang.address() as AddressInfo).port;
  const slow = source(
    `cadvisor:http://127.0.0.1:${a.port},http://localhost:${hangPort}?timeout=500`,
  ) as CadvisorSource;
  const t0 = Date.now();
  const b2 = await scrape(slow);
  assert.ok(Date.now() - t0 < 3000, 'bounded by the host timeout');
  assert.ok(b2.sets.has('node:127.0.0.1'));
  assert.match([...slow.failingHosts().values()][0], /no answer within 500 ms/);
});

test('cadvisor:external reads the hosts file and re-reads it when it changes', async (t) => {
  const a = await agent(t);
  const dir = mkdtempSync(join(tmpdir(), 'heapster-hosts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'hosts');
  writeFileSync(file, JSON.stringify({ Items: [{ Name: 'alpha', IP: '127.0.0.1' }] }));
  const src = source(`cadvisor:external?hostsFile=${file}&cadvisorPort=${a.port}`);
  assert.equal(src.name, 'cadvisor:external');
  const b1 = await scrape(src);
  assert.ok(b1.sets.has('node:alpha'));
  assert.equal(b1.sets.get('node:alpha')!.labels.hostname, 'alpha');

  await sleep(20); // a different mtime
  writeFileSync(file, JSON.stringify({ Items: [{ Name: 'beta', IP: '127.0.0.1' }] }));
  const b2 = await scrape(src);
  assert.ok(b2.sets.has('node:beta'), 'the new file is read');
  assert.equal(b2.sets.has('node:alpha'), false);

  // A broken file keeps the last good list (and the failure is logged, not fatal).
  writeFileSync(file, '{ not json');
  const b3 = await scrape(src);
  assert.ok(b3.sets.has('node:beta'));

  // standalone: only localhost, file ignored.
  const alone = source(
    `cadvisor:external?standalone=true&cadvisorPort=${a.port}&hostsFile=/nonexistent`,
  );
  assert.ok((await scrape(alone)).sets.has('node:localhost'));
  // No file at all and nothing known: the whole source fails with the file name.
  const missing = source(`cadvisor:external?hostsFile=${join(dir, 'nope')}&cadvisorPort=${a.port}`);
  await assert.rejects(scrape(missing), /nope/);
});

test('cadvisor:coreos finds machines through the fleet API v1 (paginated)', async (t) => {
  // fleet itself cannot run here (no etcd/systemd cluster); this server answers what fleet's
  // API v1 documents for GET /fleet/v1/machines.
  const a = await agent(t);
  const seen: string[] = [];
  const fleet = createServer((req, res) => {
    seen.push(req.url ?? '');
    const u = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    if (u.pathname !== '/fleet/v1/machines') {
      res.statusCode = 404;
      res.end('{}');
      return;
    }
    if (u.searchParams.get('nextPageToken') === 'p2') {
      res.end(JSON.stringify({ machines: [{ id: 'm2', primaryIP: 'localhost', metadata: {} }] }));
    } else {
      res.end(
        JSON.stringify({
          machines: [{ id: 'm1', primaryIP: '127.0.0.1', metadata: { role: 'web' } }],
          nextPageToken: 'p2',
        }),
      );
    }
  });
  await new Promise<void>((r) => fleet.listen(0, '127.0.0.1', r));
  t.after(() => fleet.close());
  const port = (fleet.address() as AddressInfo).port;
  const src = source(
    `cadvisor:coreos?fleetEndpoint=http://127.0.0.1:${port}&cadvisorPort=${a.port}`,
  );
  const b = await scrape(src);
  assert.deepEqual(seen, ['/fleet/v1/machines', '/fleet/v1/machines?nextPageToken=p2']);
  assert.equal(b.sets.get('node:127.0.0.1')?.labels.host_id, 'm1');
  assert.equal(b.sets.get('node:localhost')?.labels.host_id, 'm2');
});

test('bad cadvisor source URIs fail at start naming the option', () => {
  assert.throws(() => source('cadvisor:coreos'), /option "fleetEndpoint" is required/);
  assert.throws(() => source('cadvisor:external?cadvisorPort=abc'), /option "cadvisorPort"/);
  assert.throws(() => source('cadvisor:bogus'), /unknown cadvisor form "bogus"/);
  assert.throws(() => source('cadvisor:external?nope=1'), /unknown option "nope"/);
  assert.throws(() => source('cadvisor:ftp://h:1'), /only http and https/);
});
