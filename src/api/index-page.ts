import type { Batch } from '../core/batch.js';
import { parseEntityKey } from '../core/keys.js';
import { MODEL_PREFIX } from './model.js';
import { formatRfc3339 } from './rfc3339.js';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function seg(s: string): string {
  return encodeURIComponent(s);
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

interface Entry {
  label: string;
  href: string;
}

function entries(batch: Batch | undefined) {
  const nodes: Entry[] = [];
  const sys: Entry[] = [];
  const pods: Entry[] = [];
  const namespaces: Entry[] = [];
  let cluster: Entry | undefined;
  for (const key of batch === undefined ? [] : [...batch.sets.keys()].sort()) {
    const e = parseEntityKey(key);
    switch (e?.type) {
      case 'cluster':
        cluster = { label: 'cluster', href: `${MODEL_PREFIX}/metrics/` };
        break;
      case 'node':
        nodes.push({ label: e.node, href: `${MODEL_PREFIX}/nodes/${seg(e.node)}/metrics/` });
        break;
      case 'sys_container':
        sys.push({
          label: `${e.node}: ${e.container}`,
          href: `${MODEL_PREFIX}/nodes/${seg(e.node)}/freecontainers/${seg(e.container)}/metrics/`,
        });
        break;
      case 'ns':
        namespaces.push({
          label: e.namespace,
          href: `${MODEL_PREFIX}/namespaces/${seg(e.namespace)}/metrics/`,
        });
        break;
      case 'pod':
        pods.push({
          label: `${e.namespace}/${e.pod}`,
          href: `${MODEL_PREFIX}/namespaces/${seg(e.namespace)}/pods/${seg(e.pod)}/metrics/`,
        });
        break;
      default:
        break;
    }
  }
  return { cluster, nodes, sys, namespaces, pods };
}

function list(title: string, items: readonly Entry[]): string {
  if (items.length === 0) return '';
  const lis = items
    .map((i) => `<li><a href="${escapeHtml(i.href)}">${escapeHtml(i.label)}</a></li>`)
    .join('\n');
  return `<h2>${escapeHtml(title)} (${items.length})</h2>\n<ul>\n${lis}\n</ul>\n`;
}

/** What the index page shows. */
export interface IndexPageInput {
  resolutionMs: number;
  latest: Batch | undefined;
}

/**
 * Renders `/`: a small HTML page with the resolution, the latest batch time, the entities of
 * the latest batch linked to their Model API metric lists, and links to the operational
 * endpoints. All text and attributes are escaped.
 */
export function renderIndexPage(input: IndexPageInput): string {
  const { cluster, nodes, sys, namespaces, pods } = entries(input.latest);
  const latest = input.latest === undefined ? 'none yet' : formatRfc3339(input.latest.timestampMs);
  const links: Entry[] = [
    { label: '/healthz', href: '/healthz' },
    { label: '/metrics', href: '/metrics' },
    { label: `${MODEL_PREFIX}/debug/allkeys`, href: `${MODEL_PREFIX}/debug/allkeys` },
    { label: `${MODEL_PREFIX}/nodes/`, href: `${MODEL_PREFIX}/nodes/` },
    { label: '/api/v1/metric-export-schema', href: '/api/v1/metric-export-schema' },
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Heapster</title>
</head>
<body>
<h1>Heapster</h1>
<p>Resolution: ${escapeHtml(formatDuration(input.resolutionMs))}. Latest batch: ${escapeHtml(latest)}.</p>
${list('Cluster', cluster ? [cluster] : [])}${list('Nodes', nodes)}${list('System containers', sys)}${list('Namespaces', namespaces)}${list('Pods', pods)}${list('Endpoints', links)}</body>
</html>
`;
}
