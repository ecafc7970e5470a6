import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  firstPid,
  parseCpuacctUsageNanos,
  parseCpuStatV2UsageNanos,
  parseMemoryV1,
  parseMemoryV2,
  workingSetBytes,
} from './cgroup-files.js';

const testdata = (p: string): string =>
  readFileSync(new URL(`./testdata/${p}`, import.meta.url), 'utf8');
const DOCKER = '3f4a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344556677aa';

describe('workingSetBytes', () => {
  const cases: [number, number, number][] = [
    [100, 30, 70],
    [100, 100, 0],
    [100, 130, 0], // floored at 0, cAdvisor's rule
    [100, NaN, 100],
  ];
  for (const [usage, inactive, want] of cases) {
    it(`${usage} - ${inactive}`, () => assert.equal(workingSetBytes(usage, inactive), want));
  }
});

describe('parseMemoryV1', () => {
  it('uses the hierarchical total_* fields, not the cgroup-local ones', () => {
    const stat = testdata(`cgroup1/memory/docker/${DOCKER}/memory.stat`);
    assert.deepEqual(parseMemoryV1(110_000_000, stat), {
      usageBytes: 110_000_000,
      rssBytes: 74_000_000,
      cacheBytes: 35_000_000,
      workingSetBytes: 110_000_000 - 9_000_000,
      pageFaults: 290_000,
      majorPageFaults: 19,
    });
  });
  it('reads the memory.stat of this kernel (root cgroup of a real host)', () => {
    const m = parseMemoryV1(
      35512320,
      'cache 9265152\nrss 7716864\npgfault 36067\ntotal_cache 21790720\ntotal_rss 13897728\n' +
        'total_rss_huge 0\ntotal_pgfault 873780\ntotal_pgmajfault 322\ntotal_inactive_anon 6094848\n' +
        'total_active_anon 1576960\ntotal_inactive_file 3469312\ntotal_active_file 9236480\n',
    );
    assert.deepEqual(m, {
      usageBytes: 35512320,
      rssBytes: 13897728,
      cacheBytes: 21790720,
      workingSetBytes: 35512320 - 3469312,
      pageFaults: 873780,
      majorPageFaults: 322,
    });
  });
});

describe('parseMemoryV2', () => {
  it('maps anon, file, inactive_file, pgfault, pgmajfault', () => {
    const stat = testdata('cgroup2/system.slice/ssh.service/memory.stat');
    assert.deepEqual(parseMemoryV2(6_291_456, stat), {
      usageBytes: 6_291_456,
      rssBytes: 1_048_576,
      cacheBytes: 4_194_304,
      workingSetBytes: 6_291_456 - 2_097_152,
      pageFaults: 12_000,
      majorPageFaults: 4,
    });
  });
  it('does not confuse file with file_mapped or anon with anon_thp', () => {
    const m = parseMemoryV2(10, 'anon_thp 99\nfile_mapped 98\nanon 3\nfile 4\n');
    assert.equal(m.rssBytes, 3);
    assert.equal(m.cacheBytes, 4);
    assert.equal(m.workingSetBytes, 10);
  });
});

describe('CPU files', () => {
  it('cpu.stat usage_usec → ns', () => {
    assert.equal(
      parseCpuStatV2UsageNanos(testdata('cgroup2/system.slice/ssh.service/cpu.stat')),
      1_250_000_000,
    );
    assert.equal(parseCpuStatV2UsageNanos('usage_usec 26446326\nuser_usec 1\n'), 26446326000);
    assert.ok(Number.isNaN(parseCpuStatV2UsageNanos('user_usec 1\n')));
  });
  it('cpuacct.usage is ns', () => {
    assert.equal(parseCpuacctUsageNanos('352010000000\n'), 352010000000);
    assert.ok(Number.isNaN(parseCpuacctUsageNanos('')));
  });
  it('firstPid', () => {
    assert.equal(firstPid('4242\n4250\n'), 4242);
    assert.equal(firstPid(''), undefined);
  });
});
