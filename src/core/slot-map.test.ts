import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlotMap, slotShape } from './slot-map.js';

/** Everything observable of a Map<string, number>, in order. */
function observe(m: Map<string, number>): unknown {
  const each: [string, number][] = [];
  m.forEach((v, k, self) => {
    assert.equal(self, m);
    each.push([k, v]);
  });
  return {
    size: m.size,
    entries: [...m],
    keys: [...m.keys()],
    values: [...m.values()],
    each,
  };
}

test('a SlotMap behaves exactly like a Map under random sets, deletes and clears', () => {
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const names = ['cpu/usage', 'memory/usage', 'uptime', 'network/rx', 'a', 'b', 'c', 'd'];
  for (let run = 0; run < 200; run++) {
    const real = new Map<string, number>();
    const slot = new SlotMap();
    for (let step = 0; step < 40; step++) {
      const name = names[rnd(names.length)];
      const op = rnd(20);
      if (op < 14) {
        const v = op === 0 ? NaN : op === 1 ? -0.5 : rnd(1000);
        assert.equal(slot.set(name, v), slot);
        real.set(name, v);
      } else if (op < 18) {
        assert.equal(slot.get(name), real.get(name));
        assert.equal(slot.has(name), real.has(name));
      } else if (op < 19) {
        assert.equal(slot.delete(name), real.delete(name));
      } else {
        slot.clear();
        real.clear();
      }
      assert.deepEqual(observe(slot), observe(real));
    }
  }
});

test('maps with the same names in the same order read independently', () => {
  const a = new SlotMap().set('x', 1).set('y', 2);
  const b = new SlotMap().set('x', 10).set('y', 20);
  const c = new SlotMap().set('y', 5).set('x', 6);
  assert.deepEqual(
    [...a],
    [
      ['x', 1],
      ['y', 2],
    ],
  );
  assert.deepEqual(
    [...b],
    [
      ['x', 10],
      ['y', 20],
    ],
  );
  assert.deepEqual(
    [...c],
    [
      ['y', 5],
      ['x', 6],
    ],
  );
  b.set('x', 11);
  assert.equal(a.get('x'), 1);
  assert.deepEqual(Object.fromEntries(b), { x: 11, y: 20 });
  assert.deepEqual(
    new Map(c),
    new Map([
      ['y', 5],
      ['x', 6],
    ]),
  );
});

test('entries added during forEach are visited, as in a Map', () => {
  for (const m of [new Map<string, number>(), new SlotMap()]) {
    m.set('a', 1);
    const seen: string[] = [];
    m.forEach((_v, k) => {
      seen.push(k);
      if (k === 'a') m.set('b', 2);
      if (k === 'b') m.delete('a'); // switches a SlotMap to a real Map mid-loop
      if (k === 'b') m.set('c', 3);
    });
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.deepEqual(
      [...m],
      [
        ['b', 2],
        ['c', 3],
      ],
    );
  }
});

test('a map with more names than a shape holds keeps all of them, in order', () => {
  const m = new SlotMap();
  const names = Array.from({ length: 600 }, (_, i) => `custom/m${i}`);
  names.forEach((n, i) => m.set(n, i));
  assert.equal(m.size, 600);
  assert.deepEqual([...m.keys()], names);
  assert.equal(m.get('custom/m599'), 599);
  assert.equal(m.get('custom/m600'), undefined);
  assert.equal(Object.prototype.toString.call(m), '[object Map]');
});

test('maps built over a shape taken once behave as maps built name by name', () => {
  const shape = slotShape(['a', 'b'])!;
  const m = SlotMap.withShape(shape, [1, NaN]);
  const byName = new SlotMap().set('a', 1).set('b', NaN);
  assert.deepEqual(observe(m), observe(byName));
  m.set('c', 3);
  assert.deepEqual(
    observe(SlotMap.withShape(shape, [4, 5])),
    observe(
      new Map([
        ['a', 4],
        ['b', 5],
      ]),
    ),
  );
  assert.throws(() => SlotMap.withShape(shape, [1]), RangeError);
  assert.equal(slotShape(['a', 'a']), undefined, 'a repeated name has no shape');
  assert.equal(slotShape(Array.from({ length: 200 }, (_, i) => `m${i}`)), undefined);
});
