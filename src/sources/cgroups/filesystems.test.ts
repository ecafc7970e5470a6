import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { realFilesystems, statFilesystem } from './filesystems.js';
import { parseMountinfo } from './proc.js';

const testdata = (p: string): string =>
  readFileSync(new URL(`./testdata/${p}`, import.meta.url), 'utf8');

describe('realFilesystems', () => {
  it('keeps block devices once each, first mount point wins, skips pseudo filesystems', () => {
    assert.deepEqual(realFilesystems(parseMountinfo(testdata('mountinfo-v2'))), [
      { device: '/dev/sda1', mountPoint: '/', fsType: 'ext4' },
      { device: '/dev/sda2', mountPoint: '/boot', fsType: 'ext4' },
      { device: '/dev/sda3', mountPoint: '/boot/efi', fsType: 'vfat' },
      { device: '/dev/sdb1', mountPoint: '/var/lib/docker', fsType: 'xfs' },
      { device: '/dev/sdc1', mountPoint: '/media/usb stick', fsType: 'vfat' },
    ]);
  });

  it('this machine: only the root disk (tmpfs, cgroup, proc, sysfs, devpts skipped)', () => {
    assert.deepEqual(realFilesystems(parseMountinfo(testdata('proc/self/mountinfo'))), [
      { device: '/dev/vda', mountPoint: '/', fsType: 'ext4' },
    ]);
  });
});

describe('statFilesystem', () => {
  it('reports consistent sizes for /', () => {
    const u = statFilesystem({ device: '/dev/root', mountPoint: '/', fsType: 'ext4' });
    assert.equal(u.device, '/dev/root');
    assert.ok(u.limitBytes > 0);
    assert.ok(u.usageBytes > 0 && u.usageBytes <= u.limitBytes);
    assert.ok(u.availableBytes >= 0 && u.availableBytes <= u.limitBytes - u.usageBytes);
    assert.ok(u.inodes > 0 && u.inodesFree <= u.inodes);
    for (const v of Object.values(u)) if (typeof v === 'number') assert.ok(Number.isInteger(v));
  });
  it('throws for a missing mount point', () => {
    assert.throws(() =>
      statFilesystem({ device: 'x', mountPoint: '/nonexistent/x', fsType: 'ext4' }),
    );
  });
});
