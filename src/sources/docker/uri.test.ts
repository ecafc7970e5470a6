import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUri } from '../../config/uri.js';
import { rootLogger } from '../../core/log.js';
import { createSource } from '../registry.js';

const ctx = { nodeName: 'vm', logger: rootLogger.child({ level: 'silent' }), resolutionMs: 60_000 };
const source = (text: string) => createSource(parseUri('--source', text, {}), ctx);

test('docker source URIs: a socket, TCP, or nothing (DOCKER_HOST / default socket)', () => {
  assert.equal(source('docker:unix:///run/d.sock').name, 'docker:unix:///run/d.sock');
  assert.equal(source('docker:tcp://10.1.2.3:2375').name, 'docker:http://10.1.2.3:2375');
  assert.match(source('docker').name, /^docker:/);
  assert.equal(
    source('docker:unix:///run/d.sock?parallelism=4&timeout=2s').name,
    'docker:unix:///run/d.sock',
  );
});

test('bad docker source URIs and local docker options fail at start, naming the option', () => {
  assert.throws(
    () => source('docker:ftp://h:1'),
    /--source=docker:ftp:\/\/h:1: unsupported scheme/,
  );
  assert.throws(() => source('docker:unix:///d.sock?parallelism=0'), /"parallelism": 0 is below/);
  assert.throws(() => source('docker:unix:///d.sock?timeout=2m'), /"timeout"/);
  assert.throws(() => source('docker:unix:///d.sock?nodeName='), /"nodeName" must not be empty/);
  assert.throws(() => source('local?docker=relative.sock'), /option "docker": Docker endpoint/);
  assert.throws(() => source('local?fsUsageInterval=10ms'), /"fsUsageInterval"/);
  assert.equal(source('local?docker=false').name, 'local');
  assert.equal(source('local?docker=unix:///run/d.sock&fsUsageInterval=5m').name, 'local');
});
