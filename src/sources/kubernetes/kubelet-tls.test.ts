// HTTPS to kubelets: the serving certificate is verified against a test CA (made with openssl).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootLogger } from '../../core/log.js';
import { parseUri } from '../../config/uri.js';
import { startSimulator } from '../../sim/simulator.js';
import { createSource } from '../registry.js';
import type { KubeletSource } from './kubelet-source.js';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/** A CA, and a kubelet certificate it signed whose only IP SAN is 127.1.0.1 (node-0). */
function makeCerts(dir: string): void {
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
    '-keyout',
    join(dir, 'ca.key'),
    '-out',
    join(dir, 'ca.pem'),
  ]);
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=kubelet',
    '-keyout',
    join(dir, 'kubelet.key'),
    '-out',
    join(dir, 'kubelet.csr'),
  ]);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.1.0.1,IP:127.0.0.1\n');
  openssl([
    'x509',
    '-req',
    '-in',
    join(dir, 'kubelet.csr'),
    '-CA',
    join(dir, 'ca.pem'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    join(dir, 'ext.cnf'),
    '-out',
    join(dir, 'kubelet.pem'),
  ]);
  // Another CA that signed nothing here.
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=other-ca',
    '-keyout',
    join(dir, 'other.key'),
    '-out',
    join(dir, 'other.pem'),
  ]);
}

test('kubelet TLS: verified against the CA; a missing IP SAN or a foreign CA gives an error naming the way out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-kubelet-tls-'));
  makeCerts(dir);
  const sim = await startSimulator({
    nodes: 2,
    podsPerNode: 1,
    containersPerPod: 1,
    tls: {
      cert: readFileSync(join(dir, 'kubelet.pem')),
      key: readFileSync(join(dir, 'kubelet.key')),
    },
    kubeletHttps: true,
  });
  assert.match(sim.sourceUri, /kubeletHttps=true/);
  const make = (extra: string): KubeletSource =>
    createSource(
      parseUri('--source', sim.sourceUri.replace(/&kubeletInsecureTls=true/, '') + extra),
      {
        nodeName: 'x',
        logger: rootLogger.child({ level: 'silent' }),
        resolutionMs: 15_000,
      },
    ) as unknown as KubeletSource;
  const sources: KubeletSource[] = [];
  try {
    const verified = make(`&kubeletCaFile=${join(dir, 'ca.pem')}&kubeletTimeout=5s`);
    sources.push(verified);
    const ctl = new AbortController();
    let b = await verified.scrape({ startMs: 0, endMs: Date.now() }, ctl.signal);
    assert.ok(b.sets.has('node:node-0'), 'node-0: its address is in the SANs');
    assert.equal(b.sets.has('node:node-1'), false, 'node-1: 127.1.0.2 is not');
    assert.match(
      verified.lastStats.errors.join('\n'),
      /node node-1: the kubelet's serving certificate does not name 127\.1\.0\.2 in its subject alternative names.*kubeletInsecureTls=true/,
    );

    const foreign = make(`&kubeletCaFile=${join(dir, 'other.pem')}&kubeletTimeout=5s`);
    sources.push(foreign);
    b = await foreign.scrape({ startMs: 0, endMs: Date.now() }, ctl.signal);
    assert.equal(b.sets.size, 0);
    assert.match(
      foreign.lastStats.errors[0] ?? '',
      /not signed by the cluster CA.*kubeletCaFile.*kubeletInsecureTls=true/,
    );

    const skipped = make(`&kubeletCaFile=${join(dir, 'other.pem')}&kubeletInsecureTls=true`);
    sources.push(skipped);
    b = await skipped.scrape({ startMs: 0, endMs: Date.now() }, ctl.signal);
    assert.ok(
      b.sets.has('node:node-0') && b.sets.has('node:node-1'),
      'verification skipped on request',
    );
  } finally {
    await Promise.all(sources.map((s) => s.close()));
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
