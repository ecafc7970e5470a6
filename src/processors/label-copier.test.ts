import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabelCopier } from './label-copier.js';

test('joined labels are sorted k:v pairs without ignored keys; stored labels are copied', () => {
  const c = new LabelCopier({
    separator: ';',
    ignore: ['hash'],
    store: ['app', 'tier_label=tier', 'missing'],
  });
  const from = { tier: 'front', hash: 'abc', app: 'web' };
  assert.equal(c.join(from), 'app:web;tier:front');
  const into: Record<string, string> = { type: 'pod' };
  c.copy(from, into);
  assert.deepEqual(Object.entries(into), [
    ['type', 'pod'],
    ['labels', 'app:web;tier:front'],
    ['app', 'web'],
    ['tier_label', 'front'],
  ]);
  assert.deepEqual(c.entries(from), [
    'labels',
    'app:web;tier:front',
    'app',
    'web',
    'tier_label',
    'front',
  ]);
  assert.equal(c.entries(from), c.entries(from), 'cached per labels object');
});

test('defaults: comma separator, nothing ignored or stored; empty labels give an empty text', () => {
  const c = new LabelCopier();
  assert.equal(c.join({ b: '2', a: '1' }), 'a:1,b:2');
  const into: Record<string, string> = {};
  c.copy({}, into);
  assert.deepEqual(into, { labels: '' });
});
