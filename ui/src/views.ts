import type {
  DashboardEntityType,
  EntityJson,
  EntityRow,
  StatusJson,
} from '../../src/api/dashboard-types.js';
import { ApiError, fetchEntity } from './api.js';
import type { RangeSpec } from './api.js';
import { CHARTS, Chart } from './chart.js';
import { h, replace } from './dom.js';
import { formatBytes, formatCount, formatCpu, formatRate } from './format.js';
import { entityHref, listHref } from './routes.js';
import { EntityTable, usageCell } from './table.js';

/** A page of the dashboard. */
export interface View {
  readonly el: HTMLElement;
  /** Fetches and redraws (called on navigation, range change and every new tick). */
  refresh(): Promise<void>;
  dispose(): void;
}

/** What views need from the app. */
export interface ViewContext {
  range: () => RangeSpec;
  status: () => StatusJson | undefined;
  onError: (err: unknown) => void;
  /** Called after a view drew fresh data. */
  onDrawn: () => void;
}

/** Names of the entity types, singular and plural. */
export const TYPE_NAMES: Record<DashboardEntityType, { one: string; many: string }> = {
  cluster: { one: 'cluster', many: 'clusters' },
  node: { one: 'node', many: 'nodes' },
  sys_container: { one: 'system container', many: 'system containers' },
  ns: { one: 'namespace', many: 'namespaces' },
  pod: { one: 'pod', many: 'pods' },
  pod_container: { one: 'container', many: 'containers' },
};

function rangeMsOf(r: RangeSpec): number {
  return 'rangeMs' in r ? r.rangeMs : r.endMs - r.startMs;
}

/** Name of the only node when the overview covers one node (from the node table of the page). */
function crumbsNodeName(json: EntityJson): string | undefined {
  return json.onlyNode;
}

function card(title: string, ...body: (Node | string | null)[]): HTMLElement {
  return h('section', { class: 'card', 'aria-label': title }, h('h2', {}, title), ...body);
}

function cards(row: EntityRow, json: EntityJson, counts?: StatusJson['counts']): HTMLElement[] {
  const out: HTMLElement[] = [
    card(
      'CPU',
      usageCell(
        row.cpu.usage,
        row.cpu.request,
        row.cpu.limit,
        row.cpu.capacity,
        row.capacityOf,
        formatCpu,
        row.type,
      ),
      row.cpu.usage === undefined
        ? h('span', { class: 'sub' }, 'CPU usage is a rate: it appears from the second tick on.')
        : null,
    ),
    card(
      'Memory',
      usageCell(
        row.memory.usage,
        row.memory.request,
        row.memory.limit,
        row.memory.capacity,
        row.capacityOf,
        formatBytes,
        row.type,
      ),
      row.memory.workingSet !== undefined
        ? h('span', { class: 'sub' }, `working set ${formatBytes(row.memory.workingSet)}`)
        : null,
    ),
  ];
  if (row.network.rx !== undefined || row.network.tx !== undefined)
    out.push(
      card(
        'Network',
        h(
          'div',
          { class: 'usage' },
          h('span', { class: 'val' }, `↓ ${formatRate(row.network.rx)}`),
          h('span', { class: 'val' }, `↑ ${formatRate(row.network.tx)}`),
        ),
      ),
    );
  if (row.fs.usage !== undefined)
    out.push(
      card(
        'Filesystem',
        usageCell(row.fs.usage, undefined, row.fs.limit, undefined, 'own', formatBytes),
      ),
    );
  if (counts !== undefined) {
    const items = (['node', 'ns', 'pod', 'pod_container', 'sys_container'] as const)
      .filter((t) => counts[t] > 0 || t === 'node')
      .map((t) =>
        h(
          'li',
          {},
          h(
            'a',
            { href: listHref(t) },
            h('strong', {}, formatCount(counts[t])),
            ` ${counts[t] === 1 ? TYPE_NAMES[t].one : TYPE_NAMES[t].many}`,
          ),
        ),
      );
    out.push(card('Inventory', h('ul', { class: 'inventory' }, ...items)));
  }
  void json;
  return out;
}

/**
 * The page of one entity (the cluster's is the overview): breadcrumbs, current values, the four
 * charts, top-N tables (overview) and the tables of its children.
 */
export class EntityView implements View {
  readonly el: HTMLElement;
  private readonly head: HTMLElement;
  private readonly cardsEl: HTMLElement;
  private readonly charts: Chart[];
  private readonly tablesEl: HTMLElement;
  private tables: EntityTable[] = [];
  private tablesSig = '';
  private firstDrawn = false;

  constructor(
    private readonly key: string,
    private readonly ctx: ViewContext,
  ) {
    this.head = h('div', { class: 'head' });
    this.cardsEl = h('div', { class: 'cards' });
    this.charts = CHARTS.map((spec) => new Chart(spec));
    this.tablesEl = h('div', { class: 'tables' });
    this.el = h(
      'div',
      { class: 'view entity-view', 'data-key': key },
      this.head,
      this.cardsEl,
      h('section', { class: 'charts', 'aria-label': 'Charts' }, ...this.charts.map((c) => c.el)),
      this.tablesEl,
    );
  }

  async refresh(): Promise<void> {
    let json: EntityJson;
    try {
      json = await fetchEntity(this.key, this.ctx.range());
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        replace(
          this.el,
          h('h1', {}, 'Not found'),
          h(
            'p',
            { class: 'notice' },
            `${err.message}. It is neither in the latest tick nor in the stored history; it may have been deleted.`,
          ),
          h('p', {}, h('a', { href: '#/' }, '← Back to the overview')),
        );
        this.ctx.onDrawn();
        return;
      }
      this.ctx.onError(err);
      return;
    }
    this.drawHead(json);
    const status = this.ctx.status();
    replace(
      this.cardsEl,
      ...cards(json.entity, json, this.key === 'cluster' ? status?.counts : undefined),
    );
    const rangeMs = rangeMsOf(this.ctx.range());
    for (const c of this.charts) c.update(json.series, rangeMs);
    if (!this.firstDrawn) {
      this.firstDrawn = true;
      (window as { __heapsterFirstChartMs?: number }).__heapsterFirstChartMs = performance.now();
    }
    this.syncTables(json, status);
    await Promise.all(this.tables.map((t) => t.refresh()));
    this.ctx.onDrawn();
  }

  private drawHead(json: EntityJson): void {
    const e = json.entity;
    const crumbs = json.breadcrumbs;
    const status = this.ctx.status();
    let title: string;
    if (e.type === 'cluster') {
      const nodes = status?.counts.node ?? 0;
      const pods = status?.counts.pod ?? 0;
      title = nodes === 1 && pods === 0 ? 'This machine' : 'Cluster overview';
    } else
      title = `${TYPE_NAMES[e.type].one[0].toUpperCase()}${TYPE_NAMES[e.type].one.slice(1)} ${e.name}`;
    document.title = `${e.type === 'cluster' ? title : e.name} — Heapster`;
    const nav =
      crumbs.length > 1
        ? h(
            'nav',
            { class: 'crumbs', 'aria-label': 'Breadcrumb' },
            h(
              'ol',
              {},
              ...crumbs.map((c, i) =>
                h(
                  'li',
                  {},
                  i === crumbs.length - 1
                    ? h(
                        'span',
                        { 'aria-current': 'page' },
                        c.type === 'cluster' ? 'Overview' : c.name,
                      )
                    : h(
                        'a',
                        { href: entityHref(c.key) },
                        c.type === 'cluster' ? 'Overview' : `${c.name}`,
                      ),
                ),
              ),
            ),
          )
        : null;
    const meta: (Node | string)[] = [];
    if (e.node && e.type !== 'node')
      meta.push(h('span', {}, 'node ', h('a', { href: entityHref(`node:${e.node}`) }, e.node)));
    if (e.namespace && e.type !== 'ns')
      meta.push(
        h(
          'span',
          {},
          'namespace ',
          h('a', { href: entityHref(`namespace:${e.namespace}`) }, e.namespace),
        ),
      );
    if (json.summedOverNodes) {
      const nodes = status?.counts.node ?? 0;
      const only = nodes === 1 ? crumbsNodeName(json) : undefined;
      meta.push(
        only !== undefined
          ? h('span', {}, 'node ', h('a', { href: entityHref(`node:${only}`) }, only))
          : h('span', {}, `totals over ${formatCount(nodes)} nodes`),
      );
    }
    const labelEntries = Object.entries(json.labels).filter(([k, v]) => k !== 'type' && v !== '');
    // Keep the labels open across the refresh of every tick.
    const wasOpen = this.head.querySelector('details.labels')?.hasAttribute('open') ?? false;
    const labels =
      labelEntries.length > 0
        ? h(
            'details',
            { class: 'labels', open: wasOpen },
            h('summary', {}, `Labels (${labelEntries.length})`),
            h('dl', {}, ...labelEntries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
          )
        : null;
    replace(
      this.head,
      nav,
      h(
        'h1',
        {},
        e.type === 'cluster'
          ? title
          : h(
              'span',
              {},
              h('span', { class: `badge t-${e.type}` }, TYPE_NAMES[e.type].one),
              ' ',
              e.name,
            ),
      ),
      meta.length > 0
        ? h('p', { class: 'meta' }, ...meta.flatMap((m, i) => (i === 0 ? [m] : [' · ', m])))
        : null,
      labels,
    );
  }

  private syncTables(json: EntityJson, status: StatusJson | undefined): void {
    const specs: {
      type: DashboardEntityType;
      title: string;
      compact?: boolean;
      sort?: 'cpu' | 'memory' | 'name';
      pageSize: number;
      parent?: string;
      more?: boolean;
    }[] = [];
    const children = json.children.filter((c) => c.count > 0);
    if (this.key === 'cluster' && status !== undefined) {
      const topType: DashboardEntityType | undefined =
        status.counts.pod > 0
          ? 'pod'
          : status.counts.sys_container > 0
            ? 'sys_container'
            : undefined;
      if (topType) {
        const noun = TYPE_NAMES[topType].many;
        specs.push({
          type: topType,
          title: `Top 10 ${noun} by CPU`,
          compact: true,
          sort: 'cpu',
          pageSize: 10,
        });
        specs.push({
          type: topType,
          title: `Top 10 ${noun} by memory`,
          compact: true,
          sort: 'memory',
          pageSize: 10,
        });
      }
      for (const c of children)
        if (c.type === 'node' || c.type === 'ns')
          specs.push({
            type: c.type,
            title: `${TYPE_NAMES[c.type].many[0].toUpperCase()}${TYPE_NAMES[c.type].many.slice(1)} (${formatCount(c.count)})`,
            sort: 'cpu',
            pageSize: 20,
            more: true,
          });
    } else {
      for (const c of children) {
        const where =
          json.entity.type === 'node'
            ? 'on this node'
            : `in this ${TYPE_NAMES[json.entity.type].one}`;
        specs.push({
          type: c.type,
          parent: this.key,
          title: `${TYPE_NAMES[c.type].many[0].toUpperCase()}${TYPE_NAMES[c.type].many.slice(1)} ${where} (${formatCount(c.count)})`,
          sort: 'cpu',
          pageSize: 25,
        });
      }
    }
    const sig = specs.map((s) => `${s.type}|${s.parent}|${s.compact}|${s.title}`).join(';');
    if (sig === this.tablesSig) return;
    this.tablesSig = sig;
    this.tables = [];
    const sections: HTMLElement[] = [];
    const top: HTMLElement[] = [];
    for (const s of specs) {
      const noun = TYPE_NAMES[s.type].many;
      const t = new EntityTable({
        type: s.type,
        parent: s.parent,
        noun,
        caption: s.title,
        sort: s.sort ?? 'cpu',
        order: 'desc',
        pageSize: s.pageSize,
        compact: s.compact,
        range: this.ctx.range,
        onError: this.ctx.onError,
      });
      this.tables.push(t);
      const sec = h(
        'section',
        { class: s.compact ? 'table-section topn' : 'table-section', 'aria-label': s.title },
        h(
          'h2',
          {},
          s.title,
          s.more ? h('a', { class: 'more', href: listHref(s.type) }, `all ${noun} →`) : null,
        ),
        t.el,
      );
      (s.compact ? top : sections).push(sec);
    }
    replace(
      this.tablesEl,
      top.length > 0 ? h('div', { class: 'tops' }, ...top) : null,
      ...sections,
    );
  }

  dispose(): void {
    for (const c of this.charts) c.dispose();
  }
}

/** A full table of every entity of one type. */
export class ListView implements View {
  readonly el: HTMLElement;
  private readonly table: EntityTable;

  constructor(
    private readonly type: DashboardEntityType,
    private readonly ctx: ViewContext,
  ) {
    const names = TYPE_NAMES[type];
    const title = `${names.many[0].toUpperCase()}${names.many.slice(1)}`;
    document.title = `${title} — Heapster`;
    this.table = new EntityTable({
      type,
      noun: names.many,
      caption: `${title}, current values`,
      sort: 'cpu',
      order: 'desc',
      pageSize: 50,
      range: ctx.range,
      onError: ctx.onError,
    });
    this.el = h(
      'div',
      { class: 'view list-view', 'data-type': type },
      h(
        'nav',
        { class: 'crumbs', 'aria-label': 'Breadcrumb' },
        h(
          'ol',
          {},
          h('li', {}, h('a', { href: entityHref('cluster') }, 'Overview')),
          h('li', {}, h('span', { 'aria-current': 'page' }, title)),
        ),
      ),
      h('h1', {}, title),
      this.table.el,
    );
  }

  async refresh(): Promise<void> {
    await this.table.refresh();
    this.ctx.onDrawn();
  }

  dispose(): void {}
}
