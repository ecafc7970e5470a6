// Network counters: physical interfaces of the node, and the netns of a container's process.
import { existsSync, readlinkSync } from 'node:fs';
import type { NetDevEntry } from './proc.js';
import { parseNetDev } from './proc.js';
import { readSmallFile } from './read-file.js';

/** Cumulative network counters summed over interfaces. */
export interface NetworkCounters {
  rxBytes: number;
  rxErrors: number;
  txBytes: number;
  txErrors: number;
}

const VIRTUAL_PREFIXES = [
  'veth',
  'docker',
  'br-',
  'cni',
  'flannel',
  'cali',
  'virbr',
  'tun',
  'tap',
  'vxlan',
  'weave',
  'kube-',
  'cilium',
  'lxc',
];

/**
 * True for interface names that are never physical whatever sysfs says: `lo` and the bridges,
 * veths and tunnels of container networking (veth*, docker*, br-*, cni*, flannel*, cali*,
 * virbr*, tun*, tap*, ...).
 */
export function isVirtualInterfaceName(name: string): boolean {
  if (name === 'lo') return true;
  for (const p of VIRTUAL_PREFIXES) if (name.startsWith(p)) return true;
  return false;
}

/**
 * Decides which interfaces are physical: those with `<sysRoot>/class/net/<if>/device` and a
 * non-virtual name. Answers are cached for `ttlMs` (interfaces rarely come and go).
 */
export class PhysicalInterfaces {
  private readonly answers = new Map<string, boolean>();
  private expiresAtMs = 0;

  constructor(
    private readonly sysRoot: string,
    private readonly ttlMs: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  isPhysical(name: string): boolean {
    const now = this.nowMs();
    if (now >= this.expiresAtMs) {
      this.answers.clear();
      this.expiresAtMs = now + this.ttlMs;
    }
    let answer = this.answers.get(name);
    if (answer === undefined) {
      answer =
        !isVirtualInterfaceName(name) && existsSync(`${this.sysRoot}/class/net/${name}/device`);
      this.answers.set(name, answer);
    }
    return answer;
  }
}

/** Sums the counters of the interfaces `include` accepts; undefined when none is accepted. */
export function sumInterfaces(
  entries: readonly NetDevEntry[],
  include: (name: string) => boolean,
): NetworkCounters | undefined {
  let out: NetworkCounters | undefined;
  for (const e of entries) {
    if (!include(e.name)) continue;
    out ??= { rxBytes: 0, rxErrors: 0, txBytes: 0, txErrors: 0 };
    out.rxBytes += e.rxBytes;
    out.rxErrors += e.rxErrors;
    out.txBytes += e.txBytes;
    out.txErrors += e.txErrors;
  }
  return out;
}

/** `readlink <procRoot>/<pid>/ns/net`, e.g. `net:[4026531833]`. Throws the fs error. */
export function netnsOf(procRoot: string, pid: number | 'self' | 1): string {
  return readlinkSync(`${procRoot}/${pid}/ns/net`);
}

/**
 * Network counters of the netns `pid` lives in, summed over its non-`lo` interfaces, when
 * that netns differs from `hostNetns`; undefined when it is the host's (the node reports
 * those). Throws the fs error when the process is gone.
 */
export function containerNetwork(
  procRoot: string,
  pid: number,
  hostNetns: string,
): NetworkCounters | undefined {
  if (netnsOf(procRoot, pid) === hostNetns) return undefined;
  const entries = parseNetDev(readSmallFile(`${procRoot}/${pid}/net/dev`));
  // A netns of its own with only `lo` has sent and received nothing: zeros, not unknown.
  return (
    sumInterfaces(entries, notLoopback) ?? { rxBytes: 0, rxErrors: 0, txBytes: 0, txErrors: 0 }
  );
}

function notLoopback(name: string): boolean {
  return name !== 'lo';
}
