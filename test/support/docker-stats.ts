// What `docker stats --no-stream` prints, parsed, for comparing our figures with Docker's.
import type { Dockerd } from './docker.js';

const UNITS: Record<string, number> = {
  B: 1,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
};

/** Parses a docker CLI size (`100.9MiB`, `552KiB`, `0B`, `1.2kB`) into bytes. */
export function parseDockerSize(text: string): number {
  const m = /^\s*([0-9.]+)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!m || UNITS[m[2]] === undefined)
    throw new Error(`not a docker size: ${JSON.stringify(text)}`);
  return Number(m[1]) * UNITS[m[2]];
}

/** One row of `docker stats --no-stream --format '{{json .}}'`. */
export interface DockerStatsRow {
  readonly Name: string;
  readonly CPUPerc: string;
  /** `used / limit`, e.g. `100.9MiB / 23.54GiB`: used = usage − inactive file pages. */
  readonly MemUsage: string;
}

/** `docker stats --no-stream` of one container: its MEM USAGE in bytes and CPU %. */
export async function dockerStatsOf(
  d: Dockerd,
  name: string,
): Promise<{ memUsageBytes: number; cpuPercent: number }> {
  const out = await d.docker(['stats', '--no-stream', '--format', '{{json .}}', name]);
  const row = JSON.parse(out.split('\n')[0]) as DockerStatsRow;
  return {
    memUsageBytes: parseDockerSize(row.MemUsage.split('/')[0]),
    cpuPercent: Number(row.CPUPerc.replace('%', '')),
  };
}
