import type { DashboardEntityType, EntityRow } from '../../src/api/dashboard-types.js';
import { fetchEntities } from './api.js';
import type { RangeSpec } from './api.js';
import { h, replace, sparkline } from './dom.js';
import { formatBytes, formatCount, formatCpu, formatPct, formatRate } from './format.js';
import { entityHref } from './routes.js';

/** Sort orders the API accepts. */
export type SortKey = 'name' | 'cpu' | 'memory' | 'network' | 'fs' | 'namespace' | 'node';

/** What a table shows and how. */
export interface TableOptions {
  type: DashboardEntityType;
  /** Parent entity key (node, namespace, pod); absent = every entity of the type. */
  parent?: string;
  /** Noun for captions and messages, plural: `pods`. */
  noun: string;
  caption: string;
  sort: SortKey;
  order: 'asc' | 'desc';
  pageSize: number;
  /** Top-N table: no paging, filter or sortable headers. */
  compact?: boolean;
  /** Range of the sparklines. */
  range: () => RangeSpec;
  onError: (err: unknown) => void;
}

interface Column {
  title: string;
  sort?: SortKey;
  cls?: string;
  cell: (r: EntityRow) => Node | string;
}

function link(text: string, key: string): HTMLAnchorElement {
  return h('a', { href: entityHref(key) }, text);
}

/** Utilisation of `usage` against the limit if set, else the capacity; undefined when neither. */
export function utilisation(
  usage: number | undefined,
  limit: number | undefined,
  capacity: number | undefined,
  capacityOf: EntityRow['capacityOf'],
  type?: EntityRow['type'],
): { ratio: number; of: string } | undefined {
  if (usage === undefined) return undefined;
  // A node's or the cluster's limits are sums of its pods' limits: its ceiling is its capacity.
  const own = type === 'node' || type === 'cluster';
  if (!own && limit !== undefined && limit > 0) return { ratio: usage / limit, of: 'limit' };
  if (capacity !== undefined && capacity > 0)
    return {
      ratio: usage / capacity,
      of: capacityOf === 'node' ? 'node' : capacityOf === 'cluster' ? 'cluster' : 'capacity',
    };
  return undefined;
}

/** A value with its utilisation bar and the denominators people compare it with. */
export function usageCell(
  usage: number | undefined,
  req: number | undefined,
  limit: number | undefined,
  capacity: number | undefined,
  capacityOf: EntityRow['capacityOf'],
  fmt: (v: number | undefined) => string,
  type?: EntityRow['type'],
): HTMLElement {
  const u = utilisation(usage, limit, capacity, capacityOf, type);
  const extra: string[] = [];
  if (u && u.of !== 'limit' && capacity !== undefined) extra.push(`of ${fmt(capacity)}`);
  if (req !== undefined && req > 0) extra.push(`req ${fmt(req)}`);
  if (limit !== undefined && limit > 0) extra.push(`lim ${fmt(limit)}`);
  const level = u === undefined ? '' : u.ratio >= 0.9 ? 'hot' : u.ratio >= 0.7 ? 'warm' : 'ok';
  return h(
    'div',
    { class: 'usage' },
    h('span', { class: 'val' }, fmt(usage)),
    u ? h('span', { class: 'pct' }, `${formatPct(u.ratio)} of ${u.of}`) : null,
    u
      ? h(
          'span',
          { class: `bar ${level}`, 'aria-hidden': 'true' },
          h('span', { style: `width:${Math.min(100, Math.max(0, u.ratio * 100)).toFixed(1)}%` }),
        )
      : null,
    extra.length > 0 ? h('span', { class: 'sub' }, extra.join(' · ')) : null,
  );
}

function columns(type: DashboardEntityType, compact: boolean, parent?: string): Column[] {
  const cols: Column[] = [
    { title: 'Name', sort: 'name', cls: 'name', cell: (r) => link(r.name, r.key) },
  ];
  if (type === 'pod' || type === 'pod_container' || type === 'ns') {
    if (type !== 'ns')
      cols.push({
        title: 'Namespace',
        sort: 'namespace',
        cell: (r) => (r.namespace ? link(r.namespace, `namespace:${r.namespace}`) : '—'),
      });
  }
  if (type === 'pod_container')
    cols.push({
      title: 'Pod',
      cell: (r) =>
        r.pod && r.namespace ? link(r.pod, `namespace:${r.namespace}/pod:${r.pod}`) : '—',
    });
  if ((type === 'pod' || type === 'sys_container') && !compact && !parent?.startsWith('node:'))
    cols.push({
      title: 'Node',
      sort: 'node',
      cell: (r) => (r.node ? link(r.node, `node:${r.node}`) : '—'),
    });
  cols.push({
    title: 'CPU',
    sort: 'cpu',
    cls: 'num',
    cell: (r) =>
      usageCell(
        r.cpu.usage,
        r.cpu.request,
        r.cpu.limit,
        r.cpu.capacity,
        r.capacityOf,
        formatCpu,
        r.type,
      ),
  });
  if (!compact)
    cols.push({
      title: 'CPU trend',
      cls: 'trend',
      cell: (r) => (r.spark && r.spark.cpu.length > 0 ? sparkline(r.spark.cpu, 'cpu') : '—'),
    });
  cols.push({
    title: 'Memory',
    sort: 'memory',
    cls: 'num',
    cell: (r) =>
      usageCell(
        r.memory.usage,
        r.memory.request,
        r.memory.limit,
        r.memory.capacity,
        r.capacityOf,
        formatBytes,
        r.type,
      ),
  });
  if (!compact)
    cols.push({
      title: 'Memory trend',
      cls: 'trend',
      cell: (r) => (r.spark && r.spark.memory.length > 0 ? sparkline(r.spark.memory, 'mem') : '—'),
    });
  if ((type === 'node' || type === 'pod') && !compact)
    cols.push({
      title: 'Network in / out',
      sort: 'network',
      cls: 'num',
      cell: (r) =>
        r.network.rx === undefined && r.network.tx === undefined
          ? '—'
          : `${formatRate(r.network.rx)} / ${formatRate(r.network.tx)}`,
    });
  if (type === 'node' && !compact)
    cols.push({
      title: 'Filesystem',
      sort: 'fs',
      cls: 'num',
      cell: (r) => usageCell(r.fs.usage, undefined, r.fs.limit, undefined, 'own', formatBytes),
    });
  return cols;
}

/**
 * A server-paged, server-sorted table of entities: at most `pageSize` rows are in the DOM, so a
 * table of 150,000 pods stays fast. Sortable headers are buttons (aria-sort on the header),
 * the filter is a labelled search box, paging buttons say what they do.
 */
export class EntityTable {
  readonly el: HTMLElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly thead: HTMLTableSectionElement;
  private readonly pager: HTMLElement;
  private readonly cols: Column[];
  private offset = 0;
  private filter = '';
  private seq = 0;

  constructor(private readonly opts: TableOptions) {
    this.cols = columns(opts.type, opts.compact ?? false, opts.parent);
    this.thead = h('thead');
    this.tbody = h('tbody');
    this.pager = h('div', { class: 'pager' });
    const table = h(
      'table',
      { class: 'entities', 'data-type': opts.type },
      h('caption', { class: 'sr-only' }, opts.caption),
      this.thead,
      this.tbody,
    );
    const tools = opts.compact
      ? null
      : h(
          'div',
          { class: 'tools' },
          h(
            'label',
            {},
            `Filter ${opts.noun} `,
            h('input', {
              type: 'search',
              placeholder: 'name, namespace or node',
              oninput: debounce((ev: Event) => {
                this.filter = (ev.target as HTMLInputElement).value.trim();
                this.offset = 0;
                void this.refresh();
              }, 250),
            }),
          ),
        );
    this.el = h(
      'div',
      { class: 'table-wrap' },
      tools,
      h('div', { class: 'scroll' }, table),
      opts.compact ? null : this.pager,
    );
    this.renderHead();
  }

  private renderHead(): void {
    const o = this.opts;
    const tr = h('tr');
    for (const c of this.cols) {
      const active = c.sort !== undefined && c.sort === o.sort;
      const ariaSort = active ? (o.order === 'asc' ? 'ascending' : 'descending') : undefined;
      const label =
        c.sort === undefined || o.compact
          ? c.title
          : h(
              'button',
              {
                type: 'button',
                class: 'sort',
                onclick: () => {
                  if (o.sort === c.sort) o.order = o.order === 'asc' ? 'desc' : 'asc';
                  else {
                    o.sort = c.sort!;
                    o.order =
                      c.sort === 'name' || c.sort === 'namespace' || c.sort === 'node'
                        ? 'asc'
                        : 'desc';
                  }
                  this.offset = 0;
                  this.renderHead();
                  void this.refresh();
                },
              },
              c.title,
              h(
                'span',
                { class: 'arrow', 'aria-hidden': 'true' },
                active ? (o.order === 'asc' ? '▲' : '▼') : '',
              ),
            );
      tr.appendChild(h('th', { scope: 'col', class: c.cls, 'aria-sort': ariaSort }, label));
    }
    replace(this.thead, tr);
  }

  /** Fetches and draws the current page. */
  async refresh(): Promise<void> {
    const o = this.opts;
    const seq = ++this.seq;
    this.el.setAttribute('aria-busy', 'true');
    try {
      const res = await fetchEntities({
        type: o.type,
        parent: o.parent,
        sort: o.sort,
        order: o.order,
        offset: this.offset,
        limit: o.pageSize,
        filter: this.filter,
        range: o.compact ? undefined : o.range(),
      });
      if (seq !== this.seq) return;
      if (res.total > 0 && this.offset >= res.total) {
        this.offset = Math.max(0, Math.floor((res.total - 1) / o.pageSize) * o.pageSize);
        return this.refresh();
      }
      this.draw(res.rows, res.total);
    } catch (err) {
      if (seq === this.seq) o.onError(err);
    } finally {
      if (seq === this.seq) this.el.removeAttribute('aria-busy');
    }
  }

  private draw(rows: EntityRow[], total: number): void {
    const o = this.opts;
    if (rows.length === 0) {
      replace(
        this.tbody,
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: this.cols.length, class: 'none' },
            this.filter
              ? `No ${o.noun} match “${this.filter}”.`
              : `No ${o.noun} in the latest tick.`,
          ),
        ),
      );
    } else {
      const frag = document.createDocumentFragment();
      for (const r of rows) {
        const tr = h('tr', { 'data-key': r.key });
        for (const c of this.cols) tr.appendChild(h('td', { class: c.cls }, c.cell(r)));
        frag.appendChild(tr);
      }
      replace(this.tbody, frag);
    }
    if (o.compact) return;
    const from = total === 0 ? 0 : this.offset + 1;
    const to = Math.min(total, this.offset + o.pageSize);
    replace(
      this.pager,
      h(
        'span',
        { class: 'count', 'aria-live': 'polite' },
        `${o.noun[0].toUpperCase()}${o.noun.slice(1)} ${formatCount(from)}–${formatCount(to)} of ${formatCount(total)}`,
      ),
      h(
        'button',
        {
          type: 'button',
          disabled: this.offset === 0,
          'aria-label': `Previous ${o.pageSize} ${o.noun}`,
          onclick: () => {
            this.offset = Math.max(0, this.offset - o.pageSize);
            void this.refresh();
          },
        },
        '‹ Previous',
      ),
      h(
        'button',
        {
          type: 'button',
          disabled: to >= total,
          'aria-label': `Next ${o.pageSize} ${o.noun}`,
          onclick: () => {
            this.offset += o.pageSize;
            void this.refresh();
          },
        },
        'Next ›',
      ),
    );
  }
}

function debounce(fn: (ev: Event) => void, ms: number): (ev: Event) => void {
  let t: ReturnType<typeof setTimeout> | undefined;
  return (ev) => {
    clearTimeout(t);
    t = setTimeout(() => fn(ev), ms);
  };
}
