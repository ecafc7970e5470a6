import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, LabeledValue, MetricSet } from '../core/batch.js';
import { newMetricSet } from '../core/batch.js';
import type { MetricDescriptor } from '../core/metrics.js';
import { ConfigError } from '../config/types.js';
import { RateCalculator } from './rate-calculator.js';

const KEY = 'namespace:ns/pod:p/container:c';
const NODE = 'node:n1';
const T0 = 1_700_000_000_000;

function set(
  values: Record<string, number>,
  scrapeTimeMs: number,
  opts: { startMs?: number; labeled?: LabeledValue[] } = {},
): MetricSet {
  const s = newMetricSet(
    'pod_container',
    {},
    { scrapeTimeMs, collectionStartMs: opts.startMs ?? 1000 },
  );
  for (const [k, v] of Object.entries(values)) s.values.set(k, v);
  if (opts.labeled) s.labeled.push(...opts.labeled);
  return s;
}

function batch(timestampMs: number, sets: Record<string, MetricSet>): Batch {
  return { timestampMs, sets: new Map(Object.entries(sets)) };
}

function disk(name: string, resourceId: string, value: number): LabeledValue {
  return { name, labels: { resource_id: resourceId }, value };
}

test('first batch gets no rates', () => {
  const rc = new RateCalculator();
  const b = rc.process(batch(T0, { [KEY]: set({ 'cpu/usage': 5e9, 'network/rx': 100 }, T0) }));
  const s = b.sets.get(KEY)!;
  assert.equal(s.values.has('cpu/usage_rate'), false);
  assert.equal(s.values.has('network/rx_rate'), false);
  assert.equal(rc.name, 'rate calculator');
});

test('normal rates: cpu in integer millicores, others per second as floats', () => {
  const rc = new RateCalculator();
  rc.process(
    batch(T0, {
      [KEY]: set(
        { 'cpu/usage': 10e9, 'network/rx': 0, 'network/tx': 500, 'memory/page_faults': 7 },
        T0,
      ),
    }),
  );
  // 60 s later: one full core (60e9 ns), 1000 bytes received, 90 000 sent, 30 faults.
  const b = rc.process(
    batch(T0 + 60_000, {
      [KEY]: set(
        { 'cpu/usage': 70e9, 'network/rx': 1000, 'network/tx': 90_500, 'memory/page_faults': 37 },
        T0 + 60_000,
      ),
    }),
  );
  const v = b.sets.get(KEY)!.values;
  assert.equal(v.get('cpu/usage_rate'), 1000);
  assert.ok(Math.abs(v.get('network/rx_rate')! - 1000 / 60) < 1e-9);
  assert.equal(Number.isInteger(v.get('network/rx_rate')), false);
  assert.equal(v.get('network/tx_rate'), 1500);
  assert.equal(v.get('memory/page_faults_rate'), 0.5);
  // Counters stay; gauges and non-rated metrics get no rate.
  assert.equal(v.get('cpu/usage'), 70e9);
  assert.equal(v.has('uptime_rate'), false);
});

test('cpu/usage_rate is rounded to an integer (int64 descriptor)', () => {
  const rc = new RateCalculator();
  rc.process(batch(T0, { [KEY]: set({ 'cpu/usage': 0 }, T0) }));
  // 1.234567890 core-seconds over 10 s = 123.456789 millicores.
  const b = rc.process(
    batch(T0 + 10_000, { [KEY]: set({ 'cpu/usage': 1_234_567_890 }, T0 + 10_000) }),
  );
  assert.equal(b.sets.get(KEY)!.values.get('cpu/usage_rate'), 123);
});

test('rate uses the entity scrape times, not the batch timestamps', () => {
  const rc = new RateCalculator();
  rc.process(batch(T0, { [KEY]: set({ 'network/rx': 0 }, T0 - 5_000) }));
  const b = rc.process(batch(T0 + 60_000, { [KEY]: set({ 'network/rx': 3000 }, T0 + 25_000) }));
  assert.equal(b.sets.get(KEY)!.values.get('network/rx_rate'), 100);
});

test('counter reset gives no rate (never negative), then rates resume from the new value', () => {
  const rc = new RateCalculator();
  rc.process(batch(T0, { [KEY]: set({ 'cpu/usage': 50e9, 'network/rx': 1000 }, T0) }));
  const b1 = rc.process(
    batch(T0 + 60_000, { [KEY]: set({ 'cpu/usage': 1e9, 'network/rx': 7000 }, T0 + 60_000) }),
  );
  const v1 = b1.sets.get(KEY)!.values;
  assert.equal(v1.has('cpu/usage_rate'), false);
  assert.equal(v1.get('network/rx_rate'), 100, 'other counters of the set still get rates');
  const b2 = rc.process(
    batch(T0 + 120_000, { [KEY]: set({ 'cpu/usage': 31e9, 'network/rx': 7000 }, T0 + 120_000) }),
  );
  const v2 = b2.sets.get(KEY)!.values;
  assert.equal(v2.get('cpu/usage_rate'), 500);
  assert.equal(v2.get('network/rx_rate'), 0);
});

test('restart (collectionStartMs changed) gives no rate that tick', () => {
  const rc = new RateCalculator();
  rc.process(batch(T0, { [KEY]: set({ 'cpu/usage': 10e9 }, T0, { startMs: 1000 }) }));
  const b1 = rc.process(
    batch(T0 + 60_000, {
      [KEY]: set({ 'cpu/usage': 20e9 }, T0 + 60_000, { startMs: T0 + 30_000 }),
    }),
  );
  assert.equal(b1.sets.get(KEY)!.values.has('cpu/usage_rate'), false);
  const b2 = rc.process(
    batch(T0 + 120_000, {
      [KEY]: set({ 'cpu/usage': 80e9 }, T0 + 120_000, { startMs: T0 + 30_000 }),
    }),
  );
  assert.equal(b2.sets.get(KEY)!.values.get('cpu/usage_rate'), 1000);
});

test('scrape time not advancing gives no rate', () => {
  const rc = new RateCalculator();
  rc.process(batch(T0, { [KEY]: set({ 'cpu/usage': 10e9 }, T0) }));
  const same = rc.process(batch(T0 + 60_000, { [KEY]: set({ 'cpu/usage': 10e9 }, T0) }));
  assert.equal(same.sets.get(KEY)!.values.has('cpu/usage_rate'), false);
  const back = rc.process(batch(T0 + 120_000, { [KEY]: set({ 'cpu/usage': 10e9 }, T0 - 1) }));
  assert.equal(back.sets.get(KEY)!.values.has('cpu/usage_rate'), false);
  // The newest sample is the baseline afterwards.
  const next = rc.process(
    batch(T0 + 180_000, { [KEY]: set({ 'cpu/usage': 10e9 + 2e9 }, T0 + 9_999) }),
  );
  assert.equal(next.sets.get(KEY)!.values.get('cpu/usage_rate'), 200);
});

test('gap: an entity missing for a tick gets a correct rate over the whole gap', () => {
  const rc = new RateCalculator();
  rc.process(
    batch(T0, { [KEY]: set({ 'cpu/usage': 0, 'network/rx': 0 }, T0), [NODE]: set({}, T0) }),
  );
  const gap = rc.process(batch(T0 + 60_000, { [NODE]: set({ 'cpu/usage': 1 }, T0 + 60_000) }));
  assert.equal(gap.sets.has(KEY), false);
  const b = rc.process(
    batch(T0 + 120_000, { [KEY]: set({ 'cpu/usage': 60e9, 'network/rx': 1200 }, T0 + 120_000) }),
  );
  const v = b.sets.get(KEY)!.values;
  assert.equal(v.get('cpu/usage_rate'), 500);
  assert.equal(v.get('network/rx_rate'), 10);
});

test('disk io rates per resource_id are appended as labeled values with the same labels', () => {
  const rc = new RateCalculator();
  rc.process(
    batch(T0, {
      [NODE]: set({}, T0, {
        labeled: [
          disk('disk/io_read_bytes', 'sda', 1000),
          disk('disk/io_read_bytes', 'sdb', 0),
          disk('disk/io_write_bytes', 'sda', 500),
          disk('filesystem/usage', '/', 123),
        ],
      }),
    }),
  );
  const b = rc.process(
    batch(T0 + 10_000, {
      [NODE]: set({}, T0 + 10_000, {
        labeled: [
          disk('disk/io_read_bytes', 'sda', 21_000),
          disk('disk/io_read_bytes', 'sdb', 5),
          disk('disk/io_write_bytes', 'sda', 400), // went down: no rate
          disk('disk/io_write_bytes', 'sdc', 9000), // new device: no rate
          disk('filesystem/usage', '/', 456),
        ],
      }),
    }),
  );
  const labeled = b.sets.get(NODE)!.labeled;
  const rates = labeled.filter((l) => l.name.endsWith('_rate'));
  assert.deepEqual(
    rates.map((l) => [l.name, l.labels, l.value]),
    [
      ['disk/io_read_bytes_rate', { resource_id: 'sda' }, 2000],
      ['disk/io_read_bytes_rate', { resource_id: 'sdb' }, 0.5],
    ],
  );
  assert.notEqual(rates[0].labels, labeled[0].labels, 'labels are copied, not shared');
  assert.equal(labeled.length, 7);
});

test('entities not seen for longer than maxAgeMs are forgotten', () => {
  const rc = new RateCalculator({ maxAgeMs: 150_000 });
  rc.process(
    batch(T0, { [KEY]: set({ 'cpu/usage': 0 }, T0), [NODE]: set({ 'cpu/usage': 0 }, T0) }),
  );
  assert.equal(rc.trackedEntities, 2);
  for (const dt of [60_000, 120_000]) {
    rc.process(batch(T0 + dt, { [NODE]: set({ 'cpu/usage': dt * 1e6 }, T0 + dt) }));
  }
  assert.equal(rc.trackedEntities, 2, 'kept while younger than maxAgeMs');
  rc.process(batch(T0 + 180_000, { [NODE]: set({ 'cpu/usage': 180e9 }, T0 + 180_000) }));
  assert.equal(rc.trackedEntities, 1);
  const back = rc.process(
    batch(T0 + 240_000, { [KEY]: set({ 'cpu/usage': 240e9 }, T0 + 240_000) }),
  );
  assert.equal(
    back.sets.get(KEY)!.values.has('cpu/usage_rate'),
    false,
    'a forgotten entity starts over',
  );
});

test('sets without rated metrics are not remembered', () => {
  const rc = new RateCalculator();
  rc.process(batch(T0, { [KEY]: set({ 'memory/usage': 5 }, T0) }));
  assert.equal(rc.trackedEntities, 0);
});

test('batch timestamp going backwards or repeating gives no rates and keeps the newer state', () => {
  const rc = new RateCalculator();
  rc.process(batch(T0, { [KEY]: set({ 'cpu/usage': 0 }, T0) }));
  const back = rc.process(batch(T0 - 60_000, { [KEY]: set({ 'cpu/usage': 30e9 }, T0 + 60_000) }));
  assert.equal(back.sets.get(KEY)!.values.has('cpu/usage_rate'), false);
  const same = rc.process(batch(T0, { [KEY]: set({ 'cpu/usage': 30e9 }, T0 + 60_000) }));
  assert.equal(same.sets.get(KEY)!.values.has('cpu/usage_rate'), false);
  const next = rc.process(batch(T0 + 60_000, { [KEY]: set({ 'cpu/usage': 60e9 }, T0 + 60_000) }));
  assert.equal(
    next.sets.get(KEY)!.values.get('cpu/usage_rate'),
    1000,
    'rated against the kept T0 sample',
  );
});

test('a clock step back larger than maxAgeMs restarts the calculator', () => {
  const rc = new RateCalculator({ maxAgeMs: 300_000 });
  rc.process(batch(T0, { [KEY]: set({ 'cpu/usage': 0 }, T0) }));
  const t1 = T0 - 3_600_000;
  rc.process(batch(t1, { [KEY]: set({ 'cpu/usage': 100e9 }, t1) }));
  const b = rc.process(batch(t1 + 60_000, { [KEY]: set({ 'cpu/usage': 130e9 }, t1 + 60_000) }));
  assert.equal(b.sets.get(KEY)!.values.get('cpu/usage_rate'), 500);
});

test('missing or non-finite values give no rate for that metric only', () => {
  const rc = new RateCalculator();
  rc.process(batch(T0, { [KEY]: set({ 'cpu/usage': 0, 'network/rx': 0, 'network/tx': NaN }, T0) }));
  const b = rc.process(
    batch(T0 + 1000, { [KEY]: set({ 'cpu/usage': Infinity, 'network/tx': 10 }, T0 + 1000) }),
  );
  const v = b.sets.get(KEY)!.values;
  assert.equal(v.has('cpu/usage_rate'), false);
  assert.equal(v.has('network/rx_rate'), false);
  assert.equal(v.has('network/tx_rate'), false);
  for (const x of v.values()) assert.ok(!Number.isFinite(x) || x >= 0);
});

test('a rate the source already reported is kept', () => {
  const rc = new RateCalculator();
  rc.process(batch(T0, { [KEY]: set({ 'cpu/usage': 0 }, T0) }));
  const b = rc.process(
    batch(T0 + 1000, { [KEY]: set({ 'cpu/usage': 1e9, 'cpu/usage_rate': 42 }, T0 + 1000) }),
  );
  assert.equal(b.sets.get(KEY)!.values.get('cpu/usage_rate'), 42);
});

test('driven by the descriptors: any cumulative metric with a rate spec is rated', () => {
  const custom: MetricDescriptor = {
    name: 'custom/requests',
    kind: 'cumulative',
    valueType: 'int64',
    units: '',
    description: 'test',
    family: 'general',
    group: 'standard',
    rate: { name: 'custom/requests_per_minute', perSecondScale: 60 },
  };
  const rc = new RateCalculator({ metrics: [custom] });
  rc.process(batch(T0, { [KEY]: set({ 'custom/requests': 0, 'cpu/usage': 0 }, T0) }));
  const b = rc.process(
    batch(T0 + 30_000, { [KEY]: set({ 'custom/requests': 15, 'cpu/usage': 1e9 }, T0 + 30_000) }),
  );
  const v = b.sets.get(KEY)!.values;
  assert.equal(v.get('custom/requests_per_minute'), 30);
  assert.equal(v.has('cpu/usage_rate'), false);
});

test('invalid maxAgeMs is a configuration error', () => {
  assert.throws(() => new RateCalculator({ maxAgeMs: 0 }), ConfigError);
  assert.throws(() => new RateCalculator({ maxAgeMs: Number.NaN }), /maxAgeMs/);
});
