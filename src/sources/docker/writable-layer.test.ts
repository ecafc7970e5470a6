import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WritableLayerUsage } from './writable-layer.js';

/** `du -B1 --apparent-size=no` by hand: blocks × 512 of every entry, the root included. */
function du(dir: string): number {
  let total = lstatSync(dir).blocks * 512;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? du(p) : lstatSync(p).blocks * 512;
  }
  return total;
}

function tree(root: string, dirs: number, filesPerDir: number): void {
  for (let i = 0; i < dirs; i++) {
    const d = path.join(root, `d${i}`, 'sub');
    mkdirSync(d, { recursive: true });
    for (let j = 0; j < filesPerDir; j++) writeFileSync(path.join(d, `f${j}`), 'x'.repeat(5000));
  }
  symlinkSync('/etc', path.join(root, 'link-not-followed'));
}

test('sizes match du; a zero budget spreads a round over many ticks; vanished containers drop out', (t) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'layer-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const a = path.join(tmp, 'a');
  const b = path.join(tmp, 'b');
  mkdirSync(a);
  mkdirSync(b);
  tree(a, 5, 20);
  tree(b, 2, 3);
  let now = 1000;
  const layers = new WritableLayerUsage({ intervalMs: 60_000, budgetMs: 0, nowMs: () => now });
  const refs = [
    { id: 'a', upperDir: a },
    { id: 'b', upperDir: b },
    { id: 'c' }, // no writable layer known: never measured
  ];
  let ticks = 0;
  while (layers.get('a') === undefined || layers.get('b') === undefined) {
    layers.tick(() => refs);
    assert.ok(++ticks < 1000, 'the round finishes');
  }
  assert.ok(ticks > 5, `a zero budget walks one directory per tick (${ticks} ticks)`);
  assert.equal(layers.get('a'), du(a));
  assert.equal(layers.get('b'), du(b));
  assert.equal(layers.get('c'), undefined);
  const round = layers.lastRound()!;
  assert.equal(round.containers, 2);
  assert.equal(round.slices, ticks);

  // Not due again before the interval: a tick does nothing.
  writeFileSync(path.join(a, 'big'), Buffer.alloc(1 << 20, 1));
  layers.tick(() => refs);
  assert.equal(layers.get('a'), du(a) - lstatSync(path.join(a, 'big')).blocks * 512);

  now += 60_000;
  const stats = layers.refreshAll([{ id: 'a', upperDir: a }]);
  assert.equal(layers.get('a'), du(a));
  assert.equal(layers.get('b'), undefined, 'b is gone with its container');
  assert.equal(stats.slices, 1);
  assert.ok(stats.entries > 100);
});
