import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { DashboardEntityType, StatusJson } from '../../src/api/dashboard-types.js';
import { ApiError, fetchStatus, UnreachableError } from './api.js';
import type { RangeSpec } from './api.js';
import { h, replace } from './dom.js';
import { formatClock, formatCount, formatDuration } from './format.js';
import { RANGES, listHref, parseHash, toHash } from './routes.js';
import type { Route } from './routes.js';
import { EntityView, ListView, TYPE_NAMES } from './views.js';
import type { View } from './views.js';

const LIST_TYPES: readonly DashboardEntityType[] = [
  'node',
  'ns',
  'pod',
  'pod_container',
  'sys_container',
];
const RETRY_MS = 5000;

/** Local datetime-local value of a time. */
function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/**
 * The dashboard: hash routing (`#/`, `#/list/<type>`, `#/e/<key>`, `?range=` or
 * `?start=&end=`), a status poll that refreshes the page on every new tick (relative ranges),
 * the empty state before the first tick and the error banner while the API is unreachable.
 * `document.body.dataset.state` is `loading | empty | ready | error` (tests wait on it).
 */
class App {
  private route: Route = { view: 'overview' };
  private range: RangeSpec = { rangeMs: RANGES[0].rangeMs };
  private status: StatusJson | undefined;
  private statusAtMs = 0;
  private view: View | undefined;
  private drawnLatestMs: number | null = null;
  private error: string | undefined;
  private refreshing = false;
  private readonly main = document.getElementById('main')!;
  private readonly banner = document.getElementById('banner')!;
  private readonly tabs = document.getElementById('tabs')!;
  private readonly rangeEl = document.getElementById('range')!;
  private readonly live = document.getElementById('live')!;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;

  start(): void {
    // The skip link must not change the hash (that is the router's).
    document.querySelector('a.skip')?.addEventListener('click', (ev) => {
      ev.preventDefault();
      this.main.focus();
    });
    window.addEventListener('hashchange', () => this.navigate());
    setInterval(() => this.tickClock(), 1000);
    this.navigate();
  }

  private setState(state: 'loading' | 'empty' | 'ready' | 'error'): void {
    document.body.dataset.state = state;
  }

  private navigate(): void {
    const { route, range } = parseHash(location.hash);
    this.route = route;
    this.range = range;
    this.view?.dispose();
    this.view = undefined;
    this.drawnLatestMs = null;
    this.renderRange();
    this.renderTabs();
    // The live/fixed label follows the range at once, before the data arrives.
    this.renderLive();
    void this.poll(true);
  }

  private makeView(): View {
    const ctx = {
      range: () => this.range,
      status: () => this.status,
      onError: (err: unknown) => this.showError(err),
      onDrawn: () => {
        if (this.error === undefined) this.setState('ready');
      },
    };
    const r = this.route;
    if (r.view === 'list' && (LIST_TYPES as readonly string[]).includes(r.type))
      return new ListView(r.type as DashboardEntityType, ctx);
    return new EntityView(r.view === 'entity' ? r.key : 'cluster', ctx);
  }

  /** Polls status; draws the view on navigation and whenever a new tick arrived. */
  private async poll(force = false): Promise<void> {
    clearTimeout(this.pollTimer);
    let next = RETRY_MS;
    try {
      const s = await fetchStatus();
      this.status = s;
      this.statusAtMs = Date.now();
      next = Math.min(5000, Math.max(1000, s.resolutionMs / 4));
      if (this.error !== undefined) {
        this.clearError();
        force = true;
      }
      this.renderTabs();
      if (s.latestMs === null) {
        this.view?.dispose();
        this.view = undefined;
        this.showEmpty();
      } else {
        const relative = 'rangeMs' in this.range;
        const fresh = this.view === undefined;
        if (fresh) {
          this.view = this.makeView();
          replace(this.main, this.view.el);
        }
        if (fresh || force || (relative && s.latestMs !== this.drawnLatestMs)) {
          this.drawnLatestMs = s.latestMs;
          await this.refreshView();
        }
      }
      this.renderLive();
    } catch (err) {
      this.showError(err);
    }
    this.pollTimer = setTimeout(() => void this.poll(), next);
  }

  private async refreshView(): Promise<void> {
    if (this.view === undefined || this.refreshing) return;
    this.refreshing = true;
    try {
      await this.view.refresh();
    } finally {
      this.refreshing = false;
    }
  }

  private showEmpty(): void {
    this.setState('empty');
    const s = this.status!;
    replace(
      this.main,
      h(
        'section',
        { class: 'empty-state', 'aria-labelledby': 'empty-title' },
        h('h1', { id: 'empty-title' }, 'No data yet'),
        h('p', { id: 'empty-eta' }, this.etaText()),
        h(
          'p',
          { class: 'muted' },
          `Heapster collects every ${formatDuration(s.resolutionMs)}; the charts fill in from the first tick on and keep ${formatDuration(s.retentionMs)} of history.`,
        ),
      ),
    );
  }

  private etaText(): string {
    const s = this.status;
    if (s === undefined) return '';
    const nowMs = s.nowMs + (Date.now() - this.statusAtMs);
    const inMs = s.nextTickMs - nowMs;
    return inMs > 500
      ? `The first tick arrives in ${formatDuration(inMs)}.`
      : 'The first tick is arriving now…';
  }

  private tickClock(): void {
    const eta = document.getElementById('empty-eta');
    if (eta) eta.textContent = this.etaText();
    this.renderLive();
  }

  private showError(err: unknown): void {
    const unreachable = err instanceof UnreachableError || err instanceof TypeError;
    const message = err instanceof Error ? err.message : String(err);
    this.error = message;
    this.setState('error');
    this.renderLive();
    const where = `${location.origin}${location.pathname}`;
    replace(
      this.banner,
      h(
        'div',
        { class: 'error', role: 'alert' },
        h(
          'strong',
          {},
          unreachable
            ? 'API unreachable. '
            : err instanceof ApiError
              ? `API error (${err.status}). `
              : 'Error. ',
        ),
        unreachable
          ? `Cannot reach the Heapster API at ${where} (${message}). Retrying every ${RETRY_MS / 1000} s; the page shows the last data it received.`
          : message,
      ),
    );
  }

  private clearError(): void {
    this.error = undefined;
    replace(this.banner);
  }

  private renderTabs(): void {
    const s = this.status;
    const r = this.route;
    const items: HTMLElement[] = [
      this.tab(
        'Overview',
        toHash({ view: 'overview' }, this.range),
        r.view === 'overview' || (r.view === 'entity' && r.key === 'cluster'),
      ),
    ];
    for (const t of LIST_TYPES) {
      const n = s?.counts[t] ?? 0;
      if (n === 0 && t !== 'node') continue;
      const label = TYPE_NAMES[t].many;
      items.push(
        this.tab(
          `${label[0].toUpperCase()}${label.slice(1)}`,
          listHref(t),
          r.view === 'list' && r.type === t,
          n,
        ),
      );
    }
    replace(this.tabs, h('ul', {}, ...items));
  }

  private tab(label: string, href: string, current: boolean, count?: number): HTMLElement {
    return h(
      'li',
      {},
      h(
        'a',
        { href, 'aria-current': current ? 'page' : undefined },
        label,
        count !== undefined ? h('span', { class: 'n' }, formatCount(count)) : null,
      ),
    );
  }

  private renderRange(): void {
    const r = this.range;
    const custom = !('rangeMs' in r) || !RANGES.some((x) => x.rangeMs === r.rangeMs);
    const go = (range: RangeSpec) => {
      location.hash = toHash(this.route, range);
    };
    const endMs = 'endMs' in r ? r.endMs : Date.now();
    const startMs = 'startMs' in r ? r.startMs : endMs - r.rangeMs;
    const from = h('input', {
      type: 'datetime-local',
      value: localInput(startMs),
      'aria-label': 'From',
    });
    const to = h('input', { type: 'datetime-local', value: localInput(endMs), 'aria-label': 'To' });
    const form = h(
      'form',
      {
        class: 'custom',
        hidden: !custom,
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          const s = new Date(from.value).getTime();
          const e = new Date(to.value).getTime();
          if (!(s < e)) {
            to.setCustomValidity('"To" must be after "From"');
            to.reportValidity();
            return;
          }
          to.setCustomValidity('');
          go({ startMs: s, endMs: e });
        },
      },
      from,
      '–',
      to,
      h('button', { type: 'submit' }, 'Apply'),
    );
    replace(
      this.rangeEl,
      h(
        'div',
        { role: 'group', 'aria-label': 'Time range', class: 'seg' },
        ...RANGES.map((x) =>
          h(
            'button',
            {
              type: 'button',
              'aria-pressed': String('rangeMs' in r && r.rangeMs === x.rangeMs),
              onclick: () => go({ rangeMs: x.rangeMs }),
            },
            x.label,
          ),
        ),
        h(
          'button',
          {
            type: 'button',
            'aria-pressed': String(custom),
            'aria-expanded': String(!form.hidden),
            onclick: () => {
              form.hidden = !form.hidden;
              if (!form.hidden) from.focus();
            },
          },
          'Custom…',
        ),
      ),
      form,
    );
  }

  private renderLive(): void {
    const s = this.status;
    if (this.error !== undefined) {
      replace(
        this.live,
        h('span', { class: 'dot bad', 'aria-hidden': 'true' }),
        s?.latestMs
          ? `Disconnected · showing data up to ${formatClock(s.latestMs)}`
          : 'Disconnected',
      );
      return;
    }
    if (s === undefined) return;
    const relative = 'rangeMs' in this.range;
    const dot = h('span', {
      class: `dot ${this.error ? 'bad' : relative ? 'on' : 'off'}`,
      'aria-hidden': 'true',
    });
    if (s.latestMs === null) {
      replace(
        this.live,
        dot,
        `waiting for the first tick (every ${formatDuration(s.resolutionMs)})`,
      );
      return;
    }
    const nowMs = s.nowMs + (Date.now() - this.statusAtMs);
    replace(
      this.live,
      dot,
      relative ? 'Live' : 'Fixed range (live paused)',
      ` · last tick ${formatClock(s.latestMs)} (${formatDuration(nowMs - s.latestMs)} ago) · every ${formatDuration(s.resolutionMs)}`,
    );
  }
}

new App().start();
