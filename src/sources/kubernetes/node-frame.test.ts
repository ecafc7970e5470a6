// The worker → main-thread frame of a node's sets: what is decoded is what was encoded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, MetricSet } from '../../core/batch.js';
import { emptyBatch, newMetricSet } from '../../core/batch.js';
import { FrameDecoder, FrameEncoder, FrameError } from './node-frame.js';

/** A node's sets as a parser makes them; `extra` adds a metric to the first container. */
function nodeSets(tick: number, extra = false): Batch {
  const b = emptyBatch(0);
  const node = newMetricSet(
    'node',
    { nodename: 'n1', hostname: 'h1', host_id: '' },
    {
      scrapeTimeMs: 1_000 + tick,
      collectionStartMs: 500,
    },
  );
  node.values.set('cpu/usage', 1e9 * tick);
  node.values.set('memory/usage', NaN);
  node.values.set('uptime', -0);
  node.labeled.push({ name: 'filesystem/usage', labels: { resource_id: '/dev/sda1' }, value: 7 });
  b.sets.set('node:n1', node);
  for (let c = 0; c < 3; c++) {
    const set = newMetricSet(
      'pod_container',
      { nodename: 'n1', namespace_name: 'ns', pod_name: 'p', container_name: `c${c}` },
      { scrapeTimeMs: 2_000 + tick, collectionStartMs: 100 + c, createMs: 50 + c },
    );
    set.values.set('cpu/usage', tick * 10 + c);
    set.values.set('memory/working_set', 2 ** 40 + c);
    if (extra && c === 0) set.values.set('memory/cache', 3);
    set.labeled.push({ name: 'filesystem/limit', labels: { resource_id: 'logs' }, value: c });
    b.sets.set(`namespace:ns/pod:p/container:c${c}`, set);
  }
  return b;
}

function plain(set: MetricSet): unknown {
  return {
    labels: set.labels,
    values: [...set.values],
    labeled: set.labeled.map((lv) => ({ ...lv, labels: { ...lv.labels } })),
    times: [set.scrapeTimeMs, set.collectionStartMs, set.createMs],
  };
}

function assertSame(got: Batch, want: Batch): void {
  assert.deepEqual([...got.sets.keys()], [...want.sets.keys()]);
  for (const [k, set] of want.sets) assert.deepEqual(plain(got.sets.get(k)!), plain(set), k);
}

test('a frame decodes to the sets encoded, and the layout is sent only when it changes', () => {
  const enc = new FrameEncoder();
  const dec = new FrameDecoder();
  const first = enc.encode('n1', nodeSets(1));
  assert.ok(first.layout !== undefined, 'the first frame of a node carries its layout');
  assertSame(dec.decode('n1', first, 15_000), nodeSets(1));
  assert.equal(dec.decode('n1', first, 15_000).timestampMs, 15_000);

  const second = enc.encode('n1', nodeSets(2));
  assert.equal(second.layout, undefined, 'same names and labels: numbers only');
  assert.equal(second.layoutId, first.layoutId);
  // Per set: 3 times, its values, its labeled values.
  assert.equal(second.nums.length, 3 + 3 + 1 + 3 * (3 + 2 + 1));
  assertSame(dec.decode('n1', second, 30_000), nodeSets(2));

  const changed = enc.encode('n1', nodeSets(3, true));
  assert.ok(changed.layout !== undefined, 'a new metric sends the layout again');
  assert.notEqual(changed.layoutId, first.layoutId);
  assertSame(dec.decode('n1', changed, 45_000), nodeSets(3, true));
});

test('each decoded set has labels of its own; labeled values share frozen labels', () => {
  const enc = new FrameEncoder();
  const dec = new FrameDecoder();
  const a = dec.decode('n1', enc.encode('n1', nodeSets(1)), 0);
  a.sets.get('node:n1')!.labels.pod_id = 'enriched';
  const b = dec.decode('n1', enc.encode('n1', nodeSets(2)), 0);
  assert.equal(b.sets.get('node:n1')!.labels.pod_id, undefined, 'enrichment does not leak');
  const lv = b.sets.get('node:n1')!.labeled[0];
  assert.throws(() => {
    (lv.labels as Record<string, string>).resource_id = 'x';
  }, TypeError);
  b.sets.get('node:n1')!.values.set('cpu/usage_rate', 5);
  const c = dec.decode('n1', enc.encode('n1', nodeSets(3)), 0);
  assert.equal(c.sets.get('node:n1')!.values.has('cpu/usage_rate'), false);
});

test('an unknown layout or a wrong length is an error, and the layout is asked again', () => {
  const enc = new FrameEncoder();
  const dec = new FrameDecoder();
  // The decoder missed the frame that carried the layout (e.g. a late answer it dropped).
  enc.encode('n1', nodeSets(1));
  const numbersOnly = enc.encode('n1', nodeSets(2));
  assert.throws(() => dec.decode('n1', numbersOnly, 0), FrameError);
  enc.forget('n1');
  const again = enc.encode('n1', nodeSets(3));
  assert.ok(again.layout !== undefined);
  assertSame(dec.decode('n1', again, 0), nodeSets(3));
  const short = { layoutId: again.layoutId, nums: again.nums.subarray(1) };
  assert.throws(() => dec.decode('n1', short, 0), /numbers for a layout of/);
  // The decoder dropped the layout with the bad frame: numbers alone cannot be decoded.
  const after = enc.encode('n1', nodeSets(4));
  assert.equal(after.layout, undefined);
  assert.throws(() => dec.decode('n1', after, 0), FrameError);
});

test('names and labels with any characters cross exactly; a broken layout text is an error', () => {
  const enc = new FrameEncoder();
  const dec = new FrameDecoder();
  const b = emptyBatch(0);
  const odd = ['', '12:3.', '.', ':', 'ünïcødé ✓', 'a'.repeat(300), '0:.'];
  const set = newMetricSet(
    'pod',
    { pod_name: odd[1], [odd[2]]: odd[4], '': '' },
    { scrapeTimeMs: 1 },
  );
  for (const name of odd) set.values.set(`m/${name}`, name.length);
  for (const name of odd) set.labeled.push({ name, labels: { [name]: name }, value: 1 });
  b.sets.set(odd[3], set);
  b.sets.set(odd[5], newMetricSet('node', {}, { scrapeTimeMs: 2 }));
  const first = enc.encode('n', b);
  assertSame(dec.decode('n', first, 0), b);
  const again = enc.encode('n', b);
  assert.equal(again.layout, undefined, 'the same odd layout is recognised');
  assertSame(dec.decode('n', again, 0), b);
  const cut = { layoutId: 99, layout: first.layout!.slice(0, -9), nums: first.nums };
  assert.throws(() => dec.decode('n', cut, 0), FrameError);
  const extra = { layoutId: 100, layout: `${first.layout!}x`, nums: first.nums };
  assert.throws(() => dec.decode('n', extra, 0), /goes on after its end/);
});

test('a layout is sent again when only a label value or a labeled value changes', () => {
  const enc = new FrameEncoder();
  enc.encode('n1', nodeSets(1));
  const relabeled = nodeSets(2);
  relabeled.sets.get('node:n1')!.labels.hostname = 'h2';
  assert.ok(enc.encode('n1', relabeled).layout !== undefined);
  const moved = nodeSets(3);
  moved.sets.get('node:n1')!.labeled[0] = {
    name: 'filesystem/usage',
    labels: { resource_id: '/dev/sdb1' },
    value: 7,
  };
  assert.ok(enc.encode('n1', moved).layout !== undefined);
  assert.equal(enc.encode('n1', nodeSets(4)).layout !== undefined, true, 'and back');
  assert.equal(enc.encode('n1', nodeSets(5)).layout, undefined);
});
