import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, type ParsedUri } from './types.js';
import {
  checkOptions,
  expandEnv,
  optionBool,
  optionDurationMs,
  optionInt,
  optionString,
  parseUri,
} from './uri.js';

const opts = (uri: ParsedUri): Record<string, readonly string[]> => Object.fromEntries(uri.options);

describe('parseUri', () => {
  it('takes a bare key with no URL and no options', () => {
    const uri = parseUri('--source', 'kubernetes', {});
    assert.equal(uri.raw, 'kubernetes');
    assert.equal(uri.key, 'kubernetes');
    assert.equal(uri.url, undefined);
    assert.equal(uri.options.size, 0);
  });

  it('splits on the first colon and parses the rest as a URL with options', () => {
    const uri = parseUri(
      '--source',
      'kubernetes:https://kubernetes.default?kubeletHttps=true&kubeletPort=10250',
      {},
    );
    assert.equal(uri.key, 'kubernetes');
    assert.equal(uri.url?.protocol, 'https:');
    assert.equal(uri.url?.host, 'kubernetes.default');
    assert.deepEqual(opts(uri), { kubeletHttps: ['true'], kubeletPort: ['10250'] });
  });

  it('keeps host and port of an influxdb URL', () => {
    const uri = parseUri('--sink', 'influxdb:http://monitoring-influxdb:8086?db=k8s&pw=x', {});
    assert.equal(uri.key, 'influxdb');
    assert.equal(uri.url?.host, 'monitoring-influxdb:8086');
    assert.equal(uri.url?.hostname, 'monitoring-influxdb');
    assert.equal(uri.url?.port, '8086');
    assert.deepEqual(opts(uri), { db: ['k8s'], pw: ['x'] });
  });

  it('treats an empty rest and a literal \'\' or "" as no URL', () => {
    for (const value of ['kubernetes.summary_api:', "kubernetes.summary_api:''", 'x:""']) {
      const uri = parseUri('--source', value, {});
      assert.equal(uri.url, undefined, value);
      assert.equal(uri.options.size, 0, value);
    }
    const uri = parseUri('--source', "kubernetes.summary_api:''?useServiceAccount=true", {});
    assert.equal(uri.key, 'kubernetes.summary_api');
    assert.equal(uri.url, undefined);
    assert.deepEqual(opts(uri), { useServiceAccount: ['true'] });
  });

  it('takes options after a bare key with or without a colon', () => {
    for (const value of ['gcm?metrics=all', 'gcm:?metrics=all']) {
      const uri = parseUri('--sink', value, {});
      assert.equal(uri.key, 'gcm', value);
      assert.equal(uri.url, undefined, value);
      assert.deepEqual(opts(uri), { metrics: ['all'] }, value);
    }
  });

  it('keeps every value of a repeated option in order', () => {
    const uri = parseUri('--sink', 'kafka:?brokers=h1:9092&brokers=h2:9092&timeseriestopic=t', {});
    assert.equal(uri.url, undefined);
    assert.deepEqual(uri.options.get('brokers'), ['h1:9092', 'h2:9092']);
    assert.equal(optionString(uri, 'brokers', ''), 'h1:9092');
  });

  it('decodes query values like Go (percent and plus)', () => {
    const uri = parseUri('--sink', 'x:?a=b%20c&d=e+f&flag', {});
    assert.deepEqual(opts(uri), { a: ['b c'], d: ['e f'], flag: [''] });
  });

  it('parses a scheme-only URL like wavefront host:port', () => {
    const uri = parseUri('--sink', 'wavefront:proxyhost:2878?clusterName=c', {});
    assert.equal(uri.key, 'wavefront');
    assert.equal(uri.url?.protocol, 'proxyhost:');
    assert.equal(uri.url?.pathname, '2878');
    assert.deepEqual(opts(uri), { clusterName: ['c'] });
  });

  it('expands $VAR and ${VAR} in the rest, unknown ones to empty', () => {
    const env = { HOST: 'influx', PORT: '8086', DB: 'k8s' };
    const uri = parseUri('--sink', 'influxdb:http://$HOST:${PORT}?db=${DB}&user=$NOPE', env);
    assert.equal(uri.url?.host, 'influx:8086');
    assert.deepEqual(opts(uri), { db: ['k8s'], user: [''] });
    assert.equal(uri.raw, 'influxdb:http://$HOST:${PORT}?db=${DB}&user=$NOPE');
  });

  it('does not expand the key', () => {
    assert.equal(parseUri('--sink', '$K:?a=1', { K: 'log' }).key, '$K');
  });

  it('uses process.env by default', () => {
    process.env.HEAPSTER_URI_TEST_HOST = 'from-env';
    try {
      assert.deepEqual(parseUri('--sink', 'x:?h=$HEAPSTER_URI_TEST_HOST', {}).options.get('h'), [
        '',
      ]);
      assert.equal(parseUri('--sink', 'x:http://$HEAPSTER_URI_TEST_HOST').url?.host, 'from-env');
    } finally {
      delete process.env.HEAPSTER_URI_TEST_HOST;
    }
  });

  it('rejects a rest that is not a URL, naming flag, value and rest', () => {
    assert.throws(
      () => parseUri('--sink', 'influxdb:http//x', {}),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === '--sink=influxdb:http//x: cannot parse "http//x" as a URL',
    );
    assert.throws(
      () => parseUri('--source', 'kubernetes:10.0.0.1:8080', {}),
      /^ConfigError: --source=kubernetes:10\.0\.0\.1:8080: cannot parse "10\.0\.0\.1:8080" as a URL$/,
    );
  });

  it('names the expanded text when expansion made it invalid', () => {
    assert.throws(
      () => parseUri('--sink', 'influxdb:$U', { U: 'not a url' }),
      /--sink=influxdb:\$U: cannot parse "not a url" as a URL/,
    );
  });

  it('rejects a missing key', () => {
    for (const value of ['', ':http://x', '?a=b']) {
      assert.throws(
        () => parseUri('--sink', value, {}),
        (err: unknown) =>
          err instanceof ConfigError && err.message.startsWith(`--sink=${value}: missing key`),
        value,
      );
    }
  });
});

describe('expandEnv', () => {
  const env = { A: 'x', AB: 'y', '1': 'one' };
  const cases: [string, string][] = [
    ['$A', 'x'],
    ['$AB', 'y'],
    ['${A}B', 'xB'],
    ['$A-b', 'x-b'],
    ['a$', 'a$'],
    ['$ a', '$ a'],
    ['$/x', '$/x'],
    ['${}z', 'z'],
    ['${A', 'A'],
    ['$1x', 'onex'],
    ['$$', ''],
    ['no vars', 'no vars'],
  ];
  for (const [text, out] of cases) {
    it(`expands ${JSON.stringify(text)} like os.ExpandEnv`, () =>
      assert.equal(expandEnv(text, env), out));
  }
});

describe('option helpers', () => {
  const uri = parseUri(
    '--sink',
    'influxdb:http://h:8086?secure=true&insecuressl=0&concurrency=4&retention=1h&user=u&bad=yes&n=x&d=5',
    {},
  );

  it('optionString returns the first value or the default', () => {
    assert.equal(optionString(uri, 'user', 'root'), 'u');
    assert.equal(optionString(uri, 'pw', 'root'), 'root');
  });

  it('optionBool accepts true/false/1/0 and uses the default when absent', () => {
    assert.equal(optionBool(uri, 'secure', false), true);
    assert.equal(optionBool(uri, 'insecuressl', true), false);
    assert.equal(optionBool(uri, 'withfields', false), false);
    assert.equal(optionBool(uri, 'withfields', true), true);
    const words = parseUri('--sink', 'x:?a=1&b=false&c=TRUE&d=F', {});
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((n) => optionBool(words, n, false)),
      [true, false, true, false],
    );
  });

  it('optionBool rejects other words, naming flag, value and option', () => {
    assert.throws(
      () => optionBool(uri, 'bad', false),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.startsWith(`--sink=${uri.raw}: option "bad": "yes" is not a boolean`),
    );
    const empty = parseUri('--sink', 'x:?secure=', {});
    assert.throws(() => optionBool(empty, 'secure', false), /option "secure": "" is not a boolean/);
  });

  it('optionInt parses integers and checks inclusive bounds', () => {
    assert.equal(optionInt(uri, 'concurrency', 1, { min: 1 }), 4);
    assert.equal(optionInt(uri, 'concurrency', 1, { min: 4, max: 4 }), 4);
    assert.equal(optionInt(uri, 'batchSize', 1000), 1000);
    assert.throws(
      () => optionInt(uri, 'n', 1),
      /^ConfigError: --sink=influxdb:.*: option "n": "x" is not an integer$/,
    );
    assert.throws(
      () => optionInt(uri, 'retention', 1),
      /option "retention": "1h" is not an integer/,
    );
    assert.throws(
      () => optionInt(uri, 'concurrency', 1, { min: 5 }),
      /option "concurrency": 4 is below the minimum 5/,
    );
    assert.throws(
      () => optionInt(uri, 'concurrency', 1, { max: 3 }),
      /option "concurrency": 4 is above the maximum 3/,
    );
  });

  it('optionDurationMs parses Go durations and checks bounds', () => {
    assert.equal(optionDurationMs(uri, 'retention', 0), 3_600_000);
    assert.equal(optionDurationMs(uri, 'timeout', 20_000), 20_000);
    assert.throws(
      () => optionDurationMs(uri, 'd', 0),
      /option "d": "5" is not a duration \(examples: 60s, 1m, 500ms\)/,
    );
    assert.throws(
      () => optionDurationMs(uri, 'retention', 0, { max: 60_000 }),
      /option "retention": 1h is above the maximum 1m0s/,
    );
    assert.throws(
      () => optionDurationMs(uri, 'retention', 0, { min: 7_200_000 }),
      /option "retention": 1h is below the minimum 2h0m0s/,
    );
  });

  it('names only the raw value for a URI not made by parseUri', () => {
    const literal: ParsedUri = {
      raw: 'x:?a=b',
      key: 'x',
      url: undefined,
      options: new Map([['a', ['b']]]),
    };
    assert.throws(() => optionBool(literal, 'a', false), /^ConfigError: x:\?a=b: option "a"/);
  });
});

describe('checkOptions', () => {
  it('passes when every option is known', () => {
    const uri = parseUri('--sink', 'influxdb:http://h?user=a&db=b', {});
    checkOptions(uri, ['user', 'pw', 'db'], '--sink');
    checkOptions(parseUri('--sink', 'log', {}), [], '--sink');
  });

  it('names flag, value, the unknown option and the known ones', () => {
    const uri = parseUri('--sink', 'influxdb:http://h?user=a&foo=1', {});
    assert.throws(
      () => checkOptions(uri, ['user', 'pw', 'db'], '--sink'),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message ===
          '--sink=influxdb:http://h?user=a&foo=1: unknown option "foo" (known: user, pw, db)',
    );
    assert.throws(
      () => checkOptions(parseUri('--sink', 'log?x=1', {}), [], '--sink'),
      /--sink=log\?x=1: unknown option "x" \(known: none\)/,
    );
  });
});
