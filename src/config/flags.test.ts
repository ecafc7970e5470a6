import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { defaultDataDir, helpText, parseFlags, VERSION } from './flags.js';
import { ConfigError, type Config } from './types.js';

const parse = (...argv: string[]): Config => parseFlags(argv, {});

/** Asserts parseFlags(argv) throws a ConfigError whose message matches. */
function rejects(argv: string[], message: RegExp | string): void {
  assert.throws(
    () => parseFlags(argv, {}),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
    argv.join(' '),
  );
}

describe('parseFlags defaults', () => {
  it('gives every default with no flags', () => {
    const c = parse();
    assert.equal(c.sources.length, 1);
    assert.equal(c.sources[0].key, 'local');
    assert.equal(c.sources[0].url, undefined);
    assert.deepEqual(c.sinks, []);
    assert.equal(c.metricResolutionMs, 60_000);
    assert.equal(c.heapsterPort, 8082);
    assert.equal(c.listenIp, '');
    assert.equal(c.maxProcs, 0);
    assert.equal(c.tlsCert, '');
    assert.equal(c.tlsKey, '');
    assert.equal(c.tlsClientCa, '');
    assert.deepEqual(c.allowedUsers, []);
    assert.equal(c.historicalSource, '');
    assert.equal(c.apiServer, false);
    assert.equal(c.labelSeparator, ',');
    assert.deepEqual(c.ignoreLabels, []);
    assert.deepEqual(c.storeLabels, []);
    assert.equal(c.disableExport, false);
    assert.equal(c.sinkExportDataTimeoutMs, 20_000);
    assert.equal(c.disableMetricSink, false);
    assert.equal(c.storeRetentionMs, 24 * 3_600_000);
    assert.equal(c.scrapeOffsetMs, 5_000);
    assert.equal(c.scrapeTimeoutMs, 20_000);
    assert.equal(c.nodeName, hostname());
    assert.equal(c.version, false);
    assert.equal(c.help, false);
  });

  it('derives scrape offset and timeout from a 1s resolution', () => {
    const c = parse('--metric-resolution=1s');
    assert.equal(c.metricResolutionMs, 1000);
    assert.equal(c.scrapeOffsetMs, 250);
    assert.equal(c.scrapeTimeoutMs, 1000);
    assert.equal(c.storeRetentionMs, 24 * 3_600_000);
  });

  it('derives scrape offset and timeout from a 60s resolution', () => {
    const c = parse('--metric-resolution=60s');
    assert.equal(c.scrapeOffsetMs, 5000);
    assert.equal(c.scrapeTimeoutMs, 20_000);
  });

  it('derives them in between (10s: offset 2.5s, timeout 10s)', () => {
    const c = parse('--metric-resolution=10s');
    assert.equal(c.scrapeOffsetMs, 2500);
    assert.equal(c.scrapeTimeoutMs, 10_000);
  });

  it('grows the default retention to 2 x resolution', () => {
    assert.equal(parse('--metric-resolution=10m').storeRetentionMs, 24 * 3_600_000);
    assert.equal(parse('--metric-resolution=24h').storeRetentionMs, 48 * 3_600_000);
  });
});

describe('parseFlags syntax', () => {
  it('treats _ and - in flag names alike, in both value forms', () => {
    const forms = [
      ['--metric_resolution=5s'],
      ['--metric-resolution=5s'],
      ['--metric_resolution', '5s'],
      ['--metric-resolution', '5s'],
    ];
    for (const argv of forms) assert.equal(parse(...argv).metricResolutionMs, 5000, argv.join(' '));
    const c = parse(
      '--sink_export_data_timeout=3s',
      '--disable_metric_sink',
      '--listen_ip=127.0.0.1',
      '--label_separator',
      ';',
    );
    assert.equal(c.sinkExportDataTimeoutMs, 3000);
    assert.equal(c.disableMetricSink, true);
    assert.equal(c.listenIp, '127.0.0.1');
    assert.equal(c.labelSeparator, ';');
  });

  it('does not touch underscores in values', () => {
    const c = parse('--source=kubernetes.summary_api:http://a_b', '--node-name=my_node');
    assert.equal(c.sources[0].key, 'kubernetes.summary_api');
    assert.equal(c.nodeName, 'my_node');
  });

  it('takes booleans as --flag and --flag=true|false, last one wins', () => {
    assert.equal(parse('--api-server').apiServer, true);
    assert.equal(parse('--api-server=true').apiServer, true);
    assert.equal(parse('--api_server=false').apiServer, false);
    assert.equal(parse('--api-server=1').apiServer, true);
    assert.equal(parse('--api-server', '--api-server=false').apiServer, false);
    assert.equal(parse('--api-server=false', '--api-server').apiServer, true);
    const c = parse('--disable-export', '--version', '--help');
    assert.equal(c.disableExport, true);
    assert.equal(c.version, true);
    assert.equal(c.help, true);
    assert.equal(parse('-h').help, true);
  });

  it('repeats --source and --sink in order, parsing each URI', () => {
    const c = parse(
      '--source=local',
      '--source',
      "kubernetes.summary_api:''",
      '--sink=log',
      '--sink',
      'influxdb:http://localhost:8086?db=k8s',
    );
    assert.deepEqual(
      c.sources.map((s) => s.key),
      ['local', 'kubernetes.summary_api'],
    );
    assert.equal(c.sources[1].url, undefined);
    assert.deepEqual(
      c.sinks.map((s) => s.raw),
      ['log', 'influxdb:http://localhost:8086?db=k8s'],
    );
    assert.equal(c.sinks[1].url?.host, 'localhost:8086');
    assert.deepEqual(c.sinks[1].options.get('db'), ['k8s']);
  });

  it('expands environment variables in sink URIs from the given env', () => {
    const c = parseFlags(['--sink=influxdb:http://${INFLUX_HOST}:8086?db=$DB'], {
      INFLUX_HOST: 'influx',
      DB: 'metrics',
    });
    assert.equal(c.sinks[0].url?.host, 'influx:8086');
    assert.deepEqual(c.sinks[0].options.get('db'), ['metrics']);
  });

  it('keeps the last value of a scalar flag', () => {
    assert.equal(parse('--listen-ip=a', '--listen-ip=b').listenIp, 'b');
  });

  it('accepts the legacy --port and the later of --port/--heapster-port', () => {
    assert.equal(parse('--port=9000').heapsterPort, 9000);
    assert.equal(parse('--port', '9000', '--heapster-port=9001').heapsterPort, 9001);
    assert.equal(parse('--heapster-port=9001', '--port=9000').heapsterPort, 9000);
    assert.equal(parse('--heapster_port=0').heapsterPort, 0);
  });

  it('splits string slices on commas and appends repeats', () => {
    const c = parse(
      '--ignore-label=a,b',
      '--ignore_label',
      'c',
      '--ignore-label= d ,e',
      '--store-label=app,team=owner',
      '--store_label',
      'tier',
      '--store-label=',
    );
    assert.deepEqual(c.ignoreLabels, ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(c.storeLabels, ['app', 'team=owner', 'tier']);
  });

  it('splits --allowed-users on commas', () => {
    assert.deepEqual(parse('--allowed-users=alice, bob,').allowedUsers, ['alice', 'bob']);
    assert.deepEqual(parse('--allowed_users=carol').allowedUsers, ['carol']);
  });

  it('accepts and ignores glog flags', () => {
    const c = parse(
      '--v=4',
      '-v',
      '2',
      '--logtostderr',
      '--alsologtostderr=false',
      '--log_dir=/tmp',
      '--stderrthreshold=ERROR',
      '--vmodule=x=2',
      '--log_backtrace_at=a.go:1',
    );
    assert.equal(c.metricResolutionMs, 60_000);
  });

  it('accepts --max-procs for compatibility, negative with =', () => {
    assert.equal(parse('--max_procs=4').maxProcs, 4);
    assert.equal(parse('--max-procs=-1').maxProcs, -1);
  });

  it('takes ours: retention, offset, timeout, node name', () => {
    const c = parse(
      '--metric-resolution=10s',
      '--store-retention=1h',
      '--scrape-offset=0',
      '--scrape-timeout=10s',
      '--node-name=n1',
    );
    assert.equal(c.storeRetentionMs, 3_600_000);
    assert.equal(c.scrapeOffsetMs, 0);
    assert.equal(c.scrapeTimeoutMs, 10_000);
    assert.equal(c.nodeName, 'n1');
  });

  it('accepts TLS cert with key, and a client CA with both', () => {
    const c = parse('--tls-cert=c.pem', '--tls-key=k.pem', '--tls-client-ca=ca.pem');
    assert.equal(c.tlsCert, 'c.pem');
    assert.equal(c.tlsKey, 'k.pem');
    assert.equal(c.tlsClientCa, 'ca.pem');
  });

  it('accepts a historical source equal to one sink', () => {
    const sink = 'influxdb:http://h:8086?db=k8s';
    assert.equal(
      parse(`--sink=${sink}`, '--sink=log', `--historical-source=${sink}`).historicalSource,
      sink,
    );
  });
});

describe('parseFlags errors', () => {
  it('rejects unknown flags, naming them as written', () => {
    rejects(['--foo'], 'unknown flag --foo (see heapster --help)');
    rejects(['--foo_bar=1'], 'unknown flag --foo_bar (see heapster --help)');
    rejects(['-x'], 'unknown flag -x (see heapster --help)');
    rejects(['--no-api-server'], 'unknown flag --no-api-server (see heapster --help)');
  });

  it('rejects positional arguments, naming them', () => {
    rejects(['top'], /^unexpected argument "top": heapster takes only flags/);
    rejects(['--sink=log', 'extra'], /unexpected argument "extra"/);
    rejects(['--', 'x'], /unexpected argument "x"/);
  });

  it('rejects a missing value', () => {
    rejects(['--sink'], /^--sink: missing value/);
    rejects(['--sink', '--api-server'], /^--sink: missing value before "--api-server"/);
    rejects(['--max-procs', '-1'], /--max-procs: missing value before "-1" \(write --max-procs=-1/);
  });

  it('rejects a bad boolean value', () => {
    rejects(['--api-server=yes'], '--api-server: "yes" is not a boolean (true or false)');
    rejects(['--disable_export=2'], /^--disable_export: "2" is not a boolean/);
  });

  it('rejects bad durations, naming flag and value', () => {
    rejects(
      ['--metric-resolution=abc'],
      '--metric-resolution: "abc" is not a duration (examples: 60s, 1m, 500ms)',
    );
    rejects(['--metric_resolution=60'], /^--metric_resolution: "60" is not a duration/);
    rejects(['--sink-export-data-timeout=x'], /^--sink-export-data-timeout: "x" is not a duration/);
    rejects(['--store-retention=1d'], /^--store-retention: "1d" is not a duration/);
    rejects(['--scrape-offset=soon'], /^--scrape-offset: "soon" is not a duration/);
    rejects(['--scrape-timeout=5'], /^--scrape-timeout: "5" is not a duration/);
  });

  it('accepts 1s resolution and rejects 999ms', () => {
    assert.equal(parse('--metric-resolution=1s').metricResolutionMs, 1000);
    rejects(['--metric-resolution=999ms'], '--metric-resolution: 999ms is below the minimum 1s');
    rejects(['--metric-resolution=0'], /^--metric-resolution: 0 is below the minimum 1s/);
  });

  it('checks ours against the resolution', () => {
    rejects(
      ['--metric-resolution=60s', '--store-retention=1m'],
      /^--store-retention: 1m is below 2 x --metric-resolution \(2m0s\)/,
    );
    assert.equal(parse('--metric-resolution=30s', '--store-retention=1m').storeRetentionMs, 60_000);
    rejects(
      ['--metric-resolution=1s', '--scrape-offset=1s'],
      /^--scrape-offset: 1s must be at least 0s and below/,
    );
    rejects(['--scrape-offset=-1s'], /^--scrape-offset: -1s must be at least 0s/);
    rejects(
      ['--metric-resolution=5s', '--scrape-timeout=6s'],
      /^--scrape-timeout: 6s must be above 0s and at most --metric-resolution \(5s\)/,
    );
    rejects(['--scrape-timeout=0s'], /^--scrape-timeout: 0s must be above 0s/);
    rejects(['--sink-export-data-timeout=-1s'], '--sink-export-data-timeout: -1s is negative');
  });

  it('rejects bad integers, naming flag and value', () => {
    rejects(['--heapster-port=http'], '--heapster-port: "http" is not an integer');
    rejects(['--port=70000'], '--port: 70000 is out of range (0..65535)');
    rejects(['--heapster-port=-1'], '--heapster-port: -1 is out of range (0..65535)');
    rejects(['--max-procs=1.5'], '--max-procs: "1.5" is not an integer');
  });

  it('pairs TLS flags', () => {
    rejects(['--tls-cert=c.pem'], '--tls-cert needs --tls-key');
    rejects(['--tls_key=k.pem'], '--tls-key needs --tls-cert');
    rejects(['--tls-client-ca=ca.pem'], /^--tls-client-ca needs --tls-cert/);
  });

  it('requires --historical-source to repeat a --sink exactly', () => {
    rejects(
      ['--historical-source=influxdb:http://h:8086'],
      /^--historical-source: "influxdb:http:\/\/h:8086" must repeat one --sink value exactly \(no --sink was given\)/,
    );
    rejects(
      ['--sink=influxdb:http://h:8086?db=k8s', '--historical-source=influxdb:http://h:8086'],
      /must repeat one --sink value exactly \(given: "influxdb:http:\/\/h:8086\?db=k8s"\)/,
    );
  });

  it('validates store labels', () => {
    for (const bad of ['=app', 'new=', 'a=b=c', 'a,,b', 'a, ,b']) {
      rejects([`--store-label=${bad}`], /^--store-label: ".*" is not "name" or "newName=name"/);
    }
    rejects(['--store_label=x=y=z'], /^--store_label: "x=y=z" is not "name" or "newName=name"/);
  });

  it('rejects an empty node name', () => {
    rejects(['--node-name='], '--node-name: must not be empty');
  });

  it('reports URI errors with the flag', () => {
    rejects(
      ['--sink=influxdb:http//x'],
      '--sink=influxdb:http//x: cannot parse "http//x" as a URL',
    );
    rejects(['--source=:x'], /^--source=:x: missing key/);
  });
});

describe('helpText and VERSION', () => {
  it('VERSION is the package.json version', () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    assert.equal(VERSION, pkg.version);
  });

  it('lists usage, every flag with defaults, and URI examples', () => {
    const text = helpText();
    assert.match(text, /heapster \[flags\]/);
    for (const flag of [
      'source',
      'sink',
      'metric-resolution',
      'heapster-port',
      'listen-ip',
      'max-procs',
      'tls-cert',
      'tls-key',
      'tls-client-ca',
      'allowed-users',
      'historical-source',
      'api-server',
      'label-separator',
      'ignore-label',
      'store-label',
      'disable-export',
      'sink-export-data-timeout',
      'disable-metric-sink',
      'version',
      'help',
      'store-retention',
      'scrape-offset',
      'scrape-timeout',
      'node-name',
      'v',
      'logtostderr',
      'alsologtostderr',
      'log-dir',
      'stderrthreshold',
      'vmodule',
      'log-backtrace-at',
    ]) {
      assert.match(text, new RegExp(`--${flag}\\b`), flag);
    }
    assert.match(text, /--metric-resolution=DURATION {2}\(default 1m0s\)/);
    assert.match(text, /--heapster-port=PORT {2}\(default 8082\)/);
    assert.match(text, /--sink-export-data-timeout=DURATION {2}\(default 20s\)/);
    assert.match(text, /--store-retention=DURATION {2}\(default 24h\)/);
    assert.match(text, /--port/);
    assert.match(text, /key\[:url\]\[\?opts\]/);
    assert.match(text, /--source=local/);
    assert.match(text, /--source=kubernetes\.summary_api:''/);
    assert.match(text, /--sink=log/);
    assert.match(text, /--sink=influxdb:http:\/\/localhost:8086\?db=k8s/);
    assert.match(text, /\$VAR/);
    assert.match(text, /ignored/);
  });
});

describe('store flags', () => {
  it('--data-dir: default per user, empty for memory only', () => {
    assert.equal(defaultDataDir({ XDG_STATE_HOME: '/x/state', HOME: '/h' }).length > 0, true);
    if (process.getuid?.() !== 0) {
      assert.equal(defaultDataDir({ XDG_STATE_HOME: '/x/state' }), '/x/state/heapster');
      assert.equal(defaultDataDir({ HOME: '/h' }), '/h/.local/state/heapster');
    } else {
      assert.equal(defaultDataDir({}), '/var/lib/heapster');
    }
    assert.equal(parse('--data_dir=').dataDir, '');
    assert.equal(parse("--data_dir=''").dataDir, '');
    assert.equal(parse('--data-dir=/tmp/h').dataDir, '/tmp/h');
  });

  it('--retention-raw and --retention accept days and keep retention >= raw', () => {
    const c = parse('--retention_raw=2d', '--retention=30d');
    assert.equal(c.storeRetentionMs, 2 * 86_400_000);
    assert.equal(c.retentionMs, 30 * 86_400_000);
    assert.equal(parse('--retention_raw=48h', '--retention=1h').retentionMs, 48 * 3_600_000);
    assert.equal(parse().retentionMs, 30 * 86_400_000);
    rejects(['--retention=soon'], /^--retention: "soon" is not a duration/);
    rejects(['--metric-resolution=60s', '--retention-raw=1m'], /below 2 x --metric-resolution/);
  });
});
