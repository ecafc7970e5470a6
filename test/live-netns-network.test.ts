// Network truth: bytes sent over a veth pair into a network namespace we made arrive in the
// network counters of the cgroup whose process lives in that namespace (both directions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { TestCgroup, cgroupV1Writable } from './support/cgroups.js';
import { need } from './support/services.js';
import { createLocalSource } from '../src/sources/local-source.js';

const DATAGRAMS = 200;
const PAYLOAD = 1000;
// Link-local addresses on a veth pair between this host and a namespace this test makes.
const HOST_IP = '169.254.213.1';
const NS_IP = '169.254.213.2';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function hasIp(): boolean {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('bytes sent over a veth pair are counted in the container’s network/rx and network/tx', async (t) => {
  if (
    !need(
      t,
      process.getuid?.() === 0 && cgroupV1Writable() && hasIp(),
      'needs root, writable cgroup v1 and iproute2 (Debian package iproute2)',
    )
  )
    return;
  const tag = String(process.pid % 100000);
  const ns = `hst-${tag}`;
  const hostIf = `hv${tag}`;
  const name = `heapster-net-${tag}`;
  const cg = new TestCgroup(`/${name}`);
  const sock = createSocket('udp4');
  try {
    ip('netns', 'add', ns);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('addr', 'add', `${HOST_IP}/30`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('-n', ns, 'addr', 'add', `${NS_IP}/30`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');

    // A UDP echo server inside the namespace, moved into the test cgroup.
    const echo = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        '-e',
        `const s = require('dgram').createSocket('udp4');
         s.on('message', (m, r) => s.send(m, r.port, r.address));
         s.bind(9999, '${NS_IP}', () => process.stdout.write('ready\\n'));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cg.children.push(echo);
    await new Promise<void>((resolve, reject) => {
      echo.stdout!.once('data', () => resolve());
      echo.once('exit', (c) => reject(new Error(`echo server exited with ${c}`)));
    });
    cg.addPid(echo.pid!);

    const source = createLocalSource({ nodeName: 'netns-test' });
    const key = `node:netns-test/container:${name}`;
    const scrape = async () => {
      const b = await source.scrape(
        { startMs: 0, endMs: Date.now() },
        new AbortController().signal,
      );
      const set = b.sets.get(key);
      assert.ok(set, `${key} in the batch`);
      return set.values;
    };
    await new Promise<void>((r) => sock.bind(0, HOST_IP, () => r()));
    const payload = Buffer.alloc(PAYLOAD, 7);
    // One round trip at a time: no datagram is lost to a full queue, and each is counted.
    const roundTrip = (data: Buffer) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no echo within 2 s')), 2000);
        sock.once('message', () => {
          clearTimeout(timer);
          resolve();
        });
        sock.send(data, 9999, NS_IP, (err) => err && reject(err));
      });
    // Warm up (ARP, neighbour discovery), then take the baseline.
    await roundTrip(Buffer.from('hello'));
    await new Promise((r) => setTimeout(r, 300));
    const before = await scrape();
    assert.ok(before.has('network/rx'), 'a container in its own netns reports network/rx');
    for (let i = 0; i < DATAGRAMS; i++) await roundTrip(payload);
    const after = await scrape();

    // Each datagram: 1000 B payload + 8 UDP + 20 IPv4 + 14 Ethernet = 1042 B on the wire.
    const wire = DATAGRAMS * (PAYLOAD + 42);
    const rx = after.get('network/rx')! - before.get('network/rx')!;
    const tx = after.get('network/tx')! - before.get('network/tx')!;
    assert.ok(rx >= wire && rx <= wire + 20_000, `network/rx grew by ${rx}, expected ≈ ${wire}`);
    assert.ok(tx >= wire && tx <= wire + 20_000, `network/tx grew by ${tx}, expected ≈ ${wire}`);
    assert.equal(after.get('network/rx_errors')! - before.get('network/rx_errors')!, 0);
  } finally {
    sock.close();
    await cg.remove();
    try {
      ip('link', 'del', hostIf);
    } catch {
      // gone with the namespace
    }
    try {
      ip('netns', 'del', ns);
    } catch {
      // never created
    }
  }
});
