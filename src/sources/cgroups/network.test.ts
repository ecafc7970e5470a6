import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import {
  PhysicalInterfaces,
  containerNetwork,
  isVirtualInterfaceName,
  sumInterfaces,
} from './network.js';
import { parseNetDev } from './proc.js';

const dir = (p: string): string => fileURLToPath(new URL(`./testdata/${p}`, import.meta.url));
const testdata = (p: string): string => readFileSync(dir(p), 'utf8');
const HOST_NETNS = 'net:[4026531833]';

describe('isVirtualInterfaceName', () => {
  const cases: [string, boolean][] = [
    ['lo', true],
    ['veth1a2b3c4', true],
    ['docker0', true],
    ['br-5f6e7d8c9b0a', true],
    ['cni0', true],
    ['flannel.1', true],
    ['cali12345abcdef', true],
    ['virbr0', true],
    ['tun0', true],
    ['tap0', true],
    ['eth0', false],
    ['ens3', false],
    ['enp0s31f6', false],
    ['wlan0', false],
    ['bond0', false],
  ];
  for (const [name, want] of cases)
    it(name, () => assert.equal(isVirtualInterfaceName(name), want));
});

describe('PhysicalInterfaces', () => {
  it('needs /sys/class/net/<if>/device and a non-virtual name', () => {
    const phys = new PhysicalInterfaces(dir('sys'), 30_000);
    const entries = parseNetDev(testdata('proc-docker-host/net/dev'));
    const kept = entries.map((e) => e.name).filter((n) => phys.isPhysical(n));
    assert.deepEqual(kept, ['ens3', 'eth1']); // tun0 has a device file but a virtual name
    assert.deepEqual(
      sumInterfaces(entries, (n) => phys.isPhysical(n)),
      {
        rxBytes: 1_000_000_000,
        rxErrors: 5,
        txBytes: 150_000_000,
        txErrors: 6,
      },
    );
  });

  it('caches answers for the TTL', () => {
    let now = 0;
    const phys = new PhysicalInterfaces('/nonexistent', 1000, () => now);
    assert.equal(phys.isPhysical('eth0'), false);
    const answers = (phys as unknown as { answers: Map<string, boolean> }).answers;
    answers.set('eth0', true); // a cached answer is used until the TTL passes
    now = 999;
    assert.equal(phys.isPhysical('eth0'), true);
    now = 1000;
    assert.equal(phys.isPhysical('eth0'), false);
  });
});

describe('sumInterfaces', () => {
  it('undefined when no interface is accepted', () => {
    assert.equal(
      sumInterfaces(parseNetDev(testdata('proc/net/dev')), () => false),
      undefined,
    );
  });
});

describe('containerNetwork', () => {
  it('sums non-lo interfaces of a process in its own netns', () => {
    assert.deepEqual(containerNetwork(dir('proc'), 5151, HOST_NETNS), {
      rxBytes: 1_048_576 + 1000,
      rxErrors: 3,
      txBytes: 524_288 + 2000,
      txErrors: 4,
    });
  });
  it('undefined for a process in the host netns', () => {
    assert.equal(containerNetwork(dir('proc'), 612, HOST_NETNS), undefined);
  });
  it('throws ENOENT for a process that is gone', () => {
    assert.throws(() => containerNetwork(dir('proc'), 999999, HOST_NETNS), { code: 'ENOENT' });
  });
});
