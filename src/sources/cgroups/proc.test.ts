import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  parseMeminfo,
  parseMountinfo,
  parseNetDev,
  parseProcStat,
  parseUptimeMs,
  parseVmstat,
} from './proc.js';

const testdata = (p: string): string =>
  readFileSync(new URL(`./testdata/${p}`, import.meta.url), 'utf8');

describe('parseProcStat', () => {
  it('reads the cpu line, cores and btime of a real /proc/stat', () => {
    // cpu  11600 0 3455 131665 92 0 23 39 0 0 → 11600+0+3455+0+23+39 ticks of 10 ms
    assert.deepEqual(parseProcStat(testdata('proc/stat')), {
      cpuUsageNanos: 15117 * 10_000_000,
      cores: 2,
      bootTimeMs: 1795611952000,
    });
  });

  const cases: [string, string, { cpuUsageNanos: number; cores: number; bootTimeMs: number }][] = [
    [
      'guest time is not added again (it is inside user)',
      'cpu  100 5 50 1000 7 3 2 1 40 4\ncpu0 100 5 50 1000 7 3 2 1 40 4\nbtime 1700000000\n',
      { cpuUsageNanos: 161 * 10_000_000, cores: 1, bootTimeMs: 1_700_000_000_000 },
    ],
    [
      'old kernel without steal/guest fields',
      'cpu  1 2 3 4 5 6 7\ncpu0 1 2 3 4 5 6 7\ncpu1 0 0 0 0 0 0 0\n',
      { cpuUsageNanos: 19 * 10_000_000, cores: 2, bootTimeMs: NaN },
    ],
    ['empty text', '', { cpuUsageNanos: NaN, cores: 0, bootTimeMs: NaN }],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => assert.deepEqual(parseProcStat(text), want));
  }
});

describe('parseMeminfo', () => {
  it('converts the kB fields of a real /proc/meminfo to bytes', () => {
    assert.deepEqual(parseMeminfo(testdata('proc/meminfo')), {
      memTotalBytes: 24684084 * 1024,
      memFreeBytes: 24083804 * 1024,
      buffersBytes: 1656 * 1024,
      cachedBytes: 170712 * 1024,
      anonPagesBytes: 326892 * 1024,
      inactiveFileBytes: 48524 * 1024,
    });
  });

  it('does not take SwapCached for Cached, and leaves missing fields NaN', () => {
    const m = parseMeminfo('MemTotal: 10 kB\nSwapCached: 7 kB\nCached: 3 kB\n');
    assert.equal(m.memTotalBytes, 10240);
    assert.equal(m.cachedBytes, 3072);
    assert.ok(Number.isNaN(m.memFreeBytes));
  });
});

describe('parseVmstat', () => {
  it('reads pgfault and pgmajfault of a real /proc/vmstat', () => {
    assert.deepEqual(parseVmstat(testdata('proc/vmstat')), {
      pageFaults: 4389956,
      majorPageFaults: 495,
    });
  });
  it('does not match longer keys', () => {
    const v = parseVmstat('pgfault_extra 9\npgmajfault 2\npgfault 5\n');
    assert.deepEqual(v, { pageFaults: 5, majorPageFaults: 2 });
  });
});

describe('parseNetDev', () => {
  it('reads every interface of a real /proc/net/dev', () => {
    assert.deepEqual(parseNetDev(testdata('proc/net/dev')), [
      { name: 'lo', rxBytes: 3193, rxErrors: 0, txBytes: 3193, txErrors: 0 },
      { name: 'ifb0', rxBytes: 0, rxErrors: 0, txBytes: 0, txErrors: 0 },
      { name: 'ifb1', rxBytes: 0, rxErrors: 0, txBytes: 0, txErrors: 0 },
      { name: 'eth0', rxBytes: 101662480, rxErrors: 0, txBytes: 331896, txErrors: 0 },
    ]);
  });
  it('handles counters wider than their column (no space after the colon)', () => {
    const text =
      'Inter-| hdr\n face |hdr\n' +
      '  eth0:12345678901   99    7    0    0     0          0         0 98765432109  88    5    0    0     0       0          0\n';
    assert.deepEqual(parseNetDev(text), [
      { name: 'eth0', rxBytes: 12345678901, rxErrors: 7, txBytes: 98765432109, txErrors: 5 },
    ]);
  });
});

describe('parseUptimeMs', () => {
  const cases: [string, number][] = [
    ['736.83 1316.65\n', 736830],
    ['0.01 0.00\n', 10],
    ['12345678.99 1.00\n', 12345678990],
  ];
  for (const [text, want] of cases)
    it(JSON.stringify(text), () => assert.equal(parseUptimeMs(text), want));
  it('NaN on garbage', () => assert.ok(Number.isNaN(parseUptimeMs('x'))));
});

describe('parseMountinfo', () => {
  it('parses the real mountinfo of a hybrid cgroup host', () => {
    const entries = parseMountinfo(testdata('proc/self/mountinfo'));
    const root = entries.find((e) => e.mountPoint === '/');
    assert.deepEqual(root, {
      majorMinor: '254:0',
      root: '/',
      mountPoint: '/',
      fsType: 'ext4',
      source: '/dev/vda',
      superOptions: 'rw,discard,resv_strict,resuid=65534,resgid=65534',
    });
    const cpuacct = entries.find((e) => e.mountPoint === '/sys/fs/cgroup/cpuacct');
    assert.equal(cpuacct?.fsType, 'cgroup');
    assert.equal(cpuacct?.superOptions, 'rw,cpuacct');
    assert.equal(entries.find((e) => e.fsType === 'cgroup2')?.mountPoint, '/sys/fs/cgroup/unified');
  });

  it('handles optional fields, escapes and malformed lines', () => {
    const entries = parseMountinfo(
      '65 27 8:33 / /media/usb\\040stick rw,nosuid shared:41 master:2 - vfat /dev/sdc1 rw,fmask=0022\n' +
        'garbage line\n' +
        '73 25 0:4 net:[4026532301] /run/docker/netns/x rw shared:402 - nsfs nsfs rw\n',
    );
    assert.equal(entries.length, 2);
    assert.equal(entries[0].mountPoint, '/media/usb stick');
    assert.equal(entries[0].fsType, 'vfat');
    assert.equal(entries[0].source, '/dev/sdc1');
    assert.equal(entries[1].root, 'net:[4026532301]');
  });
});
