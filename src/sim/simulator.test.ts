import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreV1Api, KubeConfig, makeInformer } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import type { Simulator } from './simulator.js';
import { startSimulator } from './simulator.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

/** A clock the test moves by hand, so rates never depend on timing. */
function manualClock(): { nowMs: () => number; advance: (ms: number) => void } {
  let now = T0 + 400;
  return { nowMs: () => now, advance: (ms) => (now += ms) };
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const r = await fetch(url, init);
  assert.equal(r.status, 200, `${url}: ${r.status}`);
  return (await r.json()) as T;
}

interface Summary {
  node: {
    nodeName: string;
    cpu: { time: string; usageCoreNanoSeconds: number };
    network: { rxBytes: number };
  };
  pods: {
    podRef: { name: string; namespace: string };
    cpu: { usageCoreNanoSeconds: number };
    containers: {
      name: string;
      startTime: string;
      cpu: { time: string; usageCoreNanoSeconds: number };
    }[];
  }[];
}

function kubelet(sim: Simulator, node: number, path: string): string {
  return `http://${sim.model.nodes[node].address}:${sim.kubeletPort}${path}`;
}

async function withSim(
  opts: Partial<Parameters<typeof startSimulator>[0]>,
  fn: (sim: Simulator) => Promise<void>,
): Promise<void> {
  const sim = await startSimulator({
    nodes: 3,
    podsPerNode: 4,
    containersPerPod: 2,
    seed: 3,
    ...opts,
  });
  try {
    await fn(sim);
  } finally {
    await sim.stop();
  }
}

test('rates from any two kubelet scrapes equal the true rates (summary, resource, cadvisor)', async () => {
  const clock = manualClock();
  await withSim({ nowMs: clock.nowMs }, async (sim) => {
    const truth = sim.truth();
    const s1 = await getJson<Summary>(kubelet(sim, 1, '/stats/summary'));
    const r1 = await (await fetch(kubelet(sim, 1, '/metrics/resource'))).text();
    const c1 = await (await fetch(kubelet(sim, 1, '/metrics/cadvisor'))).text();
    clock.advance(13_700);
    const s2 = await getJson<Summary>(kubelet(sim, 1, '/stats/summary'));
    const r2 = await (await fetch(kubelet(sim, 1, '/metrics/resource'))).text();
    const c2 = await (await fetch(kubelet(sim, 1, '/metrics/cadvisor'))).text();

    const dtS = (Date.parse(s2.node.cpu.time) - Date.parse(s1.node.cpu.time)) / 1000;
    assert.equal(dtS, 14, 'sample times are whole seconds');
    const nodeTruth = truth.nodes[1];
    assert.equal(
      (s2.node.cpu.usageCoreNanoSeconds - s1.node.cpu.usageCoreNanoSeconds) / dtS / 1e6,
      nodeTruth.cpuMillicores,
    );
    assert.equal(
      (s2.node.network.rxBytes - s1.node.network.rxBytes) / dtS,
      nodeTruth.networkRxBytesPerSec,
    );
    for (const [i, pod] of s2.pods.entries()) {
      const pt = truth.pods.find((p) => p.name === pod.podRef.name);
      assert.ok(pt);
      assert.equal(
        (pod.cpu.usageCoreNanoSeconds - s1.pods[i].cpu.usageCoreNanoSeconds) / dtS / 1e6,
        pt.cpuMillicores,
      );
      for (const [j, c] of pod.containers.entries()) {
        const rate: number =
          (c.cpu.usageCoreNanoSeconds - s1.pods[i].containers[j].cpu.usageCoreNanoSeconds) /
          dtS /
          1e6;
        assert.equal(rate, pt.containers[j].cpuMillicores, `${pod.podRef.name}/${c.name}`);
      }
    }

    const sample = (text: string, re: RegExp) => {
      const m = re.exec(text);
      assert.ok(m, `${re} in output`);
      return { value: Number(m[1]), ts: Number(m[2]) };
    };
    const a = sample(r1, /^node_cpu_usage_seconds_total (\S+) (\d+)$/m);
    const b = sample(r2, /^node_cpu_usage_seconds_total (\S+) (\d+)$/m);
    assert.ok(
      Math.abs(((b.value - a.value) / (b.ts - a.ts)) * 1e6 - nodeTruth.cpuMillicores) < 1e-6,
    );
    const pod = truth.pods.find((p) => p.node === 'node-1');
    assert.ok(pod);
    const rxRe = new RegExp(
      `^container_network_receive_bytes_total\\{[^}]*pod="${pod.name}"\\} (\\S+) (\\d+)$`,
      'm',
    );
    const x = sample(c1, rxRe);
    const y = sample(c2, rxRe);
    assert.equal(((y.value - x.value) / (y.ts - x.ts)) * 1000, pod.networkRxBytesPerSec);
  });
});

test('a restarted container starts its counters again; the pod cgroup keeps counting', async () => {
  const clock = manualClock();
  await withSim({ nowMs: clock.nowMs }, async (sim) => {
    const before = await getJson<Summary>(kubelet(sim, 0, '/stats/summary'));
    clock.advance(5000);
    const r = sim.model.restartContainer({ node: 0, pod: 0, container: 1 });
    assert.ok(r);
    clock.advance(10_000);
    const after = await getJson<Summary>(kubelet(sim, 0, '/stats/summary'));
    const cb = before.pods[0].containers[1];
    const ca = after.pods[0].containers[1];
    assert.ok(ca.cpu.usageCoreNanoSeconds < cb.cpu.usageCoreNanoSeconds, 'container counter reset');
    assert.equal(ca.cpu.usageCoreNanoSeconds, r.container.cpuMillicores * 1e6 * 10);
    assert.ok(Date.parse(ca.startTime) > Date.parse(cb.startTime), 'new start time');
    assert.equal(
      (after.pods[0].cpu.usageCoreNanoSeconds - before.pods[0].cpu.usageCoreNanoSeconds) / 15 / 1e6,
      sim.truth().pods.find((p) => p.name === after.pods[0].podRef.name)?.cpuMillicores,
      'pod rate unaffected by the restart',
    );
    const pod = await getJson<{ status: { containerStatuses: { restartCount: number }[] } }>(
      `${sim.apiUrl}/api/v1/namespaces/${r.pod.namespace}/pods/${r.pod.name}`,
    );
    assert.equal(pod.status.containerStatuses[1].restartCount, 1);
  });
});

test('faults: 500, malformed, slow and hanging nodes; the others answer', async () => {
  await withSim({ slowDelayMs: 1500 }, async (sim) => {
    sim.setFault('node-0', 'error500');
    sim.setFault('node-1', 'malformed');
    const e = await fetch(kubelet(sim, 0, '/stats/summary'));
    assert.equal(e.status, 500);
    await e.text();
    const m = await fetch(kubelet(sim, 1, '/stats/summary'));
    assert.equal(m.status, 200);
    const body = await m.text();
    assert.throws(() => JSON.parse(body));
    const mp = await (await fetch(kubelet(sim, 1, '/metrics/resource'))).text();
    assert.match(mp, /\{\{malformed/);
    assert.equal((await fetch(kubelet(sim, 2, '/stats/summary'))).status, 200);

    sim.setFault('node-2', 'hang');
    await assert.rejects(
      fetch(kubelet(sim, 2, '/stats/summary'), { signal: AbortSignal.timeout(300) }),
      /aborted|timeout/i,
    );
    sim.setFault('node-0', 'slow');
    await assert.rejects(
      fetch(kubelet(sim, 0, '/stats/summary'), { signal: AbortSignal.timeout(200) }),
      /aborted|timeout/i,
    );
    const slow = await fetch(kubelet(sim, 0, '/stats/summary'));
    assert.equal(slow.status, 200, 'a slow node answers in the end');
    assert.equal(((await slow.json()) as Summary).node.nodeName, 'node-0');
    assert.deepEqual(
      sim.truth().nodes.map((n) => n.fault),
      ['slow', 'malformed', 'hang'],
    );
    sim.setFault('node-1', 'none');
    JSON.parse(await (await fetch(kubelet(sim, 1, '/stats/summary'))).text());

    sim.setFault('node-1', 'notready');
    const nodes = await getJson<{
      items: {
        metadata: { name: string };
        status: { conditions: { type: string; status: string }[] };
      }[];
    }>(`${sim.apiUrl}/api/v1/nodes`);
    assert.equal(nodes.items[1].status.conditions.find((c) => c.type === 'Ready')?.status, 'False');
    assert.equal(nodes.items[0].status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
  });
});

/** Reads newline-delimited watch events until `until` says stop. */
async function readWatch(
  url: string,
  until: (
    events: { type: string; object: { metadata: { name: string }; code?: number } }[],
  ) => boolean,
): Promise<{ type: string; object: { metadata: { name: string }; code?: number } }[]> {
  const ctrl = new AbortController();
  const r = await fetch(url, { signal: ctrl.signal });
  assert.equal(r.status, 200);
  const events: { type: string; object: { metadata: { name: string }; code?: number } }[] = [];
  let buf = '';
  const reader = r.body?.getReader();
  assert.ok(reader);
  const dec = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, nl)) as (typeof events)[number]);
      buf = buf.slice(nl + 1);
    }
    if (until(events)) break;
  }
  ctrl.abort();
  return events;
}

test('watch: churn gives DELETED and ADDED after the listed resourceVersion; too old gives 410', async () => {
  await withSim({ watchCacheSize: 4 }, async (sim) => {
    const list = await getJson<{
      metadata: { resourceVersion: string };
      items: { metadata: { name: string } }[];
    }>(`${sim.apiUrl}/api/v1/pods`);
    assert.equal(list.items.length, 12);
    const oldRv = list.metadata.resourceVersion;
    const watching = readWatch(
      `${sim.apiUrl}/api/v1/pods?watch=1&resourceVersion=${oldRv}`,
      (ev) => ev.length >= 2,
    );
    await new Promise((r) => setTimeout(r, 50));
    const victim = sim.model.nodes[0].pods[0].name;
    sim.model.churnPod({ node: 0, pod: 0 });
    const events = await watching;
    assert.deepEqual(
      events.map((e) => e.type),
      ['DELETED', 'ADDED'],
    );
    assert.equal(events[0].object.metadata.name, victim);
    assert.equal(events[1].object.metadata.name, sim.model.nodes[0].pods[0].name);

    // Replaying from the old version still works while the cache holds it...
    const replay = await readWatch(
      `${sim.apiUrl}/api/v1/pods?watch=true&resourceVersion=${oldRv}`,
      (ev) => ev.length >= 2,
    );
    assert.deepEqual(
      replay.map((e) => e.type),
      ['DELETED', 'ADDED'],
    );
    // ...and expires once it is pushed out.
    for (let i = 0; i < 3; i++) sim.churn();
    const gone = await readWatch(
      `${sim.apiUrl}/api/v1/pods?watch=1&resourceVersion=${oldRv}`,
      (ev) => ev.length >= 1,
    );
    assert.equal(gone[0].type, 'ERROR');
    assert.equal(gone[0].object.code, 410);
    const exact = await fetch(
      `${sim.apiUrl}/api/v1/pods?resourceVersion=${oldRv}&resourceVersionMatch=Exact`,
    );
    assert.equal(exact.status, 410);
    assert.equal(((await exact.json()) as { reason: string }).reason, 'Expired');
  });
});

test('a paged list is one snapshot: later pages and the resource version are those of the first page', async () => {
  await withSim({}, async (sim) => {
    type PodList = {
      metadata: { continue?: string; resourceVersion: string };
      items: { metadata: { name: string } }[];
    };
    const before = [...sim.model.pods()].map((p) => p.name).sort();
    const page1 = await getJson<PodList>(`${sim.apiUrl}/api/v1/pods?limit=5`);
    // Pods replaced between the pages do not show in the rest of the list...
    sim.churn();
    const after = [...sim.model.pods()].map((p) => p.name).sort();
    assert.notDeepEqual(after, before, 'churn replaced a pod');
    const names = page1.items.map((p) => p.metadata.name);
    let cont = page1.metadata.continue;
    while (cont !== undefined) {
      const page = await getJson<PodList>(
        `${sim.apiUrl}/api/v1/pods?limit=5&continue=${encodeURIComponent(cont)}`,
      );
      // ...and every page gives the first page's resource version, so that a watch from it
      // delivers the changes made since.
      assert.equal(page.metadata.resourceVersion, page1.metadata.resourceVersion);
      names.push(...page.items.map((p) => p.metadata.name));
      cont = page.metadata.continue;
    }
    assert.deepEqual(names.sort(), before);
    // A new list sees the change.
    const fresh = await getJson<PodList>(`${sim.apiUrl}/api/v1/pods`);
    assert.deepEqual(fresh.items.map((p) => p.metadata.name).sort(), after);
    assert.ok(Number(fresh.metadata.resourceVersion) > Number(page1.metadata.resourceVersion));
  });
});

test('selectors, pagination, namespaces, events, discovery', async () => {
  await withSim({}, async (sim) => {
    const onNode = await getJson<{ items: { spec: { nodeName: string } }[] }>(
      `${sim.apiUrl}/api/v1/pods?fieldSelector=${encodeURIComponent('spec.nodeName=node-2')}`,
    );
    assert.equal(onNode.items.length, 4);
    assert.ok(onNode.items.every((p) => p.spec.nodeName === 'node-2'));
    const app = sim.model.nodes[0].pods[0].app;
    const byLabel = await getJson<{ items: { metadata: { labels: { app: string } } }[] }>(
      `${sim.apiUrl}/api/v1/pods?labelSelector=app%3D${app}`,
    );
    const want = [...sim.model.pods()].filter((p) => p.app === app).length;
    assert.equal(byLabel.items.length, want);
    const bad = await fetch(`${sim.apiUrl}/api/v1/pods?fieldSelector=spec.bogus%3Dx`);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /spec\.bogus/);

    const page1 = await getJson<{ metadata: { continue?: string }; items: unknown[] }>(
      `${sim.apiUrl}/api/v1/pods?limit=5`,
    );
    assert.equal(page1.items.length, 5);
    assert.ok(page1.metadata.continue);
    const page2 = await getJson<{ metadata: { continue?: string }; items: unknown[] }>(
      `${sim.apiUrl}/api/v1/pods?limit=10&continue=${page1.metadata.continue}`,
    );
    assert.equal(page2.items.length, 7);
    assert.equal(page2.metadata.continue, undefined);

    const ns = await getJson<{ items: { metadata: { name: string; uid: string } }[] }>(
      `${sim.apiUrl}/api/v1/namespaces`,
    );
    assert.ok(
      ns.items.some((n) => n.metadata.name === 'kube-system' && n.metadata.uid.length === 36),
    );
    const nsPods = await getJson<{ items: { metadata: { namespace: string } }[] }>(
      `${sim.apiUrl}/api/v1/namespaces/default/pods`,
    );
    assert.ok(nsPods.items.every((p) => p.metadata.namespace === 'default'));
    sim.churn();
    const events = await getJson<{ items: { reason: string }[] }>(`${sim.apiUrl}/api/v1/events`);
    assert.deepEqual(
      events.items.map((e) => e.reason),
      ['Killing', 'Scheduled'],
    );
    assert.equal((await getJson<{ versions: string[] }>(`${sim.apiUrl}/api`)).versions[0], 'v1');
    assert.equal((await getJson<{ major: string }>(`${sim.apiUrl}/version`)).major, '1');
    const node = await getJson<{ status: { addresses: { type: string; address: string }[] } }>(
      `${sim.apiUrl}/api/v1/nodes/node-1`,
    );
    assert.deepEqual(node.status.addresses[0], { type: 'InternalIP', address: '127.1.0.2' });
  });
});

test('@kubernetes/client-node informer lists pods and sees churn as DELETED and ADDED', async () => {
  await withSim({}, async (sim) => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'sim', server: sim.apiUrl, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'c', cluster: 'sim', user: 'u' }],
      currentContext: 'c',
    });
    const api = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(kc, '/api/v1/pods', () => api.listPodForAllNamespaces());
    const added: string[] = [];
    const deleted: string[] = [];
    let resolveNext: (() => void) | undefined;
    informer.on('add', (p) => {
      added.push(p.metadata?.name ?? '');
      resolveNext?.();
    });
    informer.on('delete', (p) => {
      deleted.push(p.metadata?.name ?? '');
      resolveNext?.();
    });
    await informer.start();
    try {
      assert.equal(informer.list().length, 12);
      assert.equal(added.length, 12);
      const victim = sim.model.nodes[1].pods[2].name;
      const seen = new Promise<void>((resolve) => {
        resolveNext = () => {
          if (added.length >= 13 && deleted.length >= 1) resolve();
        };
      });
      // Even if the watch is not open yet, it starts at the listed version and replays this.
      sim.model.churnPod({ node: 1, pod: 2 });
      await seen;
      assert.deepEqual(deleted, [victim]);
      assert.equal(added[12], sim.model.nodes[1].pods[2].name);
      assert.equal(informer.list().length, 12);
      assert.ok(!informer.list().some((p) => p.metadata?.name === victim));
    } finally {
      await informer.stop();
    }
  });
});
