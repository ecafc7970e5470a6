import { readFileSync } from 'node:fs';

/** One InfluxQL query of the original Heapster's Grafana dashboards. */
export interface DashboardQuery {
  /** Dashboard file, e.g. `cluster.json` or `influxdb_withfields/pods.json`. */
  file: string;
  /** The query with Grafana's `$timeFilter`, `$interval` and template variables unfilled. */
  text: string;
}

/**
 * Every `SELECT`/`SHOW` query of test/testdata/grafana/QUERIES.md (the original's dashboards
 * rendered to InfluxQL), except the eventer's (`events` dashboards).
 */
export function dashboardQueries(): DashboardQuery[] {
  const md = readFileSync(new URL('../testdata/grafana/QUERIES.md', import.meta.url), 'utf8');
  const out: DashboardQuery[] = [];
  let file = '';
  for (const line of md.split('\n')) {
    const h = /^## (\S+)/.exec(line);
    if (h) file = h[1];
    if (file.includes('events')) continue; // eventer schema
    for (const m of line.matchAll(/`((?:SELECT|SHOW) [^`]+)`/g)) out.push({ file, text: m[1] });
  }
  return out;
}

/** Values Grafana substitutes into a dashboard query. */
export interface GrafanaFill {
  /** InfluxQL time predicate for `$timeFilter`, e.g. `time > now() - 5m`. */
  timeFilter: string;
  /** Duration for `$interval`, e.g. `1s`. */
  interval: string;
  /** Template variables without the `$`: nodename, namespace, podname. */
  vars: Record<string, string>;
}

/** Fills `$timeFilter`, `$interval` and the template variables as Grafana would. */
export function fillQuery(q: string, f: GrafanaFill): string {
  let out = q.replaceAll('$timeFilter', f.timeFilter).replaceAll('$interval', f.interval);
  for (const [k, v] of Object.entries(f.vars)) out = out.replaceAll(`$${k}`, v);
  return out;
}
