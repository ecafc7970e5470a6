import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { emptyBatch, newMetricSet } from '../core/batch.js';
import { nodeKey, podContainerKey } from '../core/keys.js';
import { metricDescriptor } from '../core/metrics.js';
import {
  encodeLineProtocol,
  escapeMeasurement,
  escapeTag,
  toLineProtocol,
} from './influxdb-line-protocol.js';

const T = Date.UTC(2018, 5, 1, 10, 1, 0);
const DEFAULT = { withFields: false, clusterName: 'default', disableCounterMetrics: false };

function sampleBatch() {
  const b = emptyBatch(T);
  const node = newMetricSet(
    'node',
    { nodename: 'n1', hostname: 'n1', host_id: 'h-1', labels: 'a:b,c:d' },
    { scrapeTimeMs: T - 3000 },
  );
  node.values.set('cpu/usage_rate', 250);
  node.values.set('memory/usage', 1024);
  node.values.set('network/rx_rate', 12.5);
  node.values.set('cpu/usage', 5e9);
  node.values.set('uptime', 42);
  node.labeled.push({ name: 'filesystem/usage', labels: { resource_id: '/dev/sda1' }, value: 7 });
  b.sets.set(nodeKey('n1'), node);
  return b;
}

test('escaping follows the line protocol spec', () => {
  const cases: [string, string, string][] = [
    // input, measurement, tag key/value/field key
    ['plain', 'plain', 'plain'],
    ['a b', 'a\\ b', 'a\\ b'],
    ['a,b', 'a\\,b', 'a\\,b'],
    ['a=b', 'a=b', 'a\\=b'],
    ['say "hi"', 'say\\ "hi"', 'say\\ "hi"'],
    ["it's", "it's", "it's"],
    ['cpu/usage_rate', 'cpu/usage_rate', 'cpu/usage_rate'],
    ['line\nbreak', 'line\\ break', 'line\\ break'],
    ['ends\\', 'ends\\', 'ends\\\\'],
  ];
  for (const [input, meas, tag] of cases) {
    assert.equal(escapeMeasurement(input), meas, `measurement ${JSON.stringify(input)}`);
    assert.equal(escapeTag(input), tag, `tag ${JSON.stringify(input)}`);
  }
});

test('default schema: measurement = metric, field value, int vs float, blacklist, cluster_name', () => {
  assert.equal(
    toLineProtocol(sampleBatch(), DEFAULT),
    [
      'cpu/usage_rate,cluster_name=default,labels=a:b\\,c:d,nodename=n1,type=node value=250i 1527847260000',
      'memory/usage,cluster_name=default,labels=a:b\\,c:d,nodename=n1,type=node value=1024i 1527847260000',
      'network/rx_rate,cluster_name=default,labels=a:b\\,c:d,nodename=n1,type=node value=12.5 1527847260000',
      'cpu/usage,cluster_name=default,labels=a:b\\,c:d,nodename=n1,type=node value=5000000000i 1527847260000',
      'uptime,cluster_name=default,labels=a:b\\,c:d,nodename=n1,type=node value=42i 1527847260000',
      'filesystem/usage,cluster_name=default,labels=a:b\\,c:d,nodename=n1,resource_id=/dev/sda1,type=node value=7i 1527847260000',
      '',
    ].join('\n'),
  );
});

test('withfields schema: measurement = family, field = rest; uptime keeps field value', () => {
  const text = toLineProtocol(sampleBatch(), { ...DEFAULT, withFields: true, clusterName: 'prod' });
  const lines = text.trimEnd().split('\n');
  const tags = ',cluster_name=prod,labels=a:b\\,c:d,nodename=n1,type=node';
  assert.deepEqual(lines, [
    `cpu${tags} usage_rate=250i ${T}`,
    `memory${tags} usage=1024i ${T}`,
    `network${tags} rx_rate=12.5 ${T}`,
    `cpu${tags} usage=5000000000i ${T}`,
    `uptime${tags} value=42i ${T}`,
    `filesystem,cluster_name=prod,labels=a:b\\,c:d,nodename=n1,resource_id=/dev/sda1,type=node usage=7i ${T}`,
  ]);
});

test('disable_counter_metrics drops cumulative metrics that have a rate; non-finite values are skipped', () => {
  const b = sampleBatch();
  b.sets.get(nodeKey('n1'))?.values.set('memory/working_set', NaN);
  b.sets.get(nodeKey('n1'))?.values.set('network/rx', 99);
  const text = toLineProtocol(b, { ...DEFAULT, disableCounterMetrics: true });
  assert.doesNotMatch(text, /^cpu\/usage,/m);
  assert.doesNotMatch(text, /^network\/rx,/m);
  assert.doesNotMatch(text, /working_set/);
  assert.match(text, /^uptime,/m);
  assert.equal(text.trimEnd().split('\n').length, 5);
});

test('names with spaces, commas, = and quotes are escaped in tags; empty labels are left out', () => {
  const b = emptyBatch(T);
  const c = newMetricSet(
    'pod_container',
    {
      namespace_name: 'my ns',
      pod_name: 'pod,1',
      container_name: 'c=1 "x"',
      container_base_image: '',
      pod_id: 'uid',
      namespace_id: 'nsuid',
    },
    { scrapeTimeMs: T },
  );
  c.values.set('memory/usage', 1);
  b.sets.set(podContainerKey('my ns', 'pod,1', 'c=1 "x"'), c);
  assert.equal(
    toLineProtocol(b, { ...DEFAULT, clusterName: 'a b' }),
    `memory/usage,cluster_name=a\\ b,container_name=c\\=1\\ "x",namespace_name=my\\ ns,pod_name=pod\\,1,type=pod_container value=1i ${T}\n`,
  );
});

test('encodeLineProtocol splits into chunks of at most maxPoints lines', () => {
  const chunks = encodeLineProtocol(sampleBatch(), DEFAULT, 4);
  assert.deepEqual(
    chunks.map((c) => c.points),
    [4, 2],
  );
  for (const c of chunks) assert.equal(c.bytes.toString().split('\n').length - 1, c.points);
  assert.equal(
    chunks.map((c) => c.bytes.toString()).join(''),
    toLineProtocol(sampleBatch(), DEFAULT),
  );
});

/** The straightforward encoder the fast one must match byte for byte (strings, no caches). */
function referenceLines(b: ReturnType<typeof emptyBatch>, opts: typeof DEFAULT): string[] {
  const BLACK = new Set(['namespace_id', 'pod_id', 'hostname', 'host_id']);
  const tags = (labels: Record<string, string>, extra?: Record<string, string>) => {
    const merged = { ...labels, ...extra };
    const keys = Object.keys(merged);
    if (!('cluster_name' in merged)) keys.push('cluster_name');
    keys.sort();
    let out = '';
    for (const k of keys) {
      if (k === 'cluster_name') out += ',cluster_name=' + escapeTag(opts.clusterName);
      else if (!BLACK.has(k) && merged[k]) out += ',' + escapeTag(k) + '=' + escapeTag(merged[k]);
    }
    return out;
  };
  const line = (name: string, t: string, v: number): string | undefined => {
    if (!Number.isFinite(v)) return undefined;
    const slash = name.indexOf('/');
    const [m, f] =
      !opts.withFields || slash < 0
        ? [escapeMeasurement(name), 'value']
        : [escapeMeasurement(name.slice(0, slash)), escapeTag(name.slice(slash + 1))];
    const int = metricDescriptor(name)
      ? metricDescriptor(name)?.valueType === 'int64'
      : Number.isInteger(v);
    const val = int ? String(Math.trunc(v)) + 'i' : String(v);
    return `${m}${t} ${f}=${val} ${b.timestampMs}`;
  };
  const out: string[] = [];
  for (const s of b.sets.values()) {
    for (const [name, v] of s.values) {
      const l = line(name, tags(s.labels), v);
      if (l !== undefined) out.push(l);
    }
    for (const lv of s.labeled) {
      const l = line(lv.name, tags(s.labels, lv.labels), lv.value);
      if (l !== undefined) out.push(l);
    }
  }
  return out;
}

test('the fast encoder equals the reference on random batches, chunk by chunk', () => {
  const word = fc.constantFrom('a', 'b b', 'c,c', 'd=d', 'e"e', 'f\\g', 'ü', '', 'zz');
  const key = fc.constantFrom(
    'type',
    'nodename',
    'pod_name',
    'labels',
    'pod_id',
    'hostname',
    'cluster_name',
    'resource_id',
    'make',
    'a b',
  );
  const value = fc.oneof(
    fc.integer({ min: -1e6, max: 1e6 }),
    fc.double({ noNaN: false }),
    fc.constantFrom(0, -0, 2 ** 53, -(2 ** 53) + 1, 2 ** 53 - 1, 1e21, 123456789012345, 0.1, -7.5),
  );
  const metric = fc.constantFrom(
    'cpu/usage_rate',
    'memory/usage',
    'network/rx_rate',
    'uptime',
    'custom/x y',
    'odd',
    'cpu/usage',
  );
  const setArb = fc.record({
    labels: fc.dictionary(key, word, { maxKeys: 5 }),
    values: fc.array(fc.tuple(metric, value), { maxLength: 6 }),
    labeled: fc.array(
      fc.record({ name: metric, labels: fc.dictionary(key, word, { maxKeys: 3 }), value }),
      { maxLength: 5 },
    ),
  });
  fc.assert(
    fc.property(
      fc.array(setArb, { maxLength: 6 }),
      fc.integer({ min: 1, max: 7 }),
      fc.boolean(),
      word,
      (sets, maxPoints, withFields, clusterName) => {
        const b = emptyBatch(T);
        sets.forEach((s, i) => {
          const ms = newMetricSet('pod', {}, { scrapeTimeMs: T });
          ms.labels = s.labels;
          for (const [k, v] of s.values) ms.values.set(k, v);
          ms.labeled = s.labeled;
          b.sets.set(`namespace:n/pod:p${i}`, ms);
        });
        const opts = { withFields, clusterName, disableCounterMetrics: false };
        const want = referenceLines(b, opts);
        const chunks = encodeLineProtocol(b, opts, maxPoints);
        const got = chunks.map((c) => c.bytes.toString('utf8')).join('');
        assert.equal(got, want.map((l) => l + '\n').join(''));
        chunks.forEach((c, i) => {
          const lines = c.bytes.toString('utf8').split('\n').length - 1;
          assert.equal(lines, c.points);
          if (i < chunks.length - 1) assert.equal(c.points, maxPoints);
        });
      },
    ),
    { numRuns: 500 },
  );
});
