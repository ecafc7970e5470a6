import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { ParsedUri } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import { rootLogger } from '../core/log.js';
import { createSource, knownSources } from './registry.js';

const dir = (p: string): string =>
  fileURLToPath(new URL(`./cgroups/testdata/${p}`, import.meta.url));

/** A ParsedUri as the config parser makes it for `key[?opts]` (no URL part). */
function uri(raw: string): ParsedUri {
  const q = raw.indexOf('?');
  const key = q < 0 ? raw : raw.slice(0, q);
  const options = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(q < 0 ? '' : raw.slice(q))) {
    options.set(k, [...(options.get(k) ?? []), v]);
  }
  return { raw, key, url: undefined, options };
}

const ctx = { nodeName: 'vm', logger: rootLogger.child({ level: 'silent' }), resolutionMs: 60_000 };

describe('createSource', () => {
  it('knows local', () => {
    assert.deepEqual(knownSources(), [
      'cadvisor',
      'docker',
      'kubernetes',
      'kubernetes.resource_api',
      'kubernetes.summary_api',
      'local',
    ]);
    assert.equal(createSource(uri('local'), ctx).name, 'local');
  });

  it('unknown key: names the flag value and lists known sources', () => {
    assert.throws(() => createSource(uri('foo'), ctx), {
      name: 'ConfigError',
      message:
        '--source=foo: unknown source "foo" (known: cadvisor, docker, kubernetes, kubernetes.resource_api, kubernetes.summary_api, local)',
    });
    assert.throws(() => createSource(uri('toString'), ctx), ConfigError);
  });

  it('unknown option: names it and lists the known ones', () => {
    assert.throws(() => createSource(uri('local?bar=1'), ctx), {
      name: 'ConfigError',
      message:
        '--source=local?bar=1: unknown option "bar" (known: procRoot, sysRoot, cgroupRoot, nodeName, docker, fsUsageInterval)',
    });
  });

  it('bad option values', () => {
    assert.throws(
      () => createSource(uri('local?procRoot=host/proc'), ctx),
      /"procRoot".*absolute path/,
    );
    assert.throws(() => createSource(uri('local?nodeName='), ctx), /"nodeName" must not be empty/);
    assert.throws(
      () => createSource({ ...uri('local'), raw: 'local:http://x', url: new URL('http://x') }, ctx),
      /takes no URL/,
    );
  });

  it('passes the roots and node name to the local source', async () => {
    const source = createSource(
      uri(
        `local?nodeName=n9&procRoot=${dir('proc')}/&sysRoot=${dir('sys')}&cgroupRoot=${dir('cgroup1')}`,
      ),
      ctx,
    );
    const batch = await source.scrape({ startMs: 0, endMs: 10 }, new AbortController().signal);
    const node = batch.sets.get('node:n9');
    assert.ok(node);
    assert.equal(node.values.get('memory/node_capacity'), 24684084 * 1024);
    // <procRoot>/self/mountinfo (this host's, hybrid) re-rooted at the v1 fixture
    assert.equal(batch.sets.get('node:n9/container:docker/3f4a5b6c7d8e')?.labels.nodename, 'n9');
  });
});
