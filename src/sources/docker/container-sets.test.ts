import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerEntity, labelsText } from './container-sets.js';
import type { DockerContainer } from './identity-types.js';

const base = { nodename: 'n1', hostname: 'n1' };
const c = (name: string, labels: Record<string, string>): DockerContainer => ({
  id: 'a'.repeat(64),
  name,
  image: 'nginx:1.25',
  labels,
  pid: 42,
});
const k8s = (container?: string): Record<string, string> => ({
  'io.kubernetes.pod.name': 'web-0',
  'io.kubernetes.pod.namespace': 'shop',
  'io.kubernetes.pod.uid': 'uid-1',
  ...(container === undefined ? {} : { 'io.kubernetes.container.name': container }),
});

test('a plain container is a system container named by Docker, with image and labels', () => {
  const e = dockerEntity('n1', c('web', { b: '2', a: '1' }), base);
  assert.deepEqual(e, {
    key: 'node:n1/container:web',
    type: 'sys_container',
    sandbox: false,
    labels: {
      ...base,
      container_name: 'web',
      container_base_image: 'nginx:1.25',
      labels: 'a:1,b:2',
    },
  });
  assert.equal(dockerEntity('n1', c('bare', {}), base).labels.labels, undefined);
});

test('Kubernetes labels make a pod container; POD, podsandbox or no container name is the sandbox', () => {
  const app = dockerEntity('n1', c('k8s_app_web-0', k8s('app')), base);
  assert.equal(app.key, 'namespace:shop/pod:web-0/container:app');
  assert.equal(app.type, 'pod_container');
  assert.equal(app.sandbox, false);
  assert.deepEqual(app.labels, {
    ...base,
    pod_name: 'web-0',
    namespace_name: 'shop',
    pod_id: 'uid-1',
    container_name: 'app',
    container_base_image: 'nginx:1.25',
  });
  for (const labels of [
    k8s('POD'),
    k8s(),
    { ...k8s('whatever'), 'io.kubernetes.docker.type': 'podsandbox' },
  ]) {
    const e = dockerEntity('n1', c('k8s_POD_web-0', labels), base);
    assert.equal(e.key, 'namespace:shop/pod:web-0');
    assert.equal(e.type, 'pod');
    assert.equal(e.sandbox, true);
    assert.equal(e.labels.container_name, undefined);
  }
});

test('labelsText sorts keys', () => {
  assert.equal(labelsText({ z: '1', 'a.b': 'x:y' }), 'a.b:x:y,z:1');
});
