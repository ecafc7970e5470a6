// The machine's real (block-device or network) filesystems and their usage via statfs.
import { statfsSync } from 'node:fs';
import type { MountInfoEntry } from './proc.js';

/** A mounted filesystem worth reporting: one per device, at the first mount point seen. */
export interface RealFilesystem {
  /** Mount source, e.g. `/dev/vda`; the `resource_id` label of filesystem metrics. */
  readonly device: string;
  readonly mountPoint: string;
  readonly fsType: string;
}

/** Usage of one filesystem, in bytes and inodes. */
export interface FilesystemUsage {
  readonly device: string;
  /** (blocks − bfree) × bsize. */
  readonly usageBytes: number;
  /** blocks × bsize. */
  readonly limitBytes: number;
  /** bavail × bsize (what an unprivileged user may still write). */
  readonly availableBytes: number;
  readonly inodes: number;
  readonly inodesFree: number;
}

/** Filesystem types that never hold user data (kernel views, memory, image layers). */
const PSEUDO_FS = new Set([
  'autofs',
  'binfmt_misc',
  'bpf',
  'cgroup',
  'cgroup2',
  'configfs',
  'debugfs',
  'devpts',
  'devtmpfs',
  'efivarfs',
  'fusectl',
  'fuse.lxcfs',
  'fuse.gvfsd-fuse',
  'fuse.portal',
  'hugetlbfs',
  'mqueue',
  'nfsd',
  'nsfs',
  'overlay',
  'proc',
  'pstore',
  'ramfs',
  'rootfs',
  'rpc_pipefs',
  'securityfs',
  'selinuxfs',
  'squashfs',
  'sysfs',
  'tmpfs',
  'tracefs',
]);

/**
 * The real filesystems of a parsed mountinfo: pseudo filesystems (proc, sysfs, cgroup*,
 * tmpfs, devtmpfs, overlay, squashfs, nsfs, autofs, ...) are skipped, and each device is
 * listed once, at its first mount point. Pure.
 */
export function realFilesystems(entries: readonly MountInfoEntry[]): RealFilesystem[] {
  const seen = new Set<string>();
  const out: RealFilesystem[] = [];
  for (const e of entries) {
    if (PSEUDO_FS.has(e.fsType) || e.source === 'none' || e.source === '') continue;
    if (seen.has(e.source)) continue;
    seen.add(e.source);
    out.push({ device: e.source, mountPoint: e.mountPoint, fsType: e.fsType });
  }
  return out;
}

/** statfs of a mounted filesystem (synchronous; throws what statfs throws). */
export function statFilesystem(fs: RealFilesystem): FilesystemUsage {
  const s = statfsSync(fs.mountPoint);
  return {
    device: fs.device,
    usageBytes: (s.blocks - s.bfree) * s.bsize,
    limitBytes: s.blocks * s.bsize,
    availableBytes: s.bavail * s.bsize,
    inodes: s.files,
    inodesFree: s.ffree,
  };
}
