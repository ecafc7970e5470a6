import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, MetricSet } from '../core/batch.js';
import { newMetricSet } from '../core/batch.js';
import type { EntityType } from '../core/keys.js';
import type { ClusterView, NamespaceInfo } from '../sources/kubernetes/cluster-view.js';
import { createNamespaceEnricher } from './namespace-enricher.js';

const T = 1_700_000_000_000;

function view(uids: Map<string, string>): ClusterView {
  return {
    pod: () => undefined,
    pods: () => [],
    node: () => undefined,
    nodes: () => [],
    namespace: (name): NamespaceInfo | undefined => {
      const uid = uids.get(name);
      return uid === undefined ? undefined : { name, uid, creationMs: 0, labels: {} };
    },
    synced: () => true,
  };
}

function batch(entries: [EntityType, string | undefined][]): Batch {
  const sets = new Map<string, MetricSet>();
  entries.forEach(([type, ns], i) => {
    const labels: Record<string, string> = ns === undefined ? {} : { namespace_name: ns };
    sets.set(`k${i}`, newMetricSet(type, labels, { scrapeTimeMs: T }));
  });
  return { timestampMs: T, sets };
}

const ids = (b: Batch): (string | undefined)[] =>
  [...b.sets.values()].map((s) => s.labels.namespace_id);

test('pod, container and namespace sets of known namespaces get namespace_id', () => {
  const uids = new Map([
    ['a', 'uid-a'],
    ['b', 'uid-b'],
    ['empty', ''],
  ]);
  const e = createNamespaceEnricher(view(uids));
  assert.equal(e.name, 'namespace_based_enricher');
  const b = batch([
    ['pod', 'a'],
    ['pod_container', 'a'],
    ['pod_container', 'b'],
    ['pod', 'a'],
    ['ns', 'b'],
    ['node', 'a'],
    ['sys_container', 'a'],
    ['pod', 'unknown'],
    ['pod', 'empty'],
    ['pod', undefined],
    ['pod', ''],
  ]);
  assert.deepEqual(ids(e.process(b)), [
    'uid-a',
    'uid-a',
    'uid-b',
    'uid-a',
    'uid-b',
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
});

test('a namespace created, recreated or deleted between calls is seen by the next call', () => {
  const uids = new Map([['a', 'uid-a']]);
  const e = createNamespaceEnricher(view(uids));
  const podsOfAandB = () =>
    ids(
      e.process(
        batch([
          ['pod', 'a'],
          ['pod', 'b'],
        ]),
      ),
    );
  assert.deepEqual(podsOfAandB(), ['uid-a', undefined]);
  uids.set('a', 'uid-a2');
  uids.set('b', 'uid-b');
  assert.deepEqual(podsOfAandB(), ['uid-a2', 'uid-b']);
  uids.delete('a');
  assert.deepEqual(podsOfAandB(), [undefined, 'uid-b']);
});
