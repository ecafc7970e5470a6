// Generates deploy/grafana/dashboards/*.json (Grafana 8+ JSON, InfluxDB datasource, raw
// InfluxQL) for heapster's default InfluxDB schema.
// Run: node deploy/grafana/generate-dashboards.mjs && npx prettier --write deploy/grafana/dashboards
import { writeFileSync } from 'node:fs';
const CLUSTER = `"cluster_name" =~ /^$cluster$/`;
const T = '$timeFilter';
const G = 'GROUP BY time($__interval)';
/** `SELECT <agg>("value") FROM "<metric>" WHERE type = '<type>' AND cluster AND <cond> GROUP BY time[, <by>]`. */
function q(metric, type, cond, by, agg = 'sum') {
  const where = [`"type" = '${type}'`, CLUSTER, ...cond, T].join(' AND ');
  return `SELECT ${agg}("value") FROM "${metric}" WHERE ${where} ${G}${by ? `, "${by}"` : ''} fill(null)`;
}
function panel(p, id, x, y, w = 12, h = 8) {
  return {
    id,
    type: 'timeseries',
    title: p.title,
    datasource: { type: 'influxdb', uid: '${datasource}' },
    gridPos: { x, y, w, h },
    fieldConfig: {
      defaults: {
        unit: p.unit,
        custom: { fillOpacity: p.stack ? 30 : 10, stacking: { mode: p.stack ? 'normal' : 'none' } },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] },
    },
    targets: p.targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      rawQuery: true,
      resultFormat: 'time_series',
      alias: t.alias,
      query: t.query,
      datasource: { type: 'influxdb', uid: '${datasource}' },
    })),
  };
}
function variable(name, label, query, opts = {}) {
  return {
    name,
    label,
    type: 'query',
    datasource: { type: 'influxdb', uid: '${datasource}' },
    query,
    definition: query,
    refresh: 2,
    sort: 1,
    includeAll: opts.all ?? false,
    multi: opts.all ?? false,
    allValue: opts.all ? '.*' : void 0,
    current: {},
  };
}
const DATASOURCE = {
  name: 'datasource',
  label: 'InfluxDB',
  type: 'datasource',
  query: 'influxdb',
  current: {},
};
const CLUSTER_VAR = variable(
  'cluster',
  'Cluster',
  'SHOW TAG VALUES FROM "uptime" WITH KEY = "cluster_name"',
);
function dashboard(uid, title, vars, panels) {
  return {
    uid,
    title,
    tags: ['heapster', 'kubernetes'],
    timezone: 'browser',
    schemaVersion: 36,
    version: 1,
    refresh: '1m',
    time: { from: 'now-1h', to: 'now' },
    templating: { list: [DATASOURCE, CLUSTER_VAR, ...vars] },
    panels: panels.map((p, i) => panel(p, i + 1, (i % 2) * 12, Math.floor(i / 2) * 8)),
  };
}
const NODE = `"nodename" =~ /^$node$/`;
const NS = `"namespace_name" =~ /^$namespace$/`;
const POD = `"pod_name" =~ /^$pod$/`;
const dashboards = {
  'cluster.json': dashboard(
    'heapster-cluster',
    'Heapster / Cluster',
    [],
    [
      {
        title: 'CPU (all nodes)',
        unit: 'short',
        targets: [
          { alias: 'usage (millicores)', query: q('cpu/usage_rate', 'node', []) },
          { alias: 'requests', query: q('cpu/request', 'node', []) },
          { alias: 'limits', query: q('cpu/limit', 'node', []) },
          { alias: 'allocatable', query: q('cpu/node_allocatable', 'node', []) },
        ],
      },
      {
        title: 'Memory (all nodes)',
        unit: 'bytes',
        targets: [
          { alias: 'usage', query: q('memory/usage', 'node', []) },
          { alias: 'working set', query: q('memory/working_set', 'node', []) },
          { alias: 'requests', query: q('memory/request', 'node', []) },
          { alias: 'limits', query: q('memory/limit', 'node', []) },
        ],
      },
      {
        title: 'CPU usage by node (millicores)',
        unit: 'short',
        stack: true,
        targets: [{ alias: '$tag_nodename', query: q('cpu/usage_rate', 'node', [], 'nodename') }],
      },
      {
        title: 'Memory working set by node',
        unit: 'bytes',
        stack: true,
        targets: [
          { alias: '$tag_nodename', query: q('memory/working_set', 'node', [], 'nodename') },
        ],
      },
      {
        title: 'Network (all nodes)',
        unit: 'Bps',
        targets: [
          { alias: 'received', query: q('network/rx_rate', 'node', []) },
          { alias: 'sent', query: q('network/tx_rate', 'node', []) },
        ],
      },
      {
        title: 'Filesystem (all nodes)',
        unit: 'bytes',
        targets: [
          { alias: 'usage', query: q('filesystem/usage', 'node', []) },
          { alias: 'limit', query: q('filesystem/limit', 'node', []) },
        ],
      },
    ],
  ),
  'nodes.json': dashboard(
    'heapster-nodes',
    'Heapster / Nodes',
    [
      variable(
        'node',
        'Node',
        `SHOW TAG VALUES FROM "uptime" WITH KEY = "nodename" WHERE "type" = 'node' AND ${CLUSTER}`,
        { all: true },
      ),
    ],
    [
      {
        title: 'CPU usage (millicores)',
        unit: 'short',
        targets: [
          { alias: 'usage $tag_nodename', query: q('cpu/usage_rate', 'node', [NODE], 'nodename') },
          { alias: 'requests $tag_nodename', query: q('cpu/request', 'node', [NODE], 'nodename') },
        ],
      },
      {
        title: 'Utilization of allocatable',
        unit: 'percentunit',
        targets: [
          {
            alias: 'cpu $tag_nodename',
            query: q('cpu/node_utilization', 'node', [NODE], 'nodename', 'mean'),
          },
          {
            alias: 'memory $tag_nodename',
            query: q('memory/node_utilization', 'node', [NODE], 'nodename', 'mean'),
          },
        ],
      },
      {
        title: 'Memory',
        unit: 'bytes',
        targets: [
          { alias: 'usage $tag_nodename', query: q('memory/usage', 'node', [NODE], 'nodename') },
          {
            alias: 'working set $tag_nodename',
            query: q('memory/working_set', 'node', [NODE], 'nodename'),
          },
        ],
      },
      {
        title: 'Network',
        unit: 'Bps',
        targets: [
          { alias: 'rx $tag_nodename', query: q('network/rx_rate', 'node', [NODE], 'nodename') },
          { alias: 'tx $tag_nodename', query: q('network/tx_rate', 'node', [NODE], 'nodename') },
        ],
      },
      {
        title: 'Filesystem usage by device',
        unit: 'bytes',
        targets: [
          {
            alias: '$tag_nodename $tag_resource_id',
            query: `SELECT sum("value") FROM "filesystem/usage" WHERE "type" = 'node' AND ${CLUSTER} AND ${NODE} AND ${T} ${G}, "nodename", "resource_id" fill(null)`,
          },
        ],
      },
      {
        title: 'System containers CPU (millicores)',
        unit: 'short',
        stack: true,
        targets: [
          {
            alias: '$tag_nodename $tag_container_name',
            query: `SELECT sum("value") FROM "cpu/usage_rate" WHERE "type" = 'sys_container' AND ${CLUSTER} AND ${NODE} AND ${T} ${G}, "nodename", "container_name" fill(null)`,
          },
        ],
      },
    ],
  ),
  'pods.json': dashboard(
    'heapster-pods',
    'Heapster / Pods',
    [
      variable(
        'namespace',
        'Namespace',
        `SHOW TAG VALUES FROM "uptime" WITH KEY = "namespace_name" WHERE ${CLUSTER}`,
      ),
      variable(
        'pod',
        'Pod',
        `SHOW TAG VALUES FROM "uptime" WITH KEY = "pod_name" WHERE ${CLUSTER} AND ${NS}`,
      ),
    ],
    [
      {
        title: 'CPU by container (millicores)',
        unit: 'short',
        targets: [
          {
            alias: 'usage $tag_container_name',
            query: q('cpu/usage_rate', 'pod_container', [NS, POD], 'container_name'),
          },
          {
            alias: 'request $tag_container_name',
            query: q('cpu/request', 'pod_container', [NS, POD], 'container_name'),
          },
          {
            alias: 'limit $tag_container_name',
            query: q('cpu/limit', 'pod_container', [NS, POD], 'container_name'),
          },
        ],
      },
      {
        title: 'Memory by container',
        unit: 'bytes',
        targets: [
          {
            alias: 'working set $tag_container_name',
            query: q('memory/working_set', 'pod_container', [NS, POD], 'container_name'),
          },
          {
            alias: 'request $tag_container_name',
            query: q('memory/request', 'pod_container', [NS, POD], 'container_name'),
          },
          {
            alias: 'limit $tag_container_name',
            query: q('memory/limit', 'pod_container', [NS, POD], 'container_name'),
          },
        ],
      },
      {
        title: 'Network',
        unit: 'Bps',
        targets: [
          { alias: 'rx', query: q('network/rx_rate', 'pod', [NS, POD]) },
          { alias: 'tx', query: q('network/tx_rate', 'pod', [NS, POD]) },
        ],
      },
      {
        title: 'Filesystem (volumes)',
        unit: 'bytes',
        targets: [
          {
            alias: 'usage $tag_resource_id',
            query: `SELECT sum("value") FROM "filesystem/usage" WHERE "type" = 'pod' AND ${CLUSTER} AND ${NS} AND ${POD} AND ${T} ${G}, "resource_id" fill(null)`,
          },
        ],
      },
    ],
  ),
  'namespaces.json': dashboard(
    'heapster-namespaces',
    'Heapster / Namespaces',
    [
      variable(
        'namespace',
        'Namespace',
        `SHOW TAG VALUES FROM "uptime" WITH KEY = "namespace_name" WHERE ${CLUSTER}`,
        { all: true },
      ),
    ],
    [
      {
        title: 'CPU usage by namespace (millicores)',
        unit: 'short',
        stack: true,
        targets: [
          {
            alias: '$tag_namespace_name',
            query: q('cpu/usage_rate', 'ns', [NS], 'namespace_name'),
          },
        ],
      },
      {
        title: 'Memory usage by namespace',
        unit: 'bytes',
        stack: true,
        targets: [
          { alias: '$tag_namespace_name', query: q('memory/usage', 'ns', [NS], 'namespace_name') },
        ],
      },
      {
        title: 'CPU usage by pod (millicores)',
        unit: 'short',
        stack: true,
        targets: [
          {
            alias: '$tag_namespace_name/$tag_pod_name',
            query: q('cpu/usage_rate', 'pod', [NS], 'pod_name').replace(
              '"pod_name" fill',
              '"namespace_name", "pod_name" fill',
            ),
          },
        ],
      },
      {
        title: 'Memory working set by pod',
        unit: 'bytes',
        stack: true,
        targets: [
          {
            alias: '$tag_namespace_name/$tag_pod_name',
            query: q('memory/working_set', 'pod', [NS], 'pod_name').replace(
              '"pod_name" fill',
              '"namespace_name", "pod_name" fill',
            ),
          },
        ],
      },
      {
        title: 'CPU requests and limits by namespace (millicores)',
        unit: 'short',
        targets: [
          {
            alias: 'request $tag_namespace_name',
            query: q('cpu/request', 'ns', [NS], 'namespace_name'),
          },
          {
            alias: 'limit $tag_namespace_name',
            query: q('cpu/limit', 'ns', [NS], 'namespace_name'),
          },
        ],
      },
      {
        title: 'Memory requests and limits by namespace',
        unit: 'bytes',
        targets: [
          {
            alias: 'request $tag_namespace_name',
            query: q('memory/request', 'ns', [NS], 'namespace_name'),
          },
          {
            alias: 'limit $tag_namespace_name',
            query: q('memory/limit', 'ns', [NS], 'namespace_name'),
          },
        ],
      },
    ],
  ),
};
for (const [file, d] of Object.entries(dashboards)) {
  writeFileSync(
    new URL(`./dashboards/${file}`, import.meta.url),
    JSON.stringify(d, null, 2) + '\n',
  );
}
