// Network bytes between two Docker containers (`--network none`) joined by a veth pair the test
// makes: the local source counts them on both sides from each container's network namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Batch, MetricSet } from '../src/core/batch.js';
import { rootLogger } from '../src/core/log.js';
import { createLocalSource } from '../src/sources/local-source.js';
import { startDockerd } from './support/docker.js';
import { need } from './support/services.js';

const PINGS = 100;
const PAYLOAD = 1000;
/** Ethernet 14 + IPv4 20 + ICMP 8 header bytes around each payload. */
const FRAME = PAYLOAD + 14 + 20 + 8;

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error}`);
  return r.stdout.trim();
}

function netOf(batch: Batch, name: string): { rx: number; tx: number } {
  let set: MetricSet | undefined;
  for (const s of batch.sets.values()) if (s.labels.container_name === name) set = s;
  assert.ok(set, `container ${name} in the batch`);
  const rx = set.values.get('network/rx');
  const tx = set.values.get('network/tx');
  assert.ok(rx !== undefined && tx !== undefined, `${name} has network/rx and network/tx`);
  return { rx, tx };
}

test('bytes sent over a veth between two containers are counted on both sides', async (t) => {
  if (!need(t, spawnSync('ip', ['-V']).status === 0, 'install iproute2 (ip)')) return;
  const d = await startDockerd(t);
  if (d === undefined) return;
  const image = await d.importBusybox();
  for (const n of ['left', 'right']) {
    await d.docker(['run', '-d', '--network', 'none', '--name', n, image, 'sleep', '1d']);
  }
  const pid = async (n: string): Promise<string> =>
    d.docker(['inspect', '-f', '{{.State.Pid}}', n]);
  const [pl, pr] = [await pid('left'), await pid('right')];
  const tag = String(process.pid % 100000);
  const [vl, vr] = [`hnet${tag}l`, `hnet${tag}r`];
  t.after(() => {
    // Normally gone with the containers' namespaces; left in the host netns only on failure.
    spawnSync('ip', ['link', 'del', vl], { stdio: 'ignore' });
  });
  sh('ip', ['link', 'add', vl, 'type', 'veth', 'peer', 'name', vr]);
  sh('ip', ['link', 'set', vl, 'netns', pl]);
  sh('ip', ['link', 'set', vr, 'netns', pr]);
  for (const [p, v, addr] of [
    [pl, vl, '10.231.7.1/24'],
    [pr, vr, '10.231.7.2/24'],
  ] as const) {
    // No IPv6 on the link: its neighbour discovery would add packets of its own.
    sh('nsenter', ['-t', p, '-n', 'sysctl', '-q', '-w', `net.ipv6.conf.${v}.disable_ipv6=1`]);
    sh('nsenter', ['-t', p, '-n', 'ip', 'addr', 'add', addr, 'dev', v]);
    sh('nsenter', ['-t', p, '-n', 'ip', 'link', 'set', v, 'up']);
  }

  const source = createLocalSource({
    nodeName: 'net-node',
    docker: d.host,
    logger: rootLogger.child({ level: 'silent' }),
  });
  t.after(() => source.close());
  const scrape = (): Promise<Batch> =>
    source.scrape({ startMs: 0, endMs: Date.now() }, new AbortController().signal);

  const before = await scrape();
  const [l0, r0] = [netOf(before, 'left'), netOf(before, 'right')];
  await d.docker([
    'exec',
    'left',
    'ping',
    '-A',
    '-q',
    '-c',
    String(PINGS),
    '-s',
    String(PAYLOAD),
    '10.231.7.2',
  ]);
  const after = await scrape();
  const [l1, r1] = [netOf(after, 'left'), netOf(after, 'right')];

  const sent = PINGS * FRAME;
  // ARP (42-byte frames, a few) is the only other traffic on the link.
  const within = (what: string, delta: number): void =>
    assert.ok(
      delta >= sent && delta <= sent + 1024,
      `${what}: ${delta} bytes, want ${sent}..+1024`,
    );
  within('left tx (echo requests)', l1.tx - l0.tx);
  within('right rx (echo requests)', r1.rx - r0.rx);
  within('right tx (echo replies)', r1.tx - r0.tx);
  within('left rx (echo replies)', l1.rx - l0.rx);
});
