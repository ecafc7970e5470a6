import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { pino } from 'pino';
import type { Logger } from '../../core/log.js';
import { DockerIdentityCache, dockerEndpoint, endpointText, fromInspect } from './identity.js';

test('endpoint: option, else DOCKER_HOST, else the default socket; bad text is an error', () => {
  assert.deepEqual(dockerEndpoint(undefined, {}), { socketPath: '/var/run/docker.sock' });
  assert.deepEqual(dockerEndpoint('', { DOCKER_HOST: 'unix:///run/d.sock' }), {
    socketPath: '/run/d.sock',
  });
  assert.deepEqual(dockerEndpoint('unix:///a/b.sock', { DOCKER_HOST: 'tcp://x:1' }), {
    socketPath: '/a/b.sock',
  });
  assert.deepEqual(dockerEndpoint('/a.sock', {}), { socketPath: '/a.sock' });
  assert.deepEqual(dockerEndpoint('tcp://10.0.0.1:2375', {}), {
    host: '10.0.0.1',
    port: 2375,
    protocol: 'http',
  });
  assert.equal(endpointText(dockerEndpoint('https://h:2376', {})), 'https://h:2376');
  for (const bad of ['unix://relative', 'ftp://h:1', 'tcp://h', 'docker.sock']) {
    assert.throws(() => dockerEndpoint(bad, {}), /Docker endpoint/, bad);
  }
});

test('fromInspect keeps name without /, Config.Image, labels, pid, start time and UpperDir', () => {
  const info = JSON.parse(
    readFileSync(new URL('./testdata/inspect.json', import.meta.url), 'utf8'),
  ) as Dockerode.ContainerInspectInfo;
  const c = fromInspect(info);
  assert.equal(c.id, info.Id);
  assert.equal(c.name, 'mem');
  assert.equal(c.image, 'heapster-test/busybox:1');
  assert.deepEqual(c.labels, { team: 'web' });
  assert.equal(c.running, true);
  assert.equal(c.pid, info.State.Pid);
  assert.equal(c.startedAtMs, Date.parse(info.State.StartedAt));
  assert.match(c.upperDir ?? '', /\/overlay2\/[0-9a-f]{64}\/diff$/);
  const stopped = fromInspect({ ...info, State: { ...info.State, Running: false } });
  assert.equal(stopped.pid, 0);
  assert.equal(stopped.running, false);
});

function countingLogger(): { logger: Logger; lines: () => { level: number; msg: string }[] } {
  const out: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void out.push(s) });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

test('no Docker: start resolves at once, get answers undefined, one debug line, no warning', async () => {
  const { logger, lines } = countingLogger();
  const cache = new DockerIdentityCache({
    endpoint: { socketPath: '/nonexistent/docker.sock' },
    logger,
    retryMinMs: 5,
    retryMaxMs: 5,
  });
  try {
    await cache.start();
    assert.equal(cache.get('a'.repeat(64)), undefined);
    assert.equal(cache.isConnected, false);
    await new Promise((r) => setTimeout(r, 100)); // ~20 quiet retries
    const l = lines();
    assert.equal(l.length, 1, JSON.stringify(l));
    assert.equal(l[0].level, 20);
  } finally {
    cache.close();
  }
});

test('an unreachable daemon is warned about once, then retried quietly', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sock = path.join(dir, 'd.sock');
  writeFileSync(sock, ''); // exists, but nothing listens
  const { logger, lines } = countingLogger();
  const cache = new DockerIdentityCache({
    endpoint: { socketPath: sock },
    logger,
    retryMinMs: 5,
    retryMaxMs: 5,
  });
  try {
    await cache.start();
    await new Promise((r) => setTimeout(r, 150));
    const warns = lines().filter((l) => l.level === 40);
    assert.equal(warns.length, 1, JSON.stringify(lines()));
    assert.match(warns[0].msg, /unreachable/);
  } finally {
    cache.close();
  }
});
