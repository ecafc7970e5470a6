import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TopRow } from './top-format.js';
import {
  formatCpu,
  formatMemory,
  formatPercent,
  formatTable,
  renderTable,
  sortRows,
} from './top-format.js';

test('CPU, memory and percent are spelled as kubectl top spells them', () => {
  const cpu: [number | undefined, string][] = [
    [0, '0m'],
    [153, '153m'],
    [1234.56789, '1235m'], // 1234567890n → 1235m: rounded up
    [0.2, '1m'],
    [153.0000000001, '153m'], // float noise does not round up
    [undefined, '<unknown>'],
    [NaN, '<unknown>'],
  ];
  for (const [v, want] of cpu) assert.equal(formatCpu(v), want, String(v));
  const mem: [number | undefined, string][] = [
    [0, '0Mi'],
    [4194304 * 1024, '4096Mi'],
    [1048575, '0Mi'], // rounded down
    [1919999999, '1831Mi'],
    [undefined, '<unknown>'],
  ];
  for (const [v, want] of mem) assert.equal(formatMemory(v), want, String(v));
  const pct: [number | undefined, number | undefined, string][] = [
    [1234.56789, 3800, '32%'], // kubectl-top.md: 1234567890n / 3800m → 32%
    [4194304 * 1024, 15900000 * 1024, '26%'], // 4194304Ki / 15900000Ki → 26%
    [250, 8000, '3%'],
    [100, 0, '<unknown>'],
    [100, undefined, '<unknown>'],
    [undefined, 1000, '<unknown>'],
  ];
  for (const [u, c, want] of pct) assert.equal(formatPercent(u, c), want, `${u}/${c}`);
});

test('renderTable pads every column to width + 3 (at least 6), like kubectl', () => {
  assert.equal(
    renderTable([
      ['NAME', 'CPU(cores)', 'CPU%'],
      ['b', '250m', '3%'],
      ['node-a', '1235m', '32%'],
    ]),
    'NAME     CPU(cores)   CPU%   \nb        250m         3%     \nnode-a   1235m        32%    \n',
  );
  assert.equal(renderTable([['a', 'b']]), 'a     b     \n', 'minimum width 6');
  assert.equal(renderTable([['ünï', 'x']]), 'ünï   x     \n', 'code points, not bytes');
  assert.equal(renderTable([]), '');
});

const NODES: TopRow[] = [
  {
    name: 'node-a',
    cpuMillicores: 1234.56789,
    memoryBytes: 4294967296,
    cpuCapacityMillicores: 3800,
    memoryCapacityBytes: 16281600000,
  },
  {
    name: 'b',
    cpuMillicores: 250,
    memoryBytes: 1073741824,
    cpuCapacityMillicores: 8000,
    memoryCapacityBytes: 34359738368,
  },
  { name: 'c', memoryBytes: 2 ** 20 },
];

test('node table: the kubectl-top.md example, plus a node without CPU or capacity', () => {
  const opts = { allNamespaces: false, noHeaders: false };
  assert.equal(
    formatTable('nodes', sortRows(NODES), opts),
    [
      'NAME     CPU(cores)   CPU%        MEMORY(bytes)   MEMORY%     ',
      'b        250m         3%          1024Mi          3%          ',
      'c        <unknown>    <unknown>   1Mi             <unknown>   ',
      'node-a   1235m        32%         4096Mi          26%         ',
      '',
    ].join('\n'),
  );
  assert.deepEqual(
    formatTable('nodes', sortRows(NODES, 'cpu'), { ...opts, noHeaders: true })
      .split('\n')
      .map((l) => l.split(' ')[0]),
    ['node-a', 'b', 'c', ''],
    'cpu descending, unknown last, no header',
  );
});

const PODS: TopRow[] = [
  { namespace: 'kube-system', name: 'coredns-1', cpuMillicores: 3, memoryBytes: 15 * 2 ** 20 },
  { namespace: 'default', name: 'web-1', cpuMillicores: 6, memoryBytes: 30 * 2 ** 20 },
  { namespace: 'default', name: 'db-0', cpuMillicores: 0, memoryBytes: 0 },
];

test('pod tables with and without NAMESPACE, sorted like kubectl', () => {
  assert.equal(
    formatTable('pods', sortRows(PODS), { allNamespaces: true, noHeaders: false }),
    [
      'NAMESPACE     NAME        CPU(cores)   MEMORY(bytes)   ',
      'default       db-0        0m           0Mi             ',
      'default       web-1       6m           30Mi            ',
      'kube-system   coredns-1   3m           15Mi            ',
      '',
    ].join('\n'),
  );
  assert.equal(
    formatTable('pods', sortRows(PODS, 'cpu'), { allNamespaces: true, noHeaders: false }),
    [
      'NAMESPACE     NAME        CPU(cores)   MEMORY(bytes)   ',
      'default       web-1       6m           30Mi            ',
      'kube-system   coredns-1   3m           15Mi            ',
      'default       db-0        0m           0Mi             ',
      '',
    ].join('\n'),
    'kubectl-top.md --sort-by=cpu example',
  );
  assert.equal(
    formatTable('pods', sortRows(PODS.slice(1), 'memory'), {
      allNamespaces: false,
      noHeaders: false,
    }),
    'NAME    CPU(cores)   MEMORY(bytes)   \nweb-1   6m           30Mi            \ndb-0    0m           0Mi             \n',
  );
});

test('container, system-container and namespace tables', () => {
  const ctrs: TopRow[] = [
    {
      namespace: 'default',
      pod: 'web-1',
      name: 'sidecar',
      cpuMillicores: 1,
      memoryBytes: 10 * 2 ** 20,
    },
    {
      namespace: 'default',
      pod: 'web-1',
      name: 'nginx',
      cpuMillicores: 5,
      memoryBytes: 20 * 2 ** 20,
    },
    {
      namespace: 'default',
      pod: 'db-0',
      name: 'postgres',
      cpuMillicores: 150,
      memoryBytes: 256 * 2 ** 20,
    },
  ];
  assert.equal(
    formatTable('containers', sortRows(ctrs), { allNamespaces: false, noHeaders: false }),
    [
      'POD     NAME       CPU(cores)   MEMORY(bytes)   ',
      'db-0    postgres   150m         256Mi           ',
      'web-1   nginx      5m           20Mi            ',
      'web-1   sidecar    1m           10Mi            ',
      '',
    ].join('\n'),
    'kubectl-top.md top pod --containers example',
  );
  const sys: TopRow[] = [
    { node: 'vm', name: 'system.slice/ssh.service', cpuMillicores: 2, memoryBytes: 5 * 2 ** 20 },
    { node: 'vm', name: 'docker', memoryBytes: 50 * 2 ** 20 },
  ];
  assert.equal(
    formatTable('system-containers', sortRows(sys, 'memory'), {
      allNamespaces: false,
      noHeaders: false,
    }),
    [
      'NODE   NAME                       CPU(cores)   MEMORY(bytes)   ',
      'vm     docker                     <unknown>    50Mi            ',
      'vm     system.slice/ssh.service   2m           5Mi             ',
      '',
    ].join('\n'),
  );
  assert.equal(
    formatTable(
      'namespaces',
      [{ name: 'default', cpuMillicores: 156, memoryBytes: 286 * 2 ** 20 }],
      {
        allNamespaces: true,
        noHeaders: true,
      },
    ),
    'default   156m   286Mi   \n',
  );
});
