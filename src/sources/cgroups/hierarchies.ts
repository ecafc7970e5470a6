// Where the cgroup hierarchies that hold CPU and memory figures are mounted.
import type { MountInfoEntry } from './proc.js';

/** One cgroup hierarchy: its directory on this machine and its cgroup version. */
export interface CgroupHierarchy {
  readonly dir: string;
  readonly version: 1 | 2;
}

/** cgroup mounts found in mountinfo, mapped below the configured cgroup root. */
export interface CgroupMounts {
  /** v1 controller name (`cpu`, `cpuacct`, `memory`, `name=systemd`, ...) → first mount dir. */
  readonly v1: ReadonlyMap<string, string>;
  /** Directory of the first cgroup2 mount, if any. */
  readonly v2?: string;
}

/** Which hierarchy provides CPU usage and which provides memory (either may be missing). */
export interface CgroupLayout {
  readonly cpu?: CgroupHierarchy;
  readonly memory?: CgroupHierarchy;
}

const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * Maps a mount point to the configured cgroup root: a path at or below `/sys/fs/cgroup` is
 * re-rooted at `cgroupRoot` (so a host tree mounted at `/host/sys/fs/cgroup`, or a test
 * fixture, can stand in for it); any other path is kept.
 */
export function rerootCgroupPath(mountPoint: string, cgroupRoot: string): string {
  if (mountPoint === DEFAULT_CGROUP_ROOT) return cgroupRoot;
  if (mountPoint.startsWith(DEFAULT_CGROUP_ROOT + '/')) {
    return cgroupRoot + mountPoint.slice(DEFAULT_CGROUP_ROOT.length);
  }
  return mountPoint;
}

/**
 * Collects the cgroup v1 hierarchies (by controller, from the super options) and the first
 * cgroup2 mount of a parsed mountinfo. The first mount of a controller wins (later ones are
 * usually bind mounts of sub-trees). Pure.
 */
export function cgroupMounts(entries: readonly MountInfoEntry[], cgroupRoot: string): CgroupMounts {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const e of entries) {
    if (e.fsType === 'cgroup') {
      const dir = rerootCgroupPath(e.mountPoint, cgroupRoot);
      for (const opt of e.superOptions.split(',')) {
        if (opt === 'rw' || opt === 'ro' || opt === '' || v1.has(opt)) continue;
        v1.set(opt, dir);
      }
    } else if (e.fsType === 'cgroup2' && v2 === undefined) {
      v2 = rerootCgroupPath(e.mountPoint, cgroupRoot);
    }
  }
  return v2 === undefined ? { v1 } : { v1, v2 };
}

/**
 * Chooses the hierarchies: a controller mounted on v1 wins (`cpuacct` for CPU usage, `memory`
 * for memory); otherwise cgroup2 provides CPU (its `cpu.stat` always has `usage_usec`) and
 * memory when `v2RootControllers` (the root's `cgroup.controllers`) lists `memory`. Pure.
 */
export function chooseLayout(
  mounts: CgroupMounts,
  v2RootControllers: string | undefined,
): CgroupLayout {
  const cpuV1 = mounts.v1.get('cpuacct');
  const memV1 = mounts.v1.get('memory');
  const v2Memory =
    v2RootControllers !== undefined && v2RootControllers.split(/\s+/).includes('memory');
  const cpu: CgroupHierarchy | undefined =
    cpuV1 !== undefined
      ? { dir: cpuV1, version: 1 }
      : mounts.v2 !== undefined
        ? { dir: mounts.v2, version: 2 }
        : undefined;
  const memory: CgroupHierarchy | undefined =
    memV1 !== undefined
      ? { dir: memV1, version: 1 }
      : mounts.v2 !== undefined && v2Memory
        ? { dir: mounts.v2, version: 2 }
        : undefined;
  return { ...(cpu && { cpu }), ...(memory && { memory }) };
}
