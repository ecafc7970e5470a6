// The kubernetes sources, discovery and enrichers against the simulated cluster (src/sim).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Batch } from '../../core/batch.js';
import type { Processor } from '../../core/contracts.js';
import { rootLogger } from '../../core/log.js';
import { parseUri } from '../../config/uri.js';
import { defaultProcessors } from '../../processors/index.js';
import { startSimulator } from '../../sim/simulator.js';
import type { Simulator } from '../../sim/simulator.js';
import { createSource } from '../registry.js';
import { KubernetesDiscovery } from './discovery.js';
import { resolveClusterAccess } from './kube-config.js';
import type { KubeletSource } from './kubelet-source.js';
import { parseKubernetesOptions } from './options.js';

const logger = rootLogger.child({ component: 'test' });
const T0 = Math.floor(Date.now() / 1000) * 1000;

function source(uri: string): KubeletSource {
  return createSource(parseUri('--source', uri), {
    nodeName: 'x',
    logger,
    resolutionMs: 15_000,
  }) as unknown as KubeletSource;
}

function run(chain: Processor[], b: Batch): Batch {
  return chain.reduce((acc, p) => p.process(acc), b);
}

/** Two scrapes 15 s apart on the simulator's clock, through the default chain with enrichers. */
async function twoTicks(
  sim: Simulator,
  src: KubeletSource,
  clock: { now: number },
): Promise<Batch> {
  const chain = defaultProcessors({ cluster: src.cluster, labels: { store: ['application=app'] } });
  const ctl = new AbortController();
  run(chain, await src.scrape({ startMs: clock.now - 15_000, endMs: clock.now }, ctl.signal));
  clock.now += 15_000;
  return run(
    chain,
    await src.scrape({ startMs: clock.now - 15_000, endMs: clock.now }, ctl.signal),
  );
}

for (const [key, label, workers] of [
  ['kubernetes.summary_api', 'summary API', 1],
  ['kubernetes.resource_api', '/metrics/resource', 1],
  ['kubernetes', '/metrics/cadvisor', 1],
  ['kubernetes.summary_api', 'summary API', 0],
  ['kubernetes.resource_api', '/metrics/resource', 0],
  ['kubernetes', '/metrics/cadvisor', 0],
] as const) {
  const where = workers === 0 ? 'parsed on the main thread' : 'parsed in a worker thread';
  test(`${label} source (${where}): rates equal the simulator's truth and the enrichers fill requests, ids and labels`, async () => {
    const clock = { now: T0 };
    const sim = await startSimulator({
      nodes: 3,
      podsPerNode: 3,
      containersPerPod: 2,
      nowMs: () => clock.now,
    });
    const src = source(
      `${sim.sourceUri.replace(/^kubernetes\.summary_api:/, `${key}:`)}&kubeletWorkers=${workers}`,
    );
    try {
      const b = await twoTicks(sim, src, clock);
      const truth = sim.truth();
      for (const n of truth.nodes) {
        const set = b.sets.get(`node:${n.name}`);
        assert.ok(set, `node ${n.name} scraped`);
        assert.equal(set.values.get('cpu/usage_rate'), n.cpuMillicores, `node ${n.name} cpu`);
        assert.equal(set.values.get('memory/working_set'), n.memoryWorkingSetBytes);
        assert.ok((set.values.get('cpu/node_allocatable') ?? 0) > 0, 'allocatable from the Node');
        assert.ok(set.values.has('cpu/node_utilization'));
        assert.match(set.labels.labels ?? '', /kubernetes\.io\/hostname:/);
      }
      for (const p of truth.pods) {
        const pod = b.sets.get(`namespace:${p.namespace}/pod:${p.name}`);
        assert.ok(pod, `pod ${p.name}`);
        assert.equal(pod.labels.pod_id, p.uid);
        assert.ok(pod.labels.namespace_id, 'namespace uid');
        assert.ok(p.labels.app);
        assert.equal(pod.labels.application, p.labels.app, 'stored label');
        assert.ok(pod.labels.labels?.includes(`app:${p.labels.app}`));
        assert.equal(pod.values.get('cpu/usage_rate'), p.cpuMillicores, `pod ${p.name} cpu`);
        if (key !== 'kubernetes.resource_api') {
          assert.equal(pod.values.get('network/rx_rate'), p.networkRxBytesPerSec, 'pod network');
        }
        for (const c of p.containers) {
          const set = b.sets.get(`namespace:${p.namespace}/pod:${p.name}/container:${c.name}`);
          assert.ok(set, `container ${c.name}`);
          assert.equal(
            set.values.get('cpu/usage_rate'),
            c.cpuMillicores,
            `${p.name}/${c.name} cpu`,
          );
          assert.equal(set.values.get('memory/working_set'), c.memoryWorkingSetBytes);
          assert.equal(set.values.get('cpu/request'), c.requestCpuMillicores);
          assert.equal(set.values.get('memory/limit'), c.limitMemoryBytes);
          assert.equal(set.labels.container_base_image, c.image);
          assert.equal(set.values.get('restart_count'), c.restartCount);
        }
      }
    } finally {
      await src.close();
      await sim.stop();
    }
  });
}

test('a restarted container gives no negative rate, and no rate that tick', async () => {
  const clock = { now: T0 };
  const sim = await startSimulator({
    nodes: 2,
    podsPerNode: 3,
    containersPerPod: 2,
    nowMs: () => clock.now,
  });
  const src = source(sim.sourceUri);
  try {
    const chain = defaultProcessors({ cluster: src.cluster });
    const ctl = new AbortController();
    run(chain, await src.scrape({ startMs: 0, endMs: clock.now }, ctl.signal));
    clock.now += 15_000;
    run(chain, await src.scrape({ startMs: 0, endMs: clock.now }, ctl.signal));
    for (let i = 0; i < 4; i++) sim.restart();
    clock.now += 15_000;
    const b = run(chain, await src.scrape({ startMs: 0, endMs: clock.now }, ctl.signal));
    const restarted = sim
      .truth()
      .pods.flatMap((p) =>
        p.containers
          .filter((c) => c.restartCount > 0)
          .map((c) => `namespace:${p.namespace}/pod:${p.name}/container:${c.name}`),
      );
    assert.ok(restarted.length > 0, 'the simulator restarted containers');
    for (const [key, set] of b.sets) {
      for (const [name, v] of set.values) {
        if (name.endsWith('_rate')) assert.ok(v >= 0, `${key} ${name} = ${v}`);
      }
    }
    for (const key of restarted) {
      assert.equal(
        b.sets.get(key)?.values.has('cpu/usage_rate'),
        false,
        `${key}: no rate across a restart`,
      );
    }
  } finally {
    await src.close();
    await sim.stop();
  }
});

test('slow, failing, malformed, hanging and NotReady nodes lose only their own data', async () => {
  const sim = await startSimulator({
    nodes: 6,
    podsPerNode: 2,
    containersPerPod: 1,
    slowDelayMs: 5000,
  });
  const src = source(`${sim.sourceUri}&kubeletTimeout=700ms`);
  try {
    sim.setFault('node-1', 'slow');
    sim.setFault('node-2', 'error500');
    sim.setFault('node-3', 'malformed');
    sim.setFault('node-4', 'hang');
    sim.setFault('node-5', 'notready');
    const ctl = new AbortController();
    // Let the NotReady condition reach the informer.
    await src.scrape({ startMs: 0, endMs: Date.now() }, ctl.signal);
    for (let i = 0; i < 100 && src.cluster.node('node-5')?.ready !== false; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const started = performance.now();
    const b = await src.scrape({ startMs: 0, endMs: Date.now() }, ctl.signal);
    const tookMs = performance.now() - started;
    assert.ok(tookMs < 3000, `bounded by the kubelet timeout, took ${tookMs} ms`);
    assert.ok(b.sets.has('node:node-0'));
    const podsOf = (node: string) =>
      [...b.sets.values()].filter((s) => s.labels.nodename === node && s.labels.type === 'pod')
        .length;
    assert.equal(podsOf('node-0'), 2);
    for (const n of ['node-1', 'node-2', 'node-3', 'node-4', 'node-5']) {
      assert.equal(b.sets.has(`node:${n}`), false, `${n} missing`);
      assert.equal(podsOf(n), 0);
    }
    assert.equal(src.lastStats.ok, 1);
    assert.equal(src.lastStats.failed, 4);
    assert.equal(src.lastStats.skippedNotReady, 1);
    const errors = src.lastStats.errors.join('\n');
    assert.match(errors, /node node-1: .*no answer within 700 ms \(option kubeletTimeout\)/);
    assert.match(errors, /node node-2: .*HTTP 500/);
    assert.match(errors, /node node-3: malformed \/stats\/summary answer/);
    assert.match(errors, /node node-4: .*no answer within 700 ms/);
  } finally {
    await src.close();
    await sim.stop();
  }
});

/** A TCP proxy that can be stopped and restarted on the same port (an API server restart). */
class Proxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: number) {}
  async start(): Promise<void> {
    this.server = createServer((c) => {
      const s = connect(this.target, '127.0.0.1');
      this.sockets.add(c);
      this.sockets.add(s);
      c.pipe(s).pipe(c);
      const drop = () => {
        c.destroy();
        s.destroy();
        this.sockets.delete(c);
        this.sockets.delete(s);
      };
      c.on('error', drop).on('close', drop);
      s.on('error', drop).on('close', drop);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise((r) => this.server?.close(r));
  }
}

test('informers survive an API server restart and a 410 Gone, and converge on the new state', async () => {
  const sim = await startSimulator({
    nodes: 2,
    podsPerNode: 5,
    containersPerPod: 1,
    watchCacheSize: 3,
  });
  const proxy = new Proxy(Number(new URL(sim.apiUrl).port));
  await proxy.start();
  const uri = parseUri(
    '--source',
    `kubernetes:http://127.0.0.1:${proxy.port}?inClusterConfig=false`,
  );
  const opts = parseKubernetesOptions(uri, 'summary', 15_000);
  const access = resolveClusterAccess(opts, 'test');
  const d = new KubernetesDiscovery({
    kubeConfig: access.kubeConfig,
    logger,
    minBackoffMs: 100,
    maxBackoffMs: 400,
  });
  const podNames = (): string =>
    [...d.pods()]
      .map((p) => `${p.namespace}/${p.name}`)
      .sort()
      .join(',');
  const truthNames = (): string =>
    sim
      .truth()
      .pods.map((p) => `${p.namespace}/${p.name}`)
      .sort()
      .join(',');
  try {
    d.start();
    assert.equal(await d.waitForSync(10_000), true);
    assert.equal(podNames(), truthNames());
    await proxy.stop();
    // While the API server is away, more changes than its watch cache holds: the old
    // resource version is then expired (410 Gone) and the informer must relist.
    for (let i = 0; i < 8; i++) sim.churn();
    await new Promise((r) => setTimeout(r, 600));
    assert.notEqual(podNames(), truthNames(), 'the caches still hold the old pods');
    await proxy.start();
    const deadline = Date.now() + 15_000;
    while (podNames() !== truthNames() && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(podNames(), truthNames(), 'converged after the restart');
    assert.ok(d.restarts.pods >= 1, 'the pod informer restarted');
    // And it keeps watching: one more change arrives through the new watch.
    sim.churn();
    const deadline2 = Date.now() + 10_000;
    while (podNames() !== truthNames() && Date.now() < deadline2)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(podNames(), truthNames());
  } finally {
    await d.stop();
    await proxy.stop();
    await sim.stop();
  }
});

test('a kubelet worker thread that dies costs only its nodes in flight, and is started again', async () => {
  const sim = await startSimulator({ nodes: 2, podsPerNode: 2, containersPerPod: 1 });
  const src = source(`${sim.sourceUri}&kubeletWorkers=1&kubeletTimeout=10s`);
  try {
    const ctl = new AbortController();
    const fetcher = (src as unknown as { fetcher: { layoutsReceived: number } }).fetcher;
    const first = await src.scrape({ startMs: 0, endMs: Date.now() }, ctl.signal);
    await src.scrape({ startMs: 0, endMs: Date.now() }, ctl.signal);
    assert.equal(src.lastStats.ok, 2);
    assert.equal(fetcher.layoutsReceived, 2, 'names and labels cross once per node, not per tick');
    sim.setFault('node-1', 'slow');
    const scraping = src.scrape({ startMs: 0, endMs: Date.now() }, ctl.signal);
    await new Promise((r) => setTimeout(r, 500));
    // What an out-of-memory or a bug in the worker would do.
    const lanes = (
      src as unknown as { fetcher: { lanes: { worker?: { terminate(): unknown } }[] } }
    ).fetcher.lanes;
    await lanes[0].worker!.terminate();
    const during = await scraping;
    assert.ok(during.sets.has('node:node-0'), 'the node that had answered is kept');
    assert.equal(during.sets.has('node:node-1'), false);
    assert.match(src.lastStats.errors.join('\n'), /kubelet worker thread stopped/);
    sim.setFault('node-1', 'none');
    const after = await src.scrape({ startMs: 0, endMs: Date.now() }, ctl.signal);
    assert.equal(src.lastStats.ok, 2, src.lastStats.errors.join('\n'));
    assert.deepEqual([...after.sets.keys()].sort(), [...first.sets.keys()].sort());
    assert.ok((after.sets.get('node:node-1')?.values.get('cpu/usage') ?? 0) > 0);
  } finally {
    await src.close();
    await sim.stop();
  }
});

test('kubeletWorkers: none by default (the main thread fetches and parses), N threads when asked', () => {
  const at = (q: string) =>
    parseKubernetesOptions(parseUri('--source', `kubernetes.summary_api:${q}`), 'summary', 15_000);
  assert.equal(at('').kubeletWorkers, 0);
  assert.equal(at('?kubeletWorkers=0').kubeletWorkers, 0);
  assert.equal(at('?kubeletWorkers=3').kubeletWorkers, 3);
  assert.throws(() => at('?kubeletWorkers=-1'), /kubeletWorkers/);
  assert.throws(() => at('?kubeletWorkers=two'), /kubeletWorkers/);
});

test('a kubelet worker has at most 128 nodes unanswered; the rest wait their turn, and a budget cut ends the wait', async () => {
  const sim = await startSimulator({ nodes: 300, podsPerNode: 1, containersPerPod: 1 });
  const src = source(`${sim.sourceUri}&kubeletWorkers=1`);
  try {
    const lane = (src as unknown as { fetcher: { lanes: { pending: Map<number, unknown> }[] } })
      .fetcher.lanes[0];
    let most = 0;
    const set = lane.pending.set.bind(lane.pending);
    lane.pending.set = (k, v) => {
      const r = set(k, v);
      most = Math.max(most, lane.pending.size);
      return r;
    };
    const b = await src.scrape({ startMs: 0, endMs: Date.now() }, new AbortController().signal);
    assert.equal(src.lastStats.ok, 300, src.lastStats.errors.slice(0, 3).join('\n'));
    assert.equal([...b.sets.values()].filter((s) => s.labels.type === 'node').length, 300);
    assert.equal(most, 128);
    // Aborted at once: the nodes still waiting fail with the abort, none is left hanging.
    const ctl = new AbortController();
    const scraping = src.scrape({ startMs: 0, endMs: Date.now() }, ctl.signal);
    setImmediate(() => ctl.abort(new Error('stop')));
    await scraping;
    assert.equal(src.lastStats.ok + src.lastStats.failed, 300);
    assert.equal(lane.pending.size, 0);
  } finally {
    await src.close();
    await sim.stop();
  }
});
