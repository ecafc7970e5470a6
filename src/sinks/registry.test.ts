import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { ConfigError } from '../config/types.js';
import { parseUri } from '../config/uri.js';
import { LogSink } from './log-sink.js';
import { createSink } from './registry.js';

const ctx = { nodeName: 'n1', resolutionMs: 60_000, logger: pino({ level: 'silent' }) };

test('createSink: log; unknown sink or option is a ConfigError naming it', () => {
  assert.ok(createSink(parseUri('--sink', 'log', {}), ctx) instanceof LogSink);
  assert.throws(
    () => createSink(parseUri('--sink', 'nosuch:http://h', {}), ctx),
    (err: unknown) => err instanceof ConfigError && /unknown sink "nosuch"/.test(err.message),
  );
  assert.throws(
    () => createSink(parseUri('--sink', 'log?x=1', {}), ctx),
    (err: unknown) => err instanceof ConfigError && /unknown option "x"/.test(err.message),
  );
});
