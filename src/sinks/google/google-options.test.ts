import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../config/types.js';
import { parseUri } from '../../config/uri.js';
import { PermanentWriteError } from '../../pipeline/sink-queue.js';
import { classifyError, detectGce, parseGoogleTarget, protoTimestamp } from './google-options.js';

const sink = (v: string) => parseUri('--sink', v, {});
const NO_ADC = { CLOUDSDK_CONFIG: '/nonexistent' };

test('project: option, then the credentials file, then GOOGLE_CLOUD_PROJECT; required off GCE', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gopt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'key.json');
  writeFileSync(key, JSON.stringify({ type: 'service_account', project_id: 'from-file' }));
  const env = { ...NO_ADC, GOOGLE_CLOUD_PROJECT: 'from-env' };
  assert.equal(
    parseGoogleTarget(sink(`gcm:?project=opt&credentials=${key}`), env, false).project,
    'opt',
  );
  assert.equal(parseGoogleTarget(sink(`gcm:?credentials=${key}`), env, false).project, 'from-file');
  const fromEnv = parseGoogleTarget(sink('gcm:?endpoint=127.0.0.1:9&insecure=true'), env, false);
  assert.equal(fromEnv.project, 'from-env');
  assert.deepEqual(fromEnv.endpoint, { host: '127.0.0.1', port: 9 });
  assert.throws(
    () => parseGoogleTarget(sink('gcm:?endpoint=127.0.0.1:9&insecure=true'), NO_ADC, false),
    (e: unknown) =>
      e instanceof ConfigError && /no Google Cloud project: not running on GCE/.test(e.message),
  );
  // On GCE the project may come from the metadata server later.
  assert.equal(parseGoogleTarget(sink('gcm'), NO_ADC, true).project, '');
});

test('credentials are required off GCE unless insecure; insecure only with a loopback endpoint', () => {
  assert.throws(
    () => parseGoogleTarget(sink('gcm:?project=p'), NO_ADC, false),
    (e: unknown) => e instanceof ConfigError && /no Google credentials/.test(e.message),
  );
  assert.equal(
    parseGoogleTarget(sink('gcm:?project=p'), { GOOGLE_APPLICATION_CREDENTIALS: '/k.json' }, false)
      .credentialsFile,
    '',
  );
  for (const ep of ['127.0.0.1:1', '[::1]:8085', 'localhost:2']) {
    assert.equal(
      parseGoogleTarget(sink(`gcm:?project=p&endpoint=${ep}&insecure=true`), NO_ADC, false)
        .insecure,
      true,
    );
  }
  for (const bad of [
    'gcm:?project=p&insecure=true',
    'gcm:?project=p&endpoint=10.0.0.1:443&insecure=true',
  ]) {
    assert.throws(
      () => parseGoogleTarget(sink(bad), NO_ADC, false),
      (e: unknown) => e instanceof ConfigError && /loopback endpoint/.test(e.message),
      bad,
    );
  }
  assert.throws(
    () =>
      parseGoogleTarget(sink('gcm:?project=p&endpoint=host:99999&insecure=true'), NO_ADC, false),
    (e: unknown) => e instanceof ConfigError && /option "endpoint"/.test(e.message),
  );
});

test('detectGce reads DMI only', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gce-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(detectGce(dir), false);
  mkdirSync(join(dir, 'class/dmi/id'), { recursive: true });
  writeFileSync(join(dir, 'class/dmi/id/product_name'), 'Google Compute Engine\n');
  assert.equal(detectGce(dir), true);
});

test('classifyError: request errors are permanent, availability and auth errors are retried', () => {
  const err = (code: number, message: string) => Object.assign(new Error(message), { code });
  const bad = classifyError('CreateTimeSeries', err(3, 'Field x had an invalid value'));
  assert.ok(bad instanceof PermanentWriteError);
  assert.equal(bad.message, 'CreateTimeSeries: INVALID_ARGUMENT: Field x had an invalid value');
  for (const code of [14, 4, 8, 16, 7, 13]) {
    assert.ok(!(classifyError('x', err(code, 'm')) instanceof PermanentWriteError), String(code));
  }
  assert.ok(!(classifyError('x', new Error('socket hang up')) instanceof PermanentWriteError));
  assert.deepEqual(protoTimestamp(1_700_000_000_123), {
    seconds: 1_700_000_000,
    nanos: 123_000_000,
  });
});
