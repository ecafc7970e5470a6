import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, need } from '../../test/support/services.js';
import { UsageError, parseSimulateFlags } from './simulate-command.js';
import { startSimulator } from './simulator.js';

const BIN = fileURLToPath(new URL('../../bin/heapster.js', import.meta.url));

test('heapster simulate prints the --source value first, serves /truth, stops on SIGTERM', async () => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      BIN,
      'simulate',
      '--nodes',
      '4',
      '--pods-per-node',
      '3',
      '--containers-per-pod',
      '2',
      '--listen',
      `127.0.0.1:${port}`,
      '--kubelet-port',
      '0',
      '--faults',
      'error500:1',
      '--seed',
      '5',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const firstLine = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.once('exit', () => reject(new Error(`exited early: ${err}`)));
    });
    const m =
      /^--source=kubernetes\.summary_api:http:\/\/127\.0\.0\.1:(\d+)\?inClusterConfig=false&kubeletPort=(\d+)$/.exec(
        firstLine,
      );
    assert.ok(m, firstLine);
    assert.equal(Number(m[1]), port);
    const truth = (await (await fetch(`http://127.0.0.1:${port}/truth`)).json()) as {
      nodes: { name: string; fault: string; address: string }[];
      pods: unknown[];
    };
    assert.equal(truth.nodes.length, 4);
    assert.equal(truth.pods.length, 12);
    assert.equal(truth.nodes[3].fault, 'error500');
    const r = await fetch(`http://${truth.nodes[3].address}:${m[2]}/stats/summary`);
    assert.equal(r.status, 500);
    await r.text();
    // Set a fault at run time over HTTP.
    const put = await fetch(`http://127.0.0.1:${port}/sim/nodes/node-0/fault?kind=malformed`, {
      method: 'PUT',
    });
    assert.equal(put.status, 200);
    await put.text();
    const bad = await (
      await fetch(`http://${truth.nodes[0].address}:${m[2]}/stats/summary`)
    ).text();
    assert.throws(() => JSON.parse(bad), SyntaxError);
    assert.match(err, /simulated cluster: 4 nodes x 3 pods x 2 containers/);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});

test('heapster simulate: a bad flag is exit 2 with a message naming it', () => {
  const r = spawnSync(process.execPath, [BIN, 'simulate', '--nodes', 'many'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--nodes: "many"/);
  for (const [args, re] of [
    [['--faults', 'slow:2,teapot:1'], /--faults: "teapot:1"/],
    [['--faults', 'slow:20'], /more faulty nodes than the 10 nodes/],
    [['--listen', '10.1.2.3:80'], /--listen: "10\.1\.2\.3" is not a loopback address/],
    [['--kubelet-https'], /--kubelet-https needs --tls-cert/],
    [['--slow-delay', 'soon'], /--slow-delay/],
  ] as const) {
    assert.throws(
      () => parseSimulateFlags([...args]),
      (e: Error) => e instanceof UsageError && re.test(e.message),
      args.join(' '),
    );
  }
  const ok = parseSimulateFlags([
    '--nodes',
    '7',
    '--faults',
    'hang:1,slow:2',
    '--slow-delay',
    '3s',
  ]);
  assert.deepEqual(
    [...(ok.faults ?? [])],
    [
      [6, 'hang'],
      [5, 'slow'],
      [4, 'slow'],
    ],
  );
  assert.equal(ok.slowDelayMs, 3000);
  assert.equal(ok.kubeletPort, 10250);
});

test('kubelets over HTTPS with a test CA, and a bearer token', async (t) => {
  const openssl = spawnSync('openssl', ['version']).status === 0;
  if (!need(t, openssl, 'install Debian package openssl')) return;
  const dir = mkdtempSync(join(os.tmpdir(), 'sim-tls-'));
  try {
    const run = (args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };
    run([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=sim-ca',
    ]);
    run([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'kubelet.key',
      '-out',
      'kubelet.csr',
      '-subj',
      '/CN=kubelet',
    ]);
    const ext = join(dir, 'san.ext');
    spawnSync('sh', ['-c', `printf 'subjectAltName=IP:127.1.0.1,IP:127.0.0.1\\n' > ${ext}`]);
    run([
      'x509',
      '-req',
      '-in',
      'kubelet.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'kubelet.crt',
      '-days',
      '1',
      '-extfile',
      ext,
    ]);
    assert.ok(existsSync(join(dir, 'kubelet.crt')));
    const sim = await startSimulator({
      nodes: 2,
      podsPerNode: 1,
      containersPerPod: 1,
      kubeletHttps: true,
      tls: {
        cert: readFileSync(join(dir, 'kubelet.crt')),
        key: readFileSync(join(dir, 'kubelet.key')),
      },
      token: 'secret-token',
    });
    try {
      assert.match(sim.sourceUri, /kubeletHttps=true/);
      const ca = readFileSync(join(dir, 'ca.crt'));
      const get = (host: string, token?: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = https.get(
            {
              host,
              port: sim.kubeletPort,
              path: '/stats/summary',
              ca,
              headers: token ? { authorization: `Bearer ${token}` } : {},
            },
            (res) => {
              let body = '';
              res.on('data', (d: Buffer) => (body += d.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            },
          );
          req.on('error', reject);
        });
      const ok = await get('127.1.0.1', 'secret-token');
      assert.equal(ok.status, 200);
      assert.equal((JSON.parse(ok.body) as { node: { nodeName: string } }).node.nodeName, 'node-0');
      assert.equal((await get('127.1.0.1')).status, 401);
      // node-1's address is not in the certificate: verification fails and says so.
      await assert.rejects(
        get('127.1.0.2', 'secret-token'),
        /IP: 127\.1\.0\.2 is not in the cert's list/,
      );
    } finally {
      await sim.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
