// cAdvisor's MachineInfo of this machine: static facts read once, filesystems per call.
import { readFileSync } from 'node:fs';
import type { MachineInfo } from '../sources/cadvisor/types.js';
import type { Housekeeper } from './housekeeper.js';
import type { NodeReader } from '../sources/cgroups/node-reader.js';

function readTrim(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** CPU frequency in kHz: cpufreq's maximum, else /proc/cpuinfo's "cpu MHz", else 0. */
function cpuFrequencyKhz(procRoot: string, sysRoot: string): number {
  const max = Number(readTrim(`${sysRoot}/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq`));
  if (Number.isFinite(max) && max > 0) return max;
  const m = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readTrim(`${procRoot}/cpuinfo`));
  return m ? Math.round(Number(m[1]) * 1000) : 0;
}

/**
 * Returns a function giving MachineInfo: cores, memory, ids and CPU frequency read once
 * now; filesystems from the housekeeper's latest root sample. Unknown facts are cAdvisor's
 * defaults (`cloud_provider: "Unknown"`, `instance_id: "None"`, empty lists).
 */
export function machineInfoProvider(
  node: NodeReader,
  hk: Housekeeper,
  roots: { procRoot: string; sysRoot: string },
): () => MachineInfo {
  const first = node.read();
  const base = {
    num_cores: first.cores ?? 0,
    cpu_frequency_khz: cpuFrequencyKhz(roots.procRoot, roots.sysRoot),
    memory_capacity: first.memTotalBytes ?? 0,
    machine_id: node.hostId() ?? '',
    system_uuid: readTrim(`${roots.sysRoot}/class/dmi/id/product_uuid`),
    boot_id: readTrim(`${roots.procRoot}/sys/kernel/random/boot_id`),
  };
  return () => {
    const root = hk.containers.get('/');
    const fs = root?.samples[root.samples.length - 1]?.filesystems ?? first.filesystems;
    return {
      ...base,
      filesystems: fs.map((f) => ({
        device: f.device,
        type: 'vfs',
        capacity: f.limitBytes,
        inodes: f.inodes,
        has_inodes: true,
      })),
      disk_map: {},
      network_devices: [],
      topology: [],
      cloud_provider: 'Unknown',
      instance_type: 'Unknown',
      instance_id: 'None',
    };
  };
}
