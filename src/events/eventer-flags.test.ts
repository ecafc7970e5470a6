import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../config/types.js';
import { parseEventerFlags } from './eventer-flags.js';

const SRC = '--source=kubernetes:http://127.0.0.1:8080?inClusterConfig=false';

test('eventer flags: the original defaults', () => {
  const c = parseEventerFlags([SRC]);
  assert.equal(c.source.key, 'kubernetes');
  assert.equal(c.source.url?.host, '127.0.0.1:8080');
  assert.deepEqual(c.sinks, []);
  assert.equal(c.frequencyMs, 30_000);
  assert.equal(c.healthzIp, '0.0.0.0');
  assert.equal(c.healthzPort, 8084);
  assert.equal(c.help, false);
  assert.equal(c.version, false);
});

test('eventer flags: both spellings, single-dash Go style, repeated sinks, ignored flags', () => {
  const c = parseEventerFlags([
    SRC,
    '--sink=log',
    '--sink',
    'influxdb:http://influx:8086?withfields=true',
    '--frequency=1s',
    '--healthz_port=9000',
    '--healthz-ip',
    '127.0.0.1',
    '--max_procs=4',
    '-v=2',
    '--logtostderr',
  ]);
  assert.deepEqual(
    c.sinks.map((s) => s.key),
    ['log', 'influxdb'],
  );
  assert.equal(c.sinks[1].options.get('withfields')?.[0], 'true');
  assert.equal(c.frequencyMs, 1000);
  assert.equal(c.healthzPort, 9000);
  assert.equal(c.healthzIp, '127.0.0.1');
  assert.equal(parseEventerFlags(['-source=kubernetes', '-frequency=2m']).frequencyMs, 120_000);
  assert.equal(parseEventerFlags(['--version']).version, true);
  assert.equal(parseEventerFlags(['-h']).help, true);
});

test('eventer flags: every mistake is a ConfigError naming the flag as written', () => {
  const bad: [string[], RegExp][] = [
    [[], /--source is required/],
    [[SRC, SRC], /--source is given 2 times/],
    [[SRC, '--sinks=log'], /unknown flag --sinks/],
    [[SRC, '--frequency=fast'], /--frequency: "fast" is not a duration/],
    [[SRC, '--frequency=500ms'], /--frequency: 500ms is outside 1s\.\.3m0s/],
    [[SRC, '--frequency=5m'], /--frequency: 5m is outside/],
    [[SRC, '--healthz_port=http'], /--healthz_port: "http" is not a port/],
    [[SRC, '--healthz-port=70000'], /--healthz-port: "70000" is not a port/],
    [[SRC, '--max_procs=all'], /--max_procs: "all" is not an integer/],
    [[SRC, '--frequency'], /--frequency: missing value/],
    [[SRC, '--sink', '--frequency=1s'], /--sink: missing value before "--frequency=1s"/],
    [[SRC, '--version=maybe'], /--version: "maybe" is not true or false/],
    [[SRC, 'log'], /unexpected argument "log"/],
    [['--source=:x'], /--source=:x: missing key/],
  ];
  for (const [argv, re] of bad) {
    assert.throws(
      () => parseEventerFlags(argv),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      `${argv.join(' ')} should fail with ${re}`,
    );
  }
});
