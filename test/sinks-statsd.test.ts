// The statsd sink over real UDP to a socket on 127.0.0.1: the exact datagrams and lines of
// the original's etsystatsd and influxstatsd formats.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { ConfigError } from '../src/config/types.js';
import { parseUri } from '../src/config/uri.js';
import { emptyBatch, newMetricSet } from '../src/core/batch.js';
import { nodeKey, podContainerKey } from '../src/core/keys.js';
import { createSink } from '../src/sinks/registry.js';

const T = Date.UTC(2018, 5, 1, 10, 1, 0);
const ctx = { nodeName: 'n', resolutionMs: 1000, logger: pino({ level: 'silent' }) };

function batch() {
  const b = emptyBatch(T);
  const node = newMetricSet(
    'node',
    { nodename: 'n1', hostname: 'n1.example' },
    { scrapeTimeMs: T },
  );
  node.values.set('cpu/usage_rate', 250);
  node.values.set('network/rx_rate', 12.5);
  node.labeled.push({ name: 'filesystem/usage', labels: { resource_id: '/dev/sda1' }, value: 7 });
  b.sets.set(nodeKey('n1'), node);
  const c = newMetricSet(
    'pod_container',
    {
      hostname: 'n1.example',
      namespace_name: 'kube-system',
      pod_name: 'dns-1',
      container_name: 'dns',
      pod_id: 'uid-1',
      labels: 'app:dns,tier:infra',
    },
    { scrapeTimeMs: T },
  );
  c.values.set('memory/usage', 1024);
  b.sets.set(podContainerKey('kube-system', 'dns-1', 'dns'), c);
  return b;
}

/** Sends batch() through the sink at `sinkUri(port)`; resolves with the first `datagrams` received (2 s at most). */
async function receive(sinkUri: (port: number) => string, datagrams: number): Promise<string[]> {
  const sock = createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString()));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const port = (sock.address() as AddressInfo).port;
  try {
    const sink = createSink(parseUri('--sink', sinkUri(port), {}), ctx);
    await sink.write(batch());
    await sink.close();
    const deadline = Date.now() + 2000;
    while (got.length < datagrams && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return got;
  } finally {
    sock.close();
  }
}

test('statsd etsystatsd: paths per entity type, user labels, resource id, gauges; N lines per datagram', async () => {
  const got = await receive(
    (p) => `statsd:udp://127.0.0.1:${p}?prefix=k8s.prod&numMetricsPerMsg=2`,
    2,
  );
  assert.deepEqual(got, [
    'k8s_prod.node.n1_example.cpu/usage_rate:250|g\nk8s_prod.node.n1_example.network/rx_rate:12.5|g\n',
    'k8s_prod.node.n1_example.filesystem/usage./dev/sda1:7|g\n' +
      'k8s_prod.node.n1_example.namespace.kube-system.pod.dns-1.container.dns.app.dns.tier.infra.memory/usage:1024|g\n',
  ]);
});

test('statsd influxstatsd: tags sorted, user labels expanded, renamed and camel-cased, allowedLabels', async () => {
  const got = await receive(
    (p) =>
      `statsd:udp://127.0.0.1:${p}?protocolType=influxstatsd&numMetricsPerMsg=10&renameLabels=namespace_name:ns&labelStyle=lowerCamelCase&allowedLabels=type,nodename,hostname,namespace_name,pod_name,labels,resource_id`,
    1,
  );
  assert.deepEqual(got, [
    'cpu/usage_rate,hostname=n1.example,nodename=n1,type=node:250|g\n' +
      'network/rx_rate,hostname=n1.example,nodename=n1,type=node:12.5|g\n' +
      'filesystem/usage,hostname=n1.example,nodename=n1,resourceId=/dev/sda1,type=node:7|g\n' +
      'memory/usage,app=dns,hostname=n1.example,ns=kube-system,podName=dns-1,tier=infra,type=pod_container:1024|g\n',
  ]);
});

test('statsd: bad options are a ConfigError naming the option', () => {
  for (const [uri, re] of [
    ['statsd:udp://h:1?protocolType=dogstatsd', /protocolType/],
    ['statsd:udp://h:1?labelStyle=kebab', /labelStyle/],
    ['statsd:udp://h:1?numMetricsPerMsg=0', /numMetricsPerMsg/],
    ['statsd:udp://h:1?nope=1', /unknown option "nope"/],
  ] as const) {
    assert.throws(
      () => createSink(parseUri('--sink', uri, {}), ctx),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      uri,
    );
  }
});
