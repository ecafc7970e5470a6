// cAdvisor's JSON types (info/v1/container.go, info/v1/machine.go, info/v2/container.go),
// as far as the agent serves them and the cadvisor source reads them. Field names are
// cAdvisor's exactly; times are RFC 3339 strings; every numeric field is a JSON number.

/** v1 `ContainerReference`: how a container is named. */
export interface ContainerReference {
  id?: string;
  /** Absolute cgroup name, unique on the machine, e.g. `/docker/<id>`. */
  name: string;
  /** Other names within `namespace`, e.g. `["busy", "<64-hex id>"]` for Docker. */
  aliases?: string[];
  namespace?: string;
}

/** v1 `CpuSpec`. */
export interface CpuSpec {
  limit: number;
  max_limit: number;
  mask?: string;
  quota?: number;
  period?: number;
}

/** v1 `MemorySpec`. */
export interface MemorySpec {
  limit?: number;
  reservation?: number;
  swap_limit?: number;
}

/** v1 `ContainerSpec`. */
export interface ContainerSpec {
  creation_time?: string;
  labels?: Record<string, string>;
  envs?: Record<string, string>;
  has_cpu: boolean;
  cpu?: CpuSpec;
  has_memory: boolean;
  memory?: MemorySpec;
  has_network: boolean;
  has_filesystem: boolean;
  has_diskio: boolean;
  has_custom_metrics: boolean;
  image?: string;
}

/** v1 `CpuUsage` (ns). */
export interface CpuUsage {
  total: number;
  per_cpu_usage?: number[];
  user: number;
  system: number;
}

/** v1 `CpuStats`. */
export interface CpuStats {
  usage: CpuUsage;
  cfs?: { periods: number; throttled_periods: number; throttled_time: number };
  load_average: number;
}

/** v1 `MemoryStatsMemoryData`. */
export interface MemoryData {
  pgfault: number;
  pgmajfault: number;
}

/** v1 `MemoryStats` (bytes). */
export interface MemoryStats {
  usage: number;
  max_usage?: number;
  cache: number;
  rss: number;
  swap?: number;
  mapped_file?: number;
  working_set: number;
  failcnt: number;
  container_data: MemoryData;
  hierarchical_data: MemoryData;
}

/** v1 `InterfaceStats`. */
export interface InterfaceStats {
  name: string;
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** v1 `NetworkStats`: the default interface inline, plus every interface. */
export interface NetworkStats extends InterfaceStats {
  interfaces?: InterfaceStats[];
}

/** v1 `PerDiskStats`. */
export interface PerDiskStats {
  device?: string;
  major: number;
  minor: number;
  stats: Record<string, number>;
}

/** v1 `DiskIoStats`. */
export interface DiskIoStats {
  io_service_bytes?: PerDiskStats[];
  io_serviced?: PerDiskStats[];
}

/** v1 `FsStats` (bytes). */
export interface FsStats {
  device: string;
  type: string;
  /** Absent in the agent's answers for a container's writable layer (a directory). */
  capacity?: number;
  usage: number;
  base_usage?: number;
  available?: number;
  has_inodes?: boolean;
  inodes?: number;
  inodes_free?: number;
}

/** v1 `ContainerStats`: one housekeeping sample. */
export interface ContainerStats {
  timestamp: string;
  cpu?: CpuStats;
  diskio?: DiskIoStats;
  memory?: MemoryStats;
  network?: NetworkStats;
  filesystem?: FsStats[];
  task_stats?: Record<string, number>;
}

/** v1 `ContainerInfo`: reference, subcontainers, spec and stats (oldest first). */
export interface ContainerInfo extends ContainerReference {
  subcontainers?: ContainerReference[];
  spec: ContainerSpec;
  stats?: ContainerStats[];
}

/** v1 `FsInfo` of MachineInfo. */
export interface MachineFsInfo {
  device: string;
  type: string;
  capacity: number;
  inodes?: number;
  has_inodes: boolean;
}

/** v1 `MachineInfo` (the fields the agent knows). */
export interface MachineInfo {
  timestamp?: string;
  num_cores: number;
  cpu_frequency_khz: number;
  memory_capacity: number;
  machine_id: string;
  system_uuid: string;
  boot_id: string;
  filesystems: MachineFsInfo[];
  disk_map: Record<string, unknown>;
  network_devices: { name: string; mac_address: string; speed: number; mtu: number }[];
  topology: unknown[];
  cloud_provider: string;
  instance_type: string;
  instance_id: string;
}

/** v2 `ContainerSpec`: the v1 spec with the reference's aliases and namespace. */
export interface ContainerSpecV2 {
  creation_time?: string;
  aliases?: string[];
  namespace?: string;
  labels?: Record<string, string>;
  envs?: Record<string, string>;
  has_cpu: boolean;
  cpu?: CpuSpec;
  has_memory: boolean;
  memory?: MemorySpec;
  has_hugetlb: boolean;
  has_custom_metrics: boolean;
  has_processes: boolean;
  has_network: boolean;
  has_filesystem: boolean;
  has_diskio: boolean;
  image?: string;
}

/** v2 `NetworkStats`. */
export interface NetworkStatsV2 {
  interfaces?: InterfaceStats[];
}

/** v2 `FilesystemStats`. */
export interface FilesystemStatsV2 {
  totalUsageBytes?: number;
  baseUsageBytes?: number;
}

/** v2 `CpuInstStats`: instantaneous usage, nanocores. */
export interface CpuInstStats {
  usage: { total: number; user: number; system: number };
}

/** v2 `ContainerStats`: absent sections are left out. */
export interface ContainerStatsV2 {
  timestamp: string;
  cpu?: CpuStats;
  cpu_inst?: CpuInstStats;
  diskio?: DiskIoStats;
  memory?: MemoryStats;
  network?: NetworkStatsV2;
  filesystem?: FilesystemStatsV2;
}

/** v2 `Percentiles` (cpu: millicores; memory: bytes). */
export interface Percentiles {
  present: boolean;
  mean: number;
  max: number;
  fifty: number;
  ninety: number;
  ninetyfive: number;
}

/** v2 `Usage` over a period. */
export interface UsageV2 {
  percent_complete: number;
  cpu: Percentiles;
  memory: Percentiles;
}

/** v2 `DerivedStats` (`/api/v2.0/summary`). */
export interface DerivedStats {
  timestamp: string;
  latest_usage: { cpu: number; memory: number };
  minute_usage: UsageV2;
  hour_usage: UsageV2;
  day_usage: UsageV2;
}
