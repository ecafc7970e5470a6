import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createStore } from './create-store.js';

test('a data dir that cannot be created: logged, memory only, the store metrics registered once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-create-'));
  try {
    // A file where the data dir should be: mkdir fails with ENOTDIR.
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
    const registry = new Registry();
    const opened = createStore(
      { dataDir: join(file, 'data'), retentionRawMs: 3_600_000, retentionMs: 86_400_000 },
      registry,
      logger,
    );
    await opened.recovered;
    assert.match(
      lines.join(''),
      /cannot use --data-dir .*not-a-dir\/data .*keeping history in memory only/,
    );
    const metrics = await registry.metrics();
    assert.equal(metrics.match(/^# HELP heapster_store_series /gm)?.length, 1);
    assert.doesNotMatch(metrics, /heapster_store_disk_write_errors/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
