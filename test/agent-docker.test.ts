// `heapster agent` with a real Docker engine: Docker names, images and labels in the cAdvisor
// API; the cadvisor source reading the agent agrees with the docker source reading the
// engine; real Prometheus scrapes the agent's /metrics and PromQL answers about one core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Batch } from '../src/core/batch.js';
import type { Source } from '../src/core/contracts.js';
import { rootLogger } from '../src/core/log.js';
import { parseUri } from '../src/config/uri.js';
import { RateCalculator } from '../src/processors/rate-calculator.js';
import { createSource } from '../src/sources/registry.js';
import type { ContainerInfo } from '../src/sources/cadvisor/types.js';
import { startAgent } from './support/agent.js';
import { startDockerd } from './support/docker.js';
import { kubernetesLabels } from './support/docker-truth.js';
import { dockerStatsOf } from './support/docker-stats.js';
import { prometheusAvailable, startPrometheus } from './support/prometheus.js';
import { need, waitFor } from './support/services.js';

const MiB = 2 ** 20;
const logger = rootLogger.child({ level: 'silent' });
const ctx = { nodeName: 'docker-host', logger, resolutionMs: 10_000 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let tick = 0;
function scrape(src: Source): Promise<Batch> {
  const end = Date.now() + ++tick;
  return src.scrape({ startMs: end - 1000, endMs: end }, AbortSignal.timeout(15_000));
}

test('agent + real dockerd: Docker identity, cadvisor source = docker source, Prometheus rate', async (t) => {
  const d = await startDockerd(t);
  if (d === undefined) return;
  const image = await d.importBusybox();
  const run = (name: string, args: string[], cmd: string[]): Promise<string> =>
    d.docker(['run', '-d', '--network', 'none', '--name', name, ...args, image, ...cmd]);
  const busyId = await run('busy', ['--label', 'team=web'], ['sh', '-c', 'while :; do :; done']);
  await run(
    'mem',
    ['--tmpfs', '/t:size=200m'],
    ['sh', '-c', 'dd if=/dev/zero of=/t/f bs=1M count=100 2>/dev/null && exec sleep 1d'],
  );

  await run(
    'writer',
    [],
    ['sh', '-c', 'dd if=/dev/zero of=/data bs=1M count=10 2>/dev/null && exec sleep 1d'],
  );
  const k8s = kubernetesLabels;
  await run('k8s_POD_web-0', k8s('POD'), ['sleep', '1d']);
  await run('k8s_app_web-0', k8s('app'), ['sleep', '1d']);

  // Short housekeeping: the agent's samples are at most 250 ms older than the engine's
  // answers, so both rates cover nearly the same interval even when the load varies.
  const agent = await startAgent([
    '--docker',
    d.host,
    '--housekeeping_interval',
    '250ms',
    '--fs_usage_interval',
    '1s',
  ]);
  t.after(() => agent.stop());

  const all = await waitFor('Docker containers in /api/v1.3/docker/', async () => {
    const m = await agent.json<Record<string, ContainerInfo>>('/api/v1.3/docker/');
    const names = Object.values(m).map((c) => c.aliases?.[0]);
    return ['busy', 'mem', 'k8s_app_web-0'].every((n) => names.includes(n)) ? m : undefined;
  });
  const busy = Object.values(all).find((c) => c.aliases?.[0] === 'busy')!;
  assert.deepEqual(busy.aliases, ['busy', busyId]);
  assert.equal(busy.namespace, 'docker');
  assert.equal(busy.spec.image, image);
  assert.equal(busy.spec.labels?.team, 'web');
  assert.ok(busy.name.includes(busyId), `cgroup name ${busy.name} holds the id`);
  // By name and by id, v1.3 and v2.0.
  const byName = await agent.json<Record<string, ContainerInfo>>('/api/v1.3/docker/busy');
  assert.deepEqual(Object.keys(byName), [busy.name]);
  const v2 = await agent.json<Record<string, unknown>>(`/api/v2.0/spec/${busyId}?type=docker`);
  assert.deepEqual(Object.keys(v2), [busy.name]);

  // Both sources name the containers the same way on the same node.
  const viaAgent = createSource(
    parseUri('--source', `cadvisor:http://127.0.0.1:${agent.port}`),
    ctx,
  );
  const viaEngine = createSource(parseUri('--source', `docker:${d.host}?nodeName=127.0.0.1`), ctx);
  t.after(async () => {
    await (viaEngine as { close?: () => Promise<void> }).close?.();
    await (viaAgent as { close?: () => Promise<void> }).close?.();
  });
  const ra = new RateCalculator();
  const re = new RateCalculator();
  const [a0, e0] = await Promise.all([scrape(viaAgent), scrape(viaEngine)]);
  ra.process(a0);
  re.process(e0);
  await sleep(8000);
  const [a1, e1] = await Promise.all([scrape(viaAgent), scrape(viaEngine)]);
  ra.process(a1);
  re.process(e1);
  const key = (n: string): string => `node:127.0.0.1/container:${n}`;
  const ab = a1.sets.get(key('busy'));
  const eb = e1.sets.get(key('busy'));
  assert.ok(ab, `cadvisor source has ${key('busy')}: ${[...a1.sets.keys()].join(' ')}`);
  assert.ok(eb, `docker source has ${key('busy')}`);
  assert.equal(ab.labels.container_base_image, image);
  assert.equal(ab.labels.container_name, 'busy');

  // The writable layer's size (10 MiB written to /data) as filesystem/usage of "/".
  const layer = a1.sets
    .get(key('writer'))
    ?.labeled.find((l) => l.name === 'filesystem/usage' && l.labels.resource_id === '/');
  assert.ok(layer, 'writable layer measured');
  assert.ok(layer.value >= 10 * MiB && layer.value < 11 * MiB, `writable layer ${layer.value}`);

  // Kubernetes-labelled containers: a pod container, and the pause container gives the pod
  // (its network: a private netns with only lo, so zeros).
  const app = a1.sets.get('namespace:shop/pod:web-0/container:app');
  assert.ok(app, [...a1.sets.keys()].join(' '));
  assert.equal(app.labels.pod_id, '0b1c2d3e-0000-4000-8000-000000000001');
  assert.equal(app.labels.container_base_image, image);
  const pod = a1.sets.get('namespace:shop/pod:web-0');
  assert.ok(pod);
  assert.equal(pod.values.get('network/rx'), 0);

  const rateA = ab.values.get('cpu/usage_rate')!;
  const rateE = eb.values.get('cpu/usage_rate')!;
  assert.ok(
    Math.abs(rateA - rateE) / rateE < 0.1,
    `cpu/usage_rate agent ${rateA} m vs engine ${rateE} m`,
  );

  const am = a1.sets.get(key('mem'))!.values.get('memory/usage')!;
  const em = e1.sets.get(key('mem'))!.values.get('memory/usage')!;
  assert.ok(am >= 100 * MiB, `100 MiB in the tmpfs counted: ${am}`);
  assert.ok(Math.abs(am - em) / em < 0.02, `memory/usage agent ${am} vs engine ${em}`);
  const ws = a1.sets.get(key('mem'))!.values.get('memory/working_set')!;
  const stats = await dockerStatsOf(d, 'mem');
  assert.ok(
    Math.abs(ws - stats.memUsageBytes) / stats.memUsageBytes < 0.02,
    `working set ${ws} vs docker stats ${stats.memUsageBytes}`,
  );

  await t.test(
    'a restarted container gets no negative rate; a removed one disappears',
    async () => {
      const before = a1.sets.get(key('mem'))!.collectionStartMs;
      await d.docker(['restart', '-t', '1', 'mem']);
      await d.docker(['rm', '-f', 'writer']);
      const b = await waitFor('the restarted container under its new cgroup', async () => {
        const batch = ra.process(await scrape(viaAgent));
        const m = batch.sets.get(key('mem'));
        return m !== undefined && m.collectionStartMs !== before && !batch.sets.has(key('writer'))
          ? batch
          : undefined;
      });
      const rate = b.sets.get(key('mem'))!.values.get('cpu/usage_rate');
      assert.ok(rate === undefined || rate >= 0, `rate after restart: ${rate}`);
      await sleep(1500);
      const next = ra.process(await scrape(viaAgent));
      const after = next.sets.get(key('mem'))!.values.get('cpu/usage_rate');
      assert.ok(after !== undefined && after >= 0, `rate on the next tick: ${after}`);
    },
  );

  await t.test(
    'real Prometheus scrapes /metrics; rate() of the busy container is ~1 core',
    async (t2) => {
      if (!need(t2, prometheusAvailable(), 'install prometheus')) return;
      const prom = await startPrometheus({
        scrapeTargets: [{ job: 'agent', target: `127.0.0.1:${agent.port}`, path: '/metrics' }],
      });
      t2.after(() => prom.stop());
      const q = 'rate(container_cpu_usage_seconds_total{name="busy"}[10s])';
      await waitFor(
        `${q} in Prometheus`,
        async () => ((await prom.query(q)).length === 1 ? true : undefined),
        { timeoutMs: 30_000, intervalMs: 1000 },
      );
      // The truth over the same 10 s: the container's own cgroup counter.
      const usage = (): [number, number] => [
        Date.now(),
        Number(readFileSync(`/sys/fs/cgroup/cpuacct${busy.name}/cpuacct.usage`, 'utf8')),
      ];
      const u0 = usage();
      await sleep(10_000);
      const u1 = usage();
      const trueCores = (u1[1] - u0[1]) / 1e9 / ((u1[0] - u0[0]) / 1000);
      const [sample] = await prom.query(q, u1[0] / 1000);
      assert.equal(sample.metric.image, image);
      assert.equal(sample.metric.container_label_team, 'web');
      assert.equal(sample.metric.id, busy.name);
      const cores = Number(sample.value[1]);
      assert.ok(
        Math.abs(cores - trueCores) / trueCores < 0.15,
        `${q} = ${cores} vs ${trueCores} from cpuacct.usage`,
      );
      // About one core on a machine that has one free (check uptime when this fails).
      assert.ok(cores >= 0.9 && cores <= 1.1, `${q} = ${cores}`);
    },
  );
  // Last, so that a loaded machine still lets the comparisons above run and report.
  assert.ok(rateA >= 900 && rateA <= 1100, `busy loop via the agent: ${rateA} m (check uptime)`);
});
