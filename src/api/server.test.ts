import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { emptyBatch, newMetricSet } from '../core/batch.js';
import { nodeKey, podKey, sysContainerKey } from '../core/keys.js';
import { SelfMetrics } from '../core/self-metrics.js';
import { MemoryStore } from '../store/memory-store.js';
import { escapeHtml, renderIndexPage } from './index-page.js';
import { acceptsGzip, createApiServer } from './server.js';
import type { ApiServerDeps } from './server.js';

const T0 = Date.UTC(2018, 5, 1, 10, 0, 0);

function store(): MemoryStore {
  const s = new MemoryStore();
  for (let i = 0; i < 100; i++) {
    const b = emptyBatch(T0 + i * 1000);
    const add = (key: string) => {
      const set = newMetricSet('node', {}, { scrapeTimeMs: b.timestampMs });
      set.values.set('cpu/usage_rate', i);
      b.sets.set(key, set);
    };
    add(nodeKey('node-1'));
    add(sysContainerKey('node-1', 'system.slice/ssh.service'));
    add(podKey('default', '<script>alert(1)</script>'));
    s.append(b);
  }
  return s;
}

function server(s: MemoryStore, extra: Partial<ApiServerDeps> = {}) {
  return createApiServer({
    store: s,
    selfMetrics: new SelfMetrics(),
    resolutionMs: 1000,
    healthMaxDelayMs: 180_000,
    logger: pino({ level: 'silent' }),
    now: () => T0 + 100_000,
    ...extra,
  });
}

test('index page: title, resolution, latest batch, escaped entity links', async () => {
  const res = await server(store()).inject({ url: '/plain' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  const html = res.body;
  assert.match(html, /<title>Heapster<\/title>/);
  assert.match(html, /Resolution: 1s\. Latest batch: 2018-06-01T10:01:39Z\./);
  assert.match(html, /href="\/api\/v1\/model\/nodes\/node-1\/metrics\/">node-1</);
  assert.match(
    html,
    /href="\/api\/v1\/model\/nodes\/node-1\/freecontainers\/system.slice%2Fssh.service\/metrics\/"/,
  );
  assert.ok(!html.includes('<script>'));
  assert.match(html, /default\/&#60;script&#62;alert\(1\)&#60;\/script&#62;/);
  for (const link of ['/healthz', '/metrics', '/api/v1/model/debug/allkeys']) {
    assert.ok(html.includes(`href="${link}"`), link);
  }
  // The linked free-container list answers.
  const list = await server(store()).inject({
    url: '/api/v1/model/nodes/node-1/freecontainers/system.slice%2Fssh.service/metrics/',
  });
  assert.deepEqual(list.json(), ['cpu/usage_rate']);
});

test('index page before the first batch', () => {
  const html = renderIndexPage({ resolutionMs: 60_000, latest: undefined });
  assert.match(html, /Resolution: 1m\. Latest batch: none yet\./);
  assert.equal(escapeHtml(`<a href="x">'&`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;');
});

test('large responses are gzipped when the client accepts gzip', async () => {
  const app = server(store());
  const url = '/api/v1/model/nodes/node-1/metrics/cpu/usage_rate';
  const plain = await app.inject({ url });
  assert.equal(plain.headers['content-encoding'], undefined);
  const zipped = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate' } });
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(zipped.rawPayload).toString(), plain.body);
  const small = await app.inject({ url: '/healthz', headers: { 'accept-encoding': 'gzip' } });
  assert.equal(small.headers['content-encoding'], undefined);
});

test('acceptsGzip', () => {
  assert.equal(acceptsGzip('gzip'), true);
  assert.equal(acceptsGzip('br, gzip;q=0.5'), true);
  assert.equal(acceptsGzip('*'), true);
  assert.equal(acceptsGzip('gzip;q=0'), false);
  assert.equal(acceptsGzip('identity'), false);
});

test('close: a request in flight finishes; an unused open socket does not hold the shutdown', async () => {
  const app = server(store(), { closeGraceMs: 500 });
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inFlight = new Promise<void>((r) => (entered = r));
  app.get('/slow', async () => {
    entered();
    await released;
    return 'done';
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  // A browser's preconnected socket: connected, never sends a request.
  const idle = connect(port, '127.0.0.1');
  await once(idle, 'connect');
  const idleClosed = once(idle, 'close');
  const slow = fetch(`http://127.0.0.1:${port}/slow`).then(async (r) => [r.status, await r.text()]);
  await inFlight;
  const closed = app.close();
  setTimeout(release, 100);
  assert.deepEqual(await slow, [200, 'done']);
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise((r) => (timer = setTimeout(() => r('still open after 20 s'), 20_000)));
  assert.equal(await Promise.race([closed.then(() => 'closed'), hung]), 'closed');
  clearTimeout(timer);
  await idleClosed;
});

test('while the store recovers: data routes 503 with the progress, /healthz fails with it, the dashboard loads', async () => {
  let message: string | undefined = 'recovering the stored history from /d: 42 % (1 of 2 MB)';
  const app = server(store(), { recovering: () => message });
  try {
    for (const url of [
      '/api/v1/model/nodes/',
      '/api/v1/model/nodes/node-1/metrics/cpu/usage_rate',
      '/apis/metrics.k8s.io/v1beta1/nodes',
      '/api/v1/dashboard/status',
      '/api/v1/metric-export',
      '/federate',
    ]) {
      const r = await app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 503, url);
      assert.equal(r.headers['retry-after'], '5');
      const body = r.json<{ kind: string; code: number; message: string; error: string }>();
      assert.equal(body.kind, 'Status');
      assert.equal(body.code, 503);
      assert.equal(body.message, message);
      assert.equal(body.error, message);
    }
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 500);
    assert.equal(health.body, message);
    for (const url of ['/', '/metrics', '/plain']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
    }
    // Recovered: everything answers as usual.
    message = undefined;
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const nodes = await app.inject({ method: 'GET', url: '/api/v1/model/nodes/' });
    assert.equal(nodes.statusCode, 200);
    assert.deepEqual(nodes.json(), ['node-1']);
  } finally {
    await app.close();
  }
});
