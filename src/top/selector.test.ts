import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesSelector, parseLabelsLabel, parseSelector } from './selector.js';

test('parseLabelsLabel reads Heapster k:v pairs', () => {
  assert.deepEqual(parseLabelsLabel('app:web,tier:front'), { app: 'web', tier: 'front' });
  assert.deepEqual(parseLabelsLabel('url:http://x,flag'), { url: 'http://x', flag: '' });
  assert.deepEqual(parseLabelsLabel('a:1;b:2', ';'), { a: '1', b: '2' });
  assert.deepEqual(parseLabelsLabel(''), {});
  assert.deepEqual(parseLabelsLabel(undefined), {});
});

test('selectors select as Kubernetes does', () => {
  const web = { app: 'web', tier: 'front', 'app.kubernetes.io/name': 'shop' };
  const db = { app: 'db' };
  const cases: [string, boolean, boolean][] = [
    ['', true, true],
    ['app=web', true, false],
    ['app==web', true, false],
    ['app!=web', false, true],
    ['tier!=back', true, true], // a missing key satisfies !=
    ['app=web,tier=front', true, false],
    ['app=web,tier=back', false, false],
    ['tier', true, false],
    ['!tier', false, true],
    ['app in (web,db)', true, true],
    ['app in (db)', false, true],
    ['app notin (web), !tier', false, true],
    ['app.kubernetes.io/name=shop', true, false],
    [' app = web ', true, false],
  ];
  for (const [sel, wantWeb, wantDb] of cases) {
    const parsed = parseSelector(sel);
    assert.equal(matchesSelector(parsed, web), wantWeb, `${sel} on web`);
    assert.equal(matchesSelector(parsed, db), wantDb, `${sel} on db`);
  }
});

test('bad selectors are errors naming the requirement', () => {
  const bad: [string, RegExp][] = [
    ['app=web=x', /app=web=x/],
    ['app in web', /app in web/],
    ['=web', /=web/],
    ['app=we b', /we b/],
    ['-app=x', /invalid label key "-app"/],
  ];
  for (const [sel, re] of bad) assert.throws(() => parseSelector(sel), re, sel);
});
