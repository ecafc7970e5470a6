import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerIdentity } from './naming.js';
import { classifyCgroup } from './naming.js';

const ID = '3f4a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344556677aa';
const ID2 = 'b7e2c9d41f0a3e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d';
const POD = '0b8c5d2e-7a41-4c1e-9d3f-2e6b8a9c1d05';
const POD_ = POD.replaceAll('-', '_');

const cases: [string, ContainerIdentity][] = [
  // Docker, cgroupfs driver and systemd driver
  [`/docker/${ID}`, { name: 'docker/3f4a5b6c7d8e', runtime: 'docker', id: ID }],
  [`/system.slice/docker-${ID}.scope`, { name: 'docker/3f4a5b6c7d8e', runtime: 'docker', id: ID }],
  [`/docker/${ID}/docker/${ID2}`, { name: 'docker/b7e2c9d41f0a', runtime: 'docker', id: ID2 }],
  [`/docker`, { name: 'docker', runtime: 'none' }],
  // containerd / CRI-O under kubepods (systemd and cgroupfs drivers)
  [
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/cri-containerd-${ID2}.scope`,
    { name: 'containerd/b7e2c9d41f0a', runtime: 'containerd', id: ID2, podUid: POD },
  ],
  [
    `/kubepods.slice/kubepods-pod${POD_}.slice/crio-${ID}.scope`,
    { name: 'crio/3f4a5b6c7d8e', runtime: 'crio', id: ID, podUid: POD },
  ],
  [
    `/kubepods/burstable/pod${POD}/${ID2}`,
    { name: 'containerd/b7e2c9d41f0a', runtime: 'containerd', id: ID2, podUid: POD },
  ],
  [
    `/kubepods/besteffort/pod${POD}/crio-${ID}`,
    { name: 'crio/3f4a5b6c7d8e', runtime: 'crio', id: ID, podUid: POD },
  ],
  [
    `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_}.slice/docker-${ID}.scope`,
    { name: 'docker/3f4a5b6c7d8e', runtime: 'docker', id: ID, podUid: POD },
  ],
  // pod and QoS cgroups themselves are not runtime containers
  [
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice`,
    {
      name: `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice`,
      runtime: 'systemd',
      podUid: POD,
    },
  ],
  [
    `/kubepods/burstable/pod${POD}`,
    { name: `kubepods/burstable/pod${POD}`, runtime: 'none', podUid: POD },
  ],
  [`/kubepods/burstable`, { name: 'kubepods/burstable', runtime: 'none' }],
  [`/kubepods.slice`, { name: 'kubepods.slice', runtime: 'systemd' }],
  // podman
  [`/machine.slice/libpod-${ID}.scope`, { name: 'podman/3f4a5b6c7d8e', runtime: 'podman', id: ID }],
  [
    `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope`,
    { name: 'podman/3f4a5b6c7d8e', runtime: 'podman', id: ID },
  ],
  [`/libpod_parent/libpod-${ID}`, { name: 'podman/3f4a5b6c7d8e', runtime: 'podman', id: ID }],
  [
    `/machine.slice/libpod-conmon-${ID}.scope`,
    { name: `machine.slice/libpod-conmon-${ID}.scope`, runtime: 'systemd' },
  ],
  // systemd units and plain cgroups
  ['/system.slice/ssh.service', { name: 'system.slice/ssh.service', runtime: 'systemd' }],
  ['/system.slice', { name: 'system.slice', runtime: 'systemd' }],
  ['/init.scope', { name: 'init.scope', runtime: 'systemd' }],
  [
    '/user.slice/user-1000.slice/session-3.scope',
    { name: 'user.slice/user-1000.slice/session-3.scope', runtime: 'systemd' },
  ],
  ['/foo', { name: 'foo', runtime: 'none' }],
  ['/foo/bar', { name: 'foo/bar', runtime: 'none' }],
  [`/${ID}`, { name: ID, runtime: 'none' }],
  ['/docker/abc123', { name: 'docker/abc123', runtime: 'none' }],
];

describe('classifyCgroup', () => {
  for (const [path, want] of cases) {
    it(path, () => assert.deepEqual(classifyCgroup(path), want));
  }
});
