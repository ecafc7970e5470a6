import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TopUsageError, parseTopArgs } from './top-flags.js';

test('parseTopArgs: defaults and every flag', () => {
  const d = parseTopArgs(['nodes']);
  assert.notEqual(d, 'help');
  if (d === 'help') return;
  assert.deepEqual(
    { ...d, selector: undefined },
    {
      kind: 'nodes',
      names: [],
      server: 'http://localhost:8082',
      namespace: 'default',
      allNamespaces: false,
      selector: undefined,
      selectorText: '',
      sortBy: undefined,
      noHeaders: false,
      watch: false,
      intervalMs: 2000,
      timeoutMs: 10_000,
      system: false,
    },
  );
  const all = parseTopArgs([
    'po',
    'web-1',
    '-s',
    'http://127.0.0.1:9/',
    '-n',
    'kube-system',
    '-A',
    '-l',
    'app=web',
    '--sort-by=memory',
    '--no-headers',
    '-w',
    '--interval=500ms',
    '--timeout',
    '3s',
  ]);
  assert.ok(all !== 'help');
  assert.equal(all.kind, 'pods');
  assert.deepEqual(all.names, ['web-1']);
  assert.equal(all.server, 'http://127.0.0.1:9');
  assert.equal(all.namespace, 'kube-system');
  assert.equal(all.allNamespaces, true);
  assert.deepEqual(all.selector, [{ key: 'app', op: '=', value: 'web' }]);
  assert.equal(all.sortBy, 'memory');
  assert.equal(all.noHeaders, true);
  assert.equal(all.watch, true);
  assert.equal(all.intervalMs, 500);
  assert.equal(all.timeoutMs, 3000);
  for (const [alias, kind] of [
    ['no', 'nodes'],
    ['ns', 'namespaces'],
    ['container', 'containers'],
  ]) {
    const o = parseTopArgs([alias]);
    assert.equal(o !== 'help' && o.kind, kind, alias);
  }
  assert.equal(parseTopArgs(['--help']), 'help');
  assert.equal(parseTopArgs(['nodes', '-h']), 'help');
});

test('parseTopArgs: bad flags throw TopUsageError naming the flag', () => {
  const bad: [string[], RegExp][] = [
    [[], /missing resource/],
    [['deployments'], /unknown resource "deployments"/],
    [['nodes', '--frob'], /unknown flag: --frob/],
    [['nodes', '-x'], /unknown flag: -x/],
    [['nodes', '--sort-by=name'], /--sort-by: want cpu or memory, got "name"/],
    [['nodes', '--interval=2'], /--interval: invalid duration "2": missing unit/],
    [['nodes', '--interval=0s'], /--interval: must be positive/],
    [['nodes', '--timeout=soon'], /--timeout: invalid duration/],
    [['nodes', '--server=localhost:8082'], /--server: want an http or https URL/],
    [['nodes', '--server=::'], /--server: not a URL/],
    [['nodes', '-l', 'app=web'], /--selector: only pods and containers/],
    [['pods', '-l', 'app in web'], /--selector: cannot parse requirement "app in web"/],
    [['pods', '--system'], /--system: only for containers/],
    [['pods', '--namespace'], /flag --namespace needs a value/],
    [['pods', '--watch=yes'], /flag --watch takes no value/],
  ];
  for (const [argv, re] of bad) {
    assert.throws(
      () => parseTopArgs(argv),
      (e: unknown) => e instanceof TopUsageError && re.test(e.message),
      argv.join(' '),
    );
  }
});
