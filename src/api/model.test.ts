import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { Batch, LabeledValue, MetricSet } from '../core/batch.js';
import { emptyBatch, newMetricSet } from '../core/batch.js';
import type { EntityType } from '../core/keys.js';
import {
  CLUSTER_KEY,
  namespaceKey,
  nodeKey,
  podContainerKey,
  podKey,
  sysContainerKey,
} from '../core/keys.js';
import { SelfMetrics } from '../core/self-metrics.js';
import { MemoryStore } from '../store/memory-store.js';
import { parseMetricParams, resolveModelPath, roundValue, toMetricResult } from './model.js';
import { createApiServer } from './server.js';

const T0 = Date.UTC(2018, 5, 1, 10, 0, 0);
const MIN = 60_000;
const ZERO = '0001-01-01T00:00:00Z';

function ms(
  type: EntityType,
  labels: Record<string, string>,
  values: Record<string, number>,
  labeled: LabeledValue[] = [],
): MetricSet {
  const set = newMetricSet(type, labels, { scrapeTimeMs: T0, collectionStartMs: T0 - 3_600_000 });
  for (const [k, v] of Object.entries(values)) set.values.set(k, v);
  set.labeled.push(...labeled);
  return set;
}

const fs = (rid: string, value: number): LabeledValue => ({
  name: 'filesystem/usage',
  labels: { resource_id: rid },
  value,
});

/** Tick i (0..2) of a small realistic cluster. */
function tick(i: number): Batch {
  const b = emptyBatch(T0 + i * MIN);
  const add = (key: string, set: MetricSet) => b.sets.set(key, set);
  add(CLUSTER_KEY, ms('cluster', {}, { 'cpu/usage_rate': 100 + i * 10, 'memory/usage': 1000 }));
  add(
    nodeKey('node-1'),
    ms(
      'node',
      { nodename: 'node-1', hostname: 'node-1.example', host_id: 'i-1' },
      { 'cpu/usage_rate': 50 + i, 'memory/usage': 4096, 'memory/node_utilization': 0.731 },
      [fs('/', 1000 + i), fs('/dev/sdb', 2000 + i)],
    ),
  );
  add(nodeKey('node-2'), ms('node', { nodename: 'node-2' }, { 'cpu/usage_rate': 7 }));
  add(
    sysContainerKey('node-1', 'system.slice/ssh.service'),
    ms(
      'sys_container',
      { hostname: 'node-1.example', container_name: 'system.slice/ssh.service' },
      { 'cpu/usage_rate': 3 + i, 'memory/usage': 512 },
    ),
  );
  add(
    sysContainerKey('node-1', 'kubelet'),
    ms(
      'sys_container',
      { hostname: 'node-1.example', container_name: 'kubelet' },
      { 'cpu/usage_rate': 9 },
    ),
  );
  add(
    sysContainerKey('node-2', 'docker-daemon'),
    ms('sys_container', { container_name: 'docker-daemon' }, { 'cpu/usage_rate': 1 }),
  );
  add(
    namespaceKey('kube-system'),
    ms('ns', { namespace_name: 'kube-system' }, { 'cpu/usage_rate': 20 }),
  );
  add(namespaceKey('default'), ms('ns', { namespace_name: 'default' }, { 'cpu/usage_rate': 0 }));
  add(
    podKey('kube-system', 'heapster-abc'),
    ms('pod', { pod_name: 'heapster-abc' }, { 'cpu/usage_rate': 12 + i, 'memory/usage': 300 }),
  );
  add(podKey('kube-system', 'dns-1'), ms('pod', { pod_name: 'dns-1' }, { 'cpu/usage_rate': 5 }));
  add(
    podContainerKey('kube-system', 'heapster-abc', 'heapster'),
    ms(
      'pod_container',
      { pod_name: 'heapster-abc', container_name: 'heapster' },
      {
        'cpu/usage_rate': 10,
        'memory/working_set': 2048,
        'network/rx_rate': 1234.5,
        'custom/temp': [1.5, 2, -2.5][i],
        'custom/delta': -5,
        'cpu/limit': 500,
        'memory/limit': 1 << 30,
      },
    ),
  );
  add(
    podContainerKey('kube-system', 'heapster-abc', 'eventer'),
    ms(
      'pod_container',
      { pod_name: 'heapster-abc', container_name: 'eventer' },
      { 'cpu/usage_rate': 2 },
    ),
  );
  return b;
}

const NOW = T0 + 10 * MIN;

function makeApp() {
  const store = new MemoryStore();
  for (let i = 0; i < 3; i++) store.append(tick(i));
  return createApiServer({
    store,
    selfMetrics: new SelfMetrics(),
    resolutionMs: MIN,
    healthMaxDelayMs: 3 * MIN,
    logger: pino({ level: 'silent' }),
    now: () => NOW,
  });
}

const app = makeApp();
before(async () => {
  await app.ready();
});
after(async () => {
  await app.close();
});

async function get(url: string): Promise<{ status: number; json: unknown; body: string }> {
  const res = await app.inject({ method: 'GET', url });
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, body: res.body };
}

async function getJson(url: string): Promise<unknown> {
  const res = await get(url);
  assert.equal(res.status, 200, `${url}: ${res.body}`);
  return res.json;
}

const M = '/api/v1/model';
const ts = (i: number) => new Date(T0 + i * MIN).toISOString().replace('.000Z', 'Z');

describe('lists', () => {
  const cases: [string, string[]][] = [
    [`${M}/nodes/`, ['node-1.example', 'node-2']],
    [`${M}/namespaces/`, ['default', 'kube-system']],
    [`${M}/namespaces/kube-system/pods/`, ['dns-1', 'heapster-abc']],
    [`${M}/namespaces/default/pods/`, []],
    [`${M}/namespaces/kube-system/pods/heapster-abc/containers/`, ['eventer', 'heapster']],
    [`${M}/nodes/node-1/freecontainers/`, ['kubelet', 'system.slice/ssh.service']],
    [`${M}/nodes/node-1.example/freecontainers/`, ['kubelet', 'system.slice/ssh.service']],
    [`${M}/nodes/node-2/freecontainers/`, ['docker-daemon']],
    [`${M}/nodes/nope/freecontainers/`, []],
    [`${M}/metrics/`, ['cpu/usage_rate', 'memory/usage']],
    [
      `${M}/nodes/node-1/metrics/`,
      ['cpu/usage_rate', 'filesystem/usage', 'memory/node_utilization', 'memory/usage'],
    ],
    [`${M}/nodes/nope/metrics/`, []],
    [`${M}/namespaces/kube-system/metrics/`, ['cpu/usage_rate']],
    [`${M}/namespaces/kube-system/pods/heapster-abc/metrics/`, ['cpu/usage_rate', 'memory/usage']],
    [
      `${M}/namespaces/kube-system/pods/heapster-abc/containers/heapster/metrics/`,
      [
        'cpu/limit',
        'cpu/usage_rate',
        'custom/delta',
        'custom/temp',
        'memory/limit',
        'memory/working_set',
        'network/rx_rate',
      ],
    ],
    [
      `${M}/nodes/node-1/freecontainers/system.slice/ssh.service/metrics/`,
      ['cpu/usage_rate', 'memory/usage'],
    ],
    [
      `${M}/nodes/node-1/freecontainers/system.slice%2Fssh.service/metrics/`,
      ['cpu/usage_rate', 'memory/usage'],
    ],
    [`${M}/nodes/node-1/freecontainers/kubelet/metrics/`, ['cpu/usage_rate']],
  ];
  for (const [url, want] of cases) {
    test(`${url} and without trailing slash`, async () => {
      assert.deepEqual(await getJson(url), want);
      assert.deepEqual(await getJson(url.replace(/\/$/, '')), want);
    });
  }

  test('debug/allkeys lists every key of the latest batch, sorted', async () => {
    const keys = (await getJson(`${M}/debug/allkeys`)) as string[];
    assert.equal(keys.length, 12);
    assert.deepEqual(keys, [...keys].sort());
    assert.ok(keys.includes('node:node-1/container:system.slice/ssh.service'));
    assert.deepEqual(await getJson(`${M}/debug/allkeys/`), keys);
  });
});

describe('metric results', () => {
  test('cluster, node, namespace, pod, container and free container metrics', async () => {
    const cases: [string, number[]][] = [
      [`${M}/metrics/cpu/usage_rate`, [100, 110, 120]],
      [`${M}/nodes/node-1/metrics/cpu/usage_rate`, [50, 51, 52]],
      [`${M}/namespaces/kube-system/metrics/cpu/usage_rate`, [20, 20, 20]],
      [`${M}/namespaces/kube-system/pods/heapster-abc/metrics/cpu/usage_rate`, [12, 13, 14]],
      [
        `${M}/namespaces/kube-system/pods/heapster-abc/containers/eventer/metrics/cpu/usage_rate`,
        [2, 2, 2],
      ],
      [
        `${M}/nodes/node-1/freecontainers/system.slice/ssh.service/metrics/cpu/usage_rate`,
        [3, 4, 5],
      ],
      [
        `${M}/nodes/node-1/freecontainers/system.slice%2Fssh.service/metrics/cpu/usage_rate`,
        [3, 4, 5],
      ],
      [
        `${M}/nodes/node-1/freecontainers/system.slice%2fssh.service/metrics/cpu%2Fusage_rate`,
        [3, 4, 5],
      ],
      [`${M}/nodes/node-2/freecontainers/docker-daemon/metrics/cpu/usage_rate/`, [1, 1, 1]],
    ];
    for (const [url, values] of cases) {
      assert.deepEqual(
        await getJson(url),
        {
          metrics: values.map((value, i) => ({ timestamp: ts(i), value })),
          latestTimestamp: ts(2),
        },
        url,
      );
    }
  });

  test('deprecated aliases', async () => {
    const base = `${M}/namespaces/kube-system/pods/heapster-abc/containers/heapster/metrics`;
    const cases: [string, number][] = [
      ['cpu-usage', 10],
      ['cpu-limit', 500],
      ['memory-limit', 1 << 30],
      ['memory-working', 2048],
    ];
    for (const [alias, v] of cases) {
      const r = (await getJson(`${base}/${alias}`)) as { metrics: { value: number }[] };
      assert.deepEqual(
        r.metrics.map((p) => p.value),
        [v, v, v],
        alias,
      );
    }
    const mem = (await getJson(`${M}/nodes/node-1/metrics/memory-usage`)) as {
      metrics: { value: number }[];
    };
    assert.deepEqual(
      mem.metrics.map((p) => p.value),
      [4096, 4096, 4096],
    );
  });

  test('double metrics carry floatValue; value is rounded; negatives do not wrap', async () => {
    const base = `${M}/namespaces/kube-system/pods/heapster-abc/containers/heapster/metrics`;
    assert.deepEqual((await getJson(`${base}/network/rx_rate`)) as object, {
      metrics: [0, 1, 2].map((i) => ({ timestamp: ts(i), value: 1235, floatValue: 1234.5 })),
      latestTimestamp: ts(2),
    });
    const util = (await getJson(`${M}/nodes/node-1/metrics/memory/node_utilization`)) as {
      metrics: unknown[];
    };
    assert.deepEqual(util.metrics[0], { timestamp: ts(0), value: 1, floatValue: 0.731 });
    // Unknown metric: floatValue only on non-integer values.
    assert.deepEqual(((await getJson(`${base}/custom/temp`)) as { metrics: unknown[] }).metrics, [
      { timestamp: ts(0), value: 2, floatValue: 1.5 },
      { timestamp: ts(1), value: 2 },
      { timestamp: ts(2), value: -3, floatValue: -2.5 },
    ]);
    const delta = (await getJson(`${base}/custom/delta`)) as { metrics: { value: number }[] };
    assert.deepEqual(
      delta.metrics.map((p) => p.value),
      [-5, -5, -5],
    );
    // int64 catalogue metrics never carry floatValue.
    const cpu = (await getJson(`${base}/cpu/usage_rate`)) as { metrics: object[] };
    assert.ok(cpu.metrics.every((p) => !('floatValue' in p)));
  });

  test('start/end filter inclusively; RFC3339 with offsets and fractions', async () => {
    const url = `${M}/nodes/node-1/metrics/cpu/usage_rate`;
    const values = async (q: string) =>
      ((await getJson(`${url}?${q}`)) as { metrics: { value: number }[] }).metrics.map(
        (p) => p.value,
      );
    assert.deepEqual(await values(`start=${ts(1)}`), [51, 52]);
    assert.deepEqual(await values(`end=${ts(1)}`), [50, 51]);
    assert.deepEqual(await values(`start=${ts(1)}&end=${ts(1)}`), [51]);
    assert.deepEqual(await values('start=2018-06-01T12:00:30%2B02:00'), [51, 52]);
    // An unescaped + decodes to a space; it is still read as the offset sign.
    assert.deepEqual(await values('start=2018-06-01T12:00:30+02:00'), [51, 52]);
    assert.deepEqual(
      await values('start=2018-06-01T10:00:59.999Z&end=2018-06-01T10:01:00.001Z'),
      [51],
    );
    assert.deepEqual(await values('start=2018-06-01T11:00:00Z'), []); // after now: nothing
    assert.deepEqual(await values('unknown=1'), [50, 51, 52]);
    // end defaults to now: a batch after "now" is not returned.
    const r = (await getJson(`${url}?start=${ts(0)}`)) as { latestTimestamp: string };
    assert.equal(r.latestTimestamp, ts(2));
  });

  test('labels select the labeled value with exactly that label set', async () => {
    const url = `${M}/nodes/node-1/metrics/filesystem/usage`;
    const values = async (q: string) =>
      ((await getJson(`${url}${q}`)) as { metrics: { value: number }[] }).metrics.map(
        (p) => p.value,
      );
    assert.deepEqual(await values('?labels=resource_id:/'), [1000, 1001, 1002]);
    assert.deepEqual(await values('?labels=resource_id:%2Fdev%2Fsdb'), [2000, 2001, 2002]);
    assert.deepEqual(await values('?labels=resource_id:/dev/sdb'), [2000, 2001, 2002]);
    assert.deepEqual(await values('?labels=resource_id:/dev/sdc'), []);
    assert.deepEqual(await values('?labels=resource_id:/,x:y'), []);
    assert.deepEqual(await values(''), []);
    assert.deepEqual(await values('?labels='), []);
  });

  test('unknown key or metric: 200 with an empty result and Go zero time', async () => {
    const empty = { metrics: [], latestTimestamp: ZERO };
    for (const url of [
      `${M}/nodes/nope/metrics/cpu/usage_rate`,
      `${M}/nodes/node-1/metrics/no/such_metric`,
      `${M}/namespaces/x/pods/y/containers/z/metrics/cpu/usage_rate`,
      `${M}/nodes/node-1/freecontainers/no/such.service/metrics/cpu/usage_rate`,
      `${M}/metrics/cpu/usage_rate?start=2019-01-01T00:00:00Z&end=2019-01-02T00:00:00Z`,
    ]) {
      assert.deepEqual(await getJson(url), empty, url);
    }
  });

  test('pod-list returns items in the given order', async () => {
    const r = (await getJson(
      `${M}/namespaces/kube-system/pod-list/heapster-abc,nope,dns-1/metrics/cpu-usage`,
    )) as { items: { metrics: { value: number }[]; latestTimestamp: string }[] };
    assert.equal(r.items.length, 3);
    assert.deepEqual(
      r.items[0].metrics.map((p) => p.value),
      [12, 13, 14],
    );
    assert.deepEqual(r.items[1], { metrics: [], latestTimestamp: ZERO });
    assert.deepEqual(
      r.items[2].metrics.map((p) => p.value),
      [5, 5, 5],
    );
    const one = (await getJson(
      `${M}/namespaces/kube-system/pod-list/dns-1/metrics/cpu/usage_rate/?start=${ts(2)}`,
    )) as {
      items: { metrics: unknown[] }[];
    };
    assert.equal(one.items.length, 1);
    assert.equal(one.items[0].metrics.length, 1);
  });
});

describe('errors', () => {
  const url = `${M}/nodes/node-1/metrics/cpu/usage_rate`;
  const cases: [string, RegExp][] = [
    ['start=yesterday', /start.*"yesterday"/],
    ['end=2018-06-01', /end.*"2018-06-01"/],
    ['start=2018-02-30T00:00:00Z', /start.*2018-02-30/],
    [
      `start=${ts(2)}&end=${ts(1)}`,
      /start \(2018-06-01T10:02:00Z\) is after end \(2018-06-01T10:01:00Z\)/,
    ],
    ['labels=resource_id', /labels.*"resource_id"/],
    ['labels=:x', /labels.*":x"/],
    ['labels=a:1,a:2', /labels.*"a:2"/],
  ];
  for (const [q, re] of cases) {
    test(`400 for ${q}`, async () => {
      const res = await get(`${url}?${q}`);
      assert.equal(res.status, 400);
      const body = res.json as { error: string };
      assert.match(body.error, re);
    });
  }

  test('400 also on pod-list, free containers and cluster', async () => {
    for (const u of [
      `${M}/namespaces/kube-system/pod-list/a,b/metrics/cpu/usage_rate?start=x`,
      `${M}/nodes/node-1/freecontainers/kubelet/metrics/cpu/usage_rate?end=x`,
      `${M}/metrics/cpu/usage_rate?labels=x`,
    ]) {
      assert.equal((await get(u)).status, 400, u);
    }
  });

  test('unknown model paths are 404; list routes ignore metric params', async () => {
    for (const u of [
      `${M}/`,
      `${M}/bogus`,
      `${M}/nodes/node-1`,
      `${M}/nodes/node-1/bogus`,
      `${M}/namespaces/kube-system`,
      `${M}/namespaces/kube-system/pods/p/bogus`,
      `${M}/namespaces/kube-system/pods/p/containers/c`,
      `${M}/namespaces/kube-system/pod-list/a,b/metrics/`,
      `${M}/nodes/node-1/freecontainers/kubelet`,
      `${M}/nodes//metrics/`,
      `${M}/debug/allkeys/x`,
    ]) {
      assert.equal((await get(u)).status, 404, u);
    }
    assert.equal((await get(`${M}/nodes/?start=bad`)).status, 200);
  });
});

describe('pure helpers', () => {
  test('resolveModelPath', () => {
    assert.deepEqual(resolveModelPath(['metrics']), { kind: 'names', key: 'cluster' });
    assert.deepEqual(
      resolveModelPath(['nodes', 'n', 'freecontainers', 'a', 'b', 'metrics', 'cpu', 'usage']),
      {
        kind: 'metric',
        key: 'node:n/container:a/b',
        metric: 'cpu/usage',
      },
    );
    assert.deepEqual(resolveModelPath(['nodes', 'n', 'freecontainers', 'a/b', 'metrics']), {
      kind: 'names',
      key: 'node:n/container:a/b',
    });
    assert.deepEqual(resolveModelPath(['namespaces', 'ns', 'pod-list', 'a,b', 'metrics', 'm']), {
      kind: 'podList',
      namespace: 'ns',
      pods: ['a', 'b'],
      metric: 'm',
    });
    assert.equal(resolveModelPath(['nodes', 'n', 'freecontainers', 'metrics']), undefined);
  });

  test('roundValue rounds half away from zero', () => {
    assert.deepEqual([2.5, -2.5, 2.4, -2.4, 0.5, -0.4].map(roundValue), [3, -3, 2, -2, 1, 0]);
    assert.ok(Object.is(roundValue(-0.4), 0));
  });

  test('toMetricResult of nothing is the zero result', () => {
    assert.deepEqual(toMetricResult('cpu/usage_rate', []), { metrics: [], latestTimestamp: ZERO });
  });

  test('parseMetricParams defaults', () => {
    const p = parseMetricParams(new URLSearchParams(''), 1234);
    assert.deepEqual(p, { startMs: -62135596800000, endMs: 1234 });
    const l = parseMetricParams(new URLSearchParams('labels=a:b:c,d:'), 1234);
    assert.deepEqual(l, { startMs: -62135596800000, endMs: 1234, labels: { a: 'b:c', d: '' } });
  });
});
