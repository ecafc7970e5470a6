import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLUSTER_KEY,
  entityKey,
  namespaceKey,
  nodeKey,
  parseEntityKey,
  podContainerKey,
  podKey,
  sysContainerKey,
} from './keys.js';
import type { EntityKey } from './keys.js';

test('keys are exactly Heapster’s', () => {
  assert.equal(CLUSTER_KEY, 'cluster');
  assert.equal(nodeKey('n1'), 'node:n1');
  assert.equal(sysContainerKey('n1', 'kubelet'), 'node:n1/container:kubelet');
  assert.equal(namespaceKey('kube-system'), 'namespace:kube-system');
  assert.equal(podKey('default', 'web-1'), 'namespace:default/pod:web-1');
  assert.equal(
    podContainerKey('default', 'web-1', 'nginx'),
    'namespace:default/pod:web-1/container:nginx',
  );
});

test('parse is the inverse of build, including container names with slashes', () => {
  const cases: EntityKey[] = [
    { type: 'cluster' },
    { type: 'node', node: 'ip-10-0-0-1.ec2.internal' },
    { type: 'sys_container', node: 'n1', container: 'system.slice/ssh.service' },
    { type: 'sys_container', node: 'n1', container: 'docker/3f4a5b6c7d8e' },
    { type: 'ns', namespace: 'kube-system' },
    { type: 'pod', namespace: 'default', pod: 'web-1' },
    { type: 'pod_container', namespace: 'default', pod: 'web-1', container: 'nginx' },
  ];
  for (const c of cases) assert.deepEqual(parseEntityKey(entityKey(c)), c);
});

test('malformed keys parse to undefined', () => {
  for (const k of [
    '',
    'node:',
    'namespace:',
    'node:n/container:',
    'namespace:a/pod:',
    'pod:x',
    'clusters',
    'namespace:a/b',
  ]) {
    assert.equal(parseEntityKey(k), undefined, k);
  }
});
