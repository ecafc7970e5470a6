/** What `heapster top` lists. `system-containers` are the free (non-pod) containers of each node. */
export type TopKind = 'nodes' | 'pods' | 'containers' | 'system-containers' | 'namespaces';

/** One entity's latest usage. Undefined numbers are unknown (shown as `<unknown>`). */
export interface TopRow {
  /** Node name (system containers) — also the node's own name for `nodes`. */
  node?: string;
  namespace?: string;
  /** Pod of a container row. */
  pod?: string;
  name: string;
  cpuMillicores?: number;
  memoryBytes?: number;
  /** Allocatable (else capacity) of a node, for the % columns. */
  cpuCapacityMillicores?: number;
  memoryCapacityBytes?: number;
}

/** How to print a table. */
export interface TableOptions {
  /** Prefix rows with the NAMESPACE column (pods and containers with `-A`). */
  allNamespaces: boolean;
  noHeaders: boolean;
}

export const UNKNOWN = '<unknown>';

const MI = 1024 * 1024;

/** Millicores as kubectl prints CPU: rounded up, `153m`; `<unknown>` when undefined. */
export function formatCpu(millicores: number | undefined): string {
  if (millicores === undefined || !Number.isFinite(millicores)) return UNKNOWN;
  // A float like 153.0000001 from a rate must not become 154m.
  const m = Math.ceil(Math.round(millicores * 1e6) / 1e6);
  return `${m === 0 ? 0 : m}m`;
}

/** Bytes as kubectl prints memory: whole MiB rounded down, `1830Mi`; `<unknown>` when undefined. */
export function formatMemory(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return UNKNOWN;
  const mi = Math.floor(bytes / MI);
  return `${mi === 0 ? 0 : mi}Mi`;
}

/** used / capacity as kubectl prints it: whole percent rounded down, `32%`; `<unknown>` without a capacity. */
export function formatPercent(used: number | undefined, capacity: number | undefined): string {
  if (used === undefined || capacity === undefined || !(capacity > 0) || !Number.isFinite(used)) {
    return UNKNOWN;
  }
  return `${Math.floor((used * 100) / capacity)}%`;
}

/**
 * Aligns cells exactly like kubectl top's tabwriter (minwidth 6, padding 3, spaces, every cell
 * tab-terminated): every column, the last included, is padded to its widest cell + 3 and at
 * least 6 characters, so lines carry trailing spaces as kubectl's do (checked against kubectl
 * 1.32). Widths count code points. Returns lines each ending in `\n` ('' for no lines).
 */
export function renderTable(lines: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const cells of lines) {
    cells.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  }
  let out = '';
  for (const cells of lines) {
    let line = '';
    cells.forEach((c, i) => (line += c + ' '.repeat(Math.max(widths[i] + 3, 6) - [...c].length)));
    out += line + '\n';
  }
  return out;
}

const compareText = (a: string | undefined, b: string | undefined): number =>
  (a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0;

function byIdentity(a: TopRow, b: TopRow): number {
  return (
    compareText(a.namespace, b.namespace) ||
    compareText(a.node, b.node) ||
    compareText(a.pod, b.pod) ||
    compareText(a.name, b.name)
  );
}

/**
 * Sorts rows (a copy) as kubectl top does: by namespace, node, pod, name; with `sortBy`
 * descending by that value (unknown values last), ties in the default order.
 */
export function sortRows(rows: readonly TopRow[], sortBy?: 'cpu' | 'memory'): TopRow[] {
  const value = (r: TopRow): number | undefined =>
    sortBy === 'cpu' ? r.cpuMillicores : r.memoryBytes;
  return [...rows].sort((a, b) => {
    if (sortBy !== undefined) {
      const va = value(a);
      const vb = value(b);
      if (va !== vb) {
        if (va === undefined) return 1;
        if (vb === undefined) return -1;
        if (va !== vb) return vb - va;
      }
    }
    return byIdentity(a, b);
  });
}

/** Header cells of a kind's table. */
export function tableHeader(kind: TopKind, opts: TableOptions): string[] {
  const usage = ['CPU(cores)', 'MEMORY(bytes)'];
  switch (kind) {
    case 'nodes':
      return ['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%'];
    case 'pods':
      return [...(opts.allNamespaces ? ['NAMESPACE'] : []), 'NAME', ...usage];
    case 'containers':
      return [...(opts.allNamespaces ? ['NAMESPACE'] : []), 'POD', 'NAME', ...usage];
    case 'system-containers':
      return ['NODE', 'NAME', ...usage];
    case 'namespaces':
      return ['NAME', ...usage];
  }
}

/** Cells of one row of a kind's table. */
export function rowCells(kind: TopKind, row: TopRow, opts: TableOptions): string[] {
  const cpu = formatCpu(row.cpuMillicores);
  const mem = formatMemory(row.memoryBytes);
  const ns = opts.allNamespaces ? [row.namespace ?? ''] : [];
  switch (kind) {
    case 'nodes':
      return [
        row.name,
        cpu,
        formatPercent(row.cpuMillicores, row.cpuCapacityMillicores),
        mem,
        formatPercent(row.memoryBytes, row.memoryCapacityBytes),
      ];
    case 'pods':
      return [...ns, row.name, cpu, mem];
    case 'containers':
      return [...ns, row.pod ?? '', row.name, cpu, mem];
    case 'system-containers':
      return [row.node ?? '', row.name, cpu, mem];
    case 'namespaces':
      return [row.name, cpu, mem];
  }
}

/** The whole table for already sorted rows: header (unless `noHeaders`) and one line per row. */
export function formatTable(kind: TopKind, rows: readonly TopRow[], opts: TableOptions): string {
  const lines = rows.map((r) => rowCells(kind, r, opts));
  if (!opts.noHeaders) lines.unshift(tableHeader(kind, opts));
  return renderTable(lines);
}
