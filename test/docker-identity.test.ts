// The identity cache against a real engine: list on start, then events (start, rename, die,
// destroy) keep names, PIDs and start times current without polling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rootLogger } from '../src/core/log.js';
import { DockerIdentityCache } from '../src/sources/docker/identity.js';
import { startDockerd } from './support/docker.js';
import { waitFor } from './support/services.js';

test('identity cache: list, then start/rename/restart/stop/destroy events', async (t) => {
  const d = await startDockerd(t);
  if (d === undefined) return;
  const image = await d.importBusybox();
  const first = await d.docker([
    'run',
    '-d',
    '--network',
    'none',
    '--name',
    'first',
    '--label',
    'app=one',
    image,
    'sleep',
    '1d',
  ]);
  const cache = new DockerIdentityCache({
    endpoint: { socketPath: d.socketPath },
    logger: rootLogger.child({ level: 'silent' }),
  });
  t.after(() => cache.close());
  await cache.start();
  const c = cache.get(first);
  assert.ok(c, 'a container running before start is listed');
  assert.equal(c.name, 'first');
  assert.equal(c.image, image);
  assert.deepEqual(c.labels, { app: 'one' });
  assert.ok(c.pid > 0 && c.running);
  assert.ok(c.upperDir?.startsWith(d.dataRoot), `UpperDir ${c.upperDir} below the data root`);

  const second = await d.docker([
    'run',
    '-d',
    '--network',
    'none',
    '--name',
    'second',
    image,
    'sleep',
    '1d',
  ]);
  await waitFor('the start event', async () => (cache.get(second)?.running ? true : undefined));

  await d.docker(['rename', 'second', 'renamed']);
  await waitFor('the rename event', async () =>
    cache.get(second)?.name === 'renamed' ? true : undefined,
  );

  const startedBefore = cache.get(first)!.startedAtMs;
  await d.docker(['restart', '-t', '0', 'first']);
  await waitFor('the restart', async () => {
    const x = cache.get(first);
    return x !== undefined && x.running && x.startedAtMs > startedBefore ? true : undefined;
  });

  await d.docker(['stop', '-t', '0', 'renamed']);
  await waitFor('the die event', async () =>
    cache.get(second)?.running === false && cache.get(second)?.pid === 0 ? true : undefined,
  );
  await d.docker(['rm', 'renamed']);
  await waitFor('the destroy event', async () =>
    cache.get(second) === undefined ? true : undefined,
  );
  assert.ok(cache.isConnected);
});
