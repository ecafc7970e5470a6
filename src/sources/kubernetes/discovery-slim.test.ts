// Memory and time bounds of the kubernetes sources at scale, against the simulated cluster:
// the discovery caches keep slim records (not full objects), equal specs are shared, and a
// scrape that runs out of its time budget keeps the nodes that answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { rootLogger } from '../../core/log.js';
import { parseUri } from '../../config/uri.js';
import { startSimulator } from '../../sim/simulator.js';
import type { PodTruth } from '../../sim/truth.js';
import { KubernetesDiscovery } from './discovery.js';
import { resolveClusterAccess } from './kube-config.js';
import { KubeletSource } from './kubelet-source.js';
import { parseKubernetesOptions } from './options.js';

const logger = rootLogger.child({ component: 'test' });

/** What the informer caches hold: read through the private field on purpose (memory bound). */
function cachedObjects(d: KubernetesDiscovery, kind: string): Record<string, unknown>[] {
  const informers = (d as unknown as { informers: Map<string, { list(): unknown[] }> }).informers;
  return (informers.get(kind)?.list() ?? []) as Record<string, unknown>[];
}

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function checkPod(d: KubernetesDiscovery, p: PodTruth): void {
  const info = d.pod(p.namespace, p.name);
  assert.ok(info, `pod ${p.namespace}/${p.name} known`);
  assert.equal(info.uid, p.uid);
  assert.equal(info.nodeName, p.node);
  for (const [k, v] of Object.entries(p.labels)) assert.equal(info.labels[k], v, `label ${k}`);
  assert.deepEqual(
    info.containers.map((c) => [
      c.name,
      c.image,
      Math.round((c.requests.cpu ?? 0) * 1000),
      c.limits.memory,
    ]),
    p.containers.map((c) => [c.name, c.image, c.requestCpuMillicores, c.limitMemoryBytes]),
  );
  for (const c of p.containers) assert.equal(info.restartCounts.get(c.name), c.restartCount);
}

test('discovery keeps slim records: no spec or status in the caches, listed or watched, and equal specs shared', async () => {
  const sim = await startSimulator({ nodes: 2, podsPerNode: 30, containersPerPod: 2 });
  const opts = parseKubernetesOptions(parseUri('--source', sim.sourceUri), 'summary', 15_000);
  const d = new KubernetesDiscovery({
    kubeConfig: resolveClusterAccess(opts, 'test').kubeConfig,
    logger,
  });
  try {
    d.start();
    assert.equal(await d.waitForSync(10_000), true);
    for (const p of sim.truth().pods) checkPod(d, p);
    // A pod replaced through the watch (not the list) is slimmed too.
    const before = new Set(sim.truth().pods.map((p) => p.uid));
    sim.churn();
    const added = sim.truth().pods.filter((p) => !before.has(p.uid));
    assert.ok(added.length > 0, 'churn added a pod');
    await until('the new pod', () => added.every((p) => d.pod(p.namespace, p.name) !== undefined));
    for (const p of added) checkPod(d, p);
    for (const kind of ['pods', 'nodes', 'namespaces']) {
      const objects = cachedObjects(d, kind);
      assert.ok(objects.length > 0, `${kind} cached`);
      for (const o of objects) {
        assert.deepEqual(Object.keys(o).sort(), ['metadata', 'view'], `${kind}: slim entry`);
        assert.deepEqual(
          Object.keys(o.metadata as object).sort(),
          kind === 'pods' ? ['name', 'namespace', 'resourceVersion'] : ['name', 'resourceVersion'],
        );
      }
    }
    // Containers with the same spec share one record (and pods with the same specs, one list).
    const containers = [...d.pods()].flatMap((p) => p.containers);
    const distinct = new Set(containers);
    const specs = new Set(containers.map((c) => JSON.stringify(c)));
    assert.equal(distinct.size, specs.size, 'one record per distinct container spec');
    assert.ok(distinct.size < containers.length, 'containers share their spec records');
  } finally {
    await d.stop();
    await sim.stop();
  }
});

test('a scrape out of its time budget keeps the nodes that answered and names the budget', async () => {
  const sim = await startSimulator({ nodes: 4, podsPerNode: 2, containersPerPod: 1 });
  // Scrape timeout 1 s -> budget 900 ms, while one kubelet request may take 10 s.
  const uri = parseUri('--source', `${sim.sourceUri}&kubeletTimeout=10s`);
  const opts = parseKubernetesOptions(uri, 'summary', 1000);
  assert.equal(opts.scrapeBudgetMs, 900);
  const src = new KubeletSource(opts, resolveClusterAccess(opts, 'test'), logger);
  try {
    sim.setFault('node-2', 'hang');
    const ctl = new AbortController();
    const started = performance.now();
    const b = await src.scrape({ startMs: 0, endMs: Date.now() }, ctl.signal);
    const tookMs = performance.now() - started;
    assert.ok(tookMs < 5000, `bounded by the budget, not the 10 s kubelet timeout: ${tookMs} ms`);
    for (const n of ['node-0', 'node-1', 'node-3']) assert.ok(b.sets.has(`node:${n}`), n);
    assert.equal(b.sets.has('node:node-2'), false);
    assert.equal(src.lastStats.ok, 3);
    assert.equal(src.lastStats.failed, 1);
    assert.match(
      src.lastStats.errors.join('\n'),
      /node node-2: no answer within the scrape budget of 900 ms/,
    );
  } finally {
    await src.close();
    await sim.stop();
  }
});

test('nodes a scrape budget cut off are asked first in the next scrape', async () => {
  const sim = await startSimulator({ nodes: 6, podsPerNode: 1, containersPerPod: 1 });
  const uri = parseUri('--source', `${sim.sourceUri}&kubeletTimeout=10s`);
  // One request at a time, 250 ms each, 1 s per scrape: about 3 of the 6 nodes fit.
  const opts = {
    ...parseKubernetesOptions(uri, 'summary', 1000),
    scrapeBudgetMs: 1000,
    maxConcurrentRequests: 1,
  };
  const src = new KubeletSource(opts, resolveClusterAccess(opts, 'test'), logger);
  try {
    for (let i = 0; i < 6; i++) sim.setFault(`node-${i}`, 'slow', 250);
    const answered = (b: { sets: Map<string, unknown> }): string[] =>
      [...b.sets.keys()].filter((k) => /^node:[^/]+$/.test(k)).map((k) => k.slice(5));
    const first = answered(
      await src.scrape({ startMs: 0, endMs: Date.now() }, new AbortController().signal),
    );
    const cut = ['node-0', 'node-1', 'node-2', 'node-3', 'node-4', 'node-5'].filter(
      (n) => !first.includes(n),
    );
    assert.ok(first.length >= 1 && cut.length >= 1, `first scrape: ${first.join(',')}`);
    const second = answered(
      await src.scrape({ startMs: 0, endMs: Date.now() }, new AbortController().signal),
    );
    assert.ok(second.length >= 1, 'the second scrape reached some nodes');
    // The nodes cut last time went first: what answered now is from them.
    for (const n of second.slice(0, Math.min(second.length, cut.length))) {
      assert.ok(cut.includes(n), `${n} answered, but cut last time were ${cut.join(',')}`);
    }
  } finally {
    await src.close();
    await sim.stop();
  }
});

/** A logger that keeps its lines (JSON) for the test to read. */
function captureLogger(): { logger: typeof logger; warnings: () => string[] } {
  const out: string[] = [];
  const l = pino({ level: 'info' }, { write: (s: string) => out.push(s) });
  return {
    logger: l,
    warnings: () =>
      out
        .map((s) => JSON.parse(s) as { level: number; msg: string })
        .filter((e) => e.level === 40)
        .map((e) => e.msg),
  };
}

test('a budget cut says whether the kubelets were slow or heapster itself was too busy', async () => {
  const sim = await startSimulator({ nodes: 8, podsPerNode: 1, containersPerPod: 1 });
  const uri = parseUri('--source', `${sim.sourceUri}&kubeletTimeout=10s`);
  // Budget 900 ms; one request at a time, so that answers come in separate turns of the
  // event loop (as a large cluster's do) and the budget's timer can fire between them.
  const opts = { ...parseKubernetesOptions(uri, 'summary', 1000), maxConcurrentRequests: 1 };
  const cap = captureLogger();
  const src = new KubeletSource(opts, resolveClusterAccess(opts, 'test'), cap.logger);
  const scrape = (onPart?: () => void) =>
    src.scrape({ startMs: 0, endMs: Date.now() }, new AbortController().signal, onPart);
  try {
    // A hanging kubelet, heapster idle: the kubelets are to blame.
    sim.setFault('node-2', 'hang');
    await scrape();
    let msg = cap.warnings().at(-1) ?? '';
    // (It holds up the nodes queued behind it: one request at a time.)
    assert.match(
      msg,
      /; \d+ did not answer within the scrape budget \(heapster was busy ([0-9]|[1-7][0-9]) % of it: the kubelets or the network were slow\)/,
    );
    assert.doesNotMatch(msg, /metric_resolution/);
    sim.setFault('node-2', 'none');
    // The kubelets answer at once, but taking in each answer costs heapster 300 ms of CPU
    // (as parsing, processing and storing do at cluster scale): about 3 of 8 fit in 900 ms.
    await scrape(() => {
      const until = performance.now() + 300;
      while (performance.now() < until);
    });
    msg = cap.warnings().at(-1) ?? '';
    assert.match(
      msg,
      /were cut off by the scrape budget while heapster was busy (8\d|9\d|100) % of the scrape/,
    );
    assert.match(msg, /it cannot take 8 nodes per scrape on this machine/);
    assert.match(
      msg,
      /Give it more time \(--metric-resolution, and --scrape-timeout: .*\) or more CPU/,
    );
    assert.ok(src.lastStats.ok >= 1 && src.lastStats.ok <= 5, `${src.lastStats.ok} answered`);
  } finally {
    await src.close();
    await sim.stop();
  }
});
