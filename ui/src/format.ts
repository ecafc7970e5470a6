/** Human units for the dashboard. Pure functions (tested in test/dashboard-format.test.ts). */

const DASH = '—';

function sig(v: number): string {
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1).replace(/\.0$/, '');
  return v.toFixed(2).replace(/\.?0+$/, '');
}

/** Millicores as people read them: `250m` below one core, `1.25 cores` above. */
export function formatCpu(millicores: number | null | undefined): string {
  if (millicores === null || millicores === undefined || !Number.isFinite(millicores)) return DASH;
  if (Math.abs(millicores) < 1000) {
    return `${Math.abs(millicores) < 10 && millicores !== 0 ? sig(millicores) : Math.round(millicores)}m`;
  }
  const cores = millicores / 1000;
  return `${sig(cores)} ${cores === 1 ? 'core' : 'cores'}`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes in binary units with three significant digits: `512 MiB`, `1.5 GiB`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return DASH;
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(v) : sig(v)} ${BYTE_UNITS[i]}`;
}

/** Bytes per second: `1.2 MiB/s`. */
export function formatRate(bytesPerS: number | null | undefined): string {
  const b = formatBytes(bytesPerS);
  return b === DASH ? b : `${b}/s`;
}

/** A ratio as a percentage: `42%`, `<1%` for small non-zero values. */
export function formatPct(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return DASH;
  if (ratio > 0 && ratio < 0.005) return '<1%';
  return `${Math.round(ratio * 100)}%`;
}

/** A count with thousands separators: `150,000`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A duration in whole seconds, minutes or hours: `45 s`, `3 min`, `2 h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** Local wall-clock time `HH:MM:SS`. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Value formatter for a unit kind. */
export function formatterFor(unit: 'cpu' | 'bytes' | 'rate'): (v: number | null) => string {
  return unit === 'cpu' ? formatCpu : unit === 'bytes' ? formatBytes : formatRate;
}
