// A private Docker engine for tests: dockerd on a socket in a temp dir (DESIGN.md §7), a
// busybox image imported from the busybox-static binary (nothing is ever pulled).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  copyFileSync,
  symlinkSync,
} from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { need, waitFor } from './services.js';

export const DOCKERD = '/usr/sbin/dockerd';
/** The Debian client matching the daemon (a newer static client may come first in PATH). */
export const DOCKER = '/usr/bin/docker';
export const BUSYBOX = '/bin/busybox';
/** Name of the image `importBusybox` makes. */
export const BUSYBOX_IMAGE = 'heapster-test/busybox:1';

/** True when dockerd, the docker client and a static busybox are installed and we are root. */
export function dockerAvailable(): boolean {
  return (
    existsSync(DOCKERD) &&
    existsSync(DOCKER) &&
    existsSync(BUSYBOX) &&
    process.getuid?.() === 0 &&
    existsSync('/sys/fs/cgroup')
  );
}

/** A running private dockerd. */
export interface Dockerd {
  /** Path of its API socket. */
  readonly socketPath: string;
  /** `unix://<socketPath>`, for DOCKER_HOST and `--source=docker:...`. */
  readonly host: string;
  /** Its data root (overlay2 layers live under `<dataRoot>/overlay2`). */
  readonly dataRoot: string;
  /** PID of dockerd. */
  readonly pid: number;
  /** Runs `/usr/bin/docker -H unix://<socket> ...args`; resolves stdout (trimmed), rejects with stderr. */
  docker(args: readonly string[], opts?: { input?: Buffer; timeoutMs?: number }): Promise<string>;
  /** Imports the busybox image once per daemon; resolves its name. */
  importBusybox(): Promise<string>;
  /** The tail of dockerd's output. */
  log(): string;
  /** Removes every container, stops dockerd, unmounts and removes its dirs. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a private dockerd for the test `t` (skipped via need() when docker.io or
 * busybox-static is missing; undefined then). Its socket, pidfile, data root and exec root
 * are in a fresh temp dir, so it never touches a system dockerd. `t.after` stops it (and
 * removes every container and directory) even when the test fails.
 */
export async function startDockerd(t: TestContext): Promise<Dockerd | undefined> {
  if (!need(t, dockerAvailable(), 'needs root; install docker.io busybox-static')) return undefined;
  const d = await launchDockerd();
  t.after(() => d.stop());
  return d;
}

/** Starts a private dockerd with no test context (benchmarks); the caller must `stop()` it. */
export async function launchDockerd(): Promise<Dockerd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hd-'));
  const dataRoot = path.join(dir, 'data');
  const execRoot = path.join(dir, 'exec');
  const socketPath = path.join(dir, 'd.sock');
  mkdirSync(dataRoot);
  mkdirSync(execRoot);
  const child: ChildProcess = spawn(
    DOCKERD,
    [
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      `--data-root=${dataRoot}`,
      `--exec-root=${execRoot}`,
      `--host=unix://${socketPath}`,
      `--pidfile=${path.join(dir, 'd.pid')}`,
      '--log-level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const append = (b: Buffer): void => {
    out = (out + b.toString()).slice(-6000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const host = `unix://${socketPath}`;
  let image: Promise<string> | undefined;
  let stopped = false;

  const docker = (
    args: readonly string[],
    opts: { input?: Buffer; timeoutMs?: number } = {},
  ): Promise<string> =>
    new Promise((resolve, reject) => {
      const p = spawn(DOCKER, ['-H', host, ...args], {
        stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
      let so = '';
      let se = '';
      p.stdout?.on('data', (b: Buffer) => (so += b.toString()));
      p.stderr?.on('data', (b: Buffer) => (se += b.toString()));
      const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      p.once('error', reject);
      p.once('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(so.trim());
        else reject(new Error(`docker ${args.join(' ')} exited with ${code}: ${se.trim()}`));
      });
      if (opts.input) p.stdin?.end(opts.input);
    });

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      try {
        const ids = (await docker(['ps', '-aq'], { timeoutMs: 20_000 })).split(/\s+/);
        const live = ids.filter((s) => s !== '');
        if (live.length > 0) await docker(['rm', '-f', ...live], { timeoutMs: 60_000 });
      } catch {
        // dockerd is broken; SIGTERM below still stops it and its containers' shims
      }
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    killLeftovers(execRoot);
    unmountBelow(dir);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      'dockerd /_ping',
      async () => {
        if (child.exitCode !== null)
          throw new Error(`dockerd exited with ${child.exitCode}: ${out}`);
        return (await ping(socketPath)) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    socketPath,
    host,
    dataRoot,
    pid: child.pid ?? 0,
    docker,
    log: () => out,
    stop,
    importBusybox() {
      image ??= importBusyboxImage(docker, dir);
      return image;
    },
  };
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Builds a rootfs holding busybox and a symlink per applet, tars it and `docker import`s it. */
async function importBusyboxImage(docker: Dockerd['docker'], dir: string): Promise<string> {
  const root = path.join(dir, 'rootfs');
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  copyFileSync(BUSYBOX, path.join(root, 'bin/busybox'));
  const list = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).stdout ?? '';
  for (const applet of list.split('\n')) {
    if (applet === '' || applet === 'busybox' || applet.includes('/')) continue;
    symlinkSync('busybox', path.join(root, 'bin', applet));
  }
  const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 64 * 2 ** 20 });
  if (tar.status !== 0) throw new Error(`tar of the busybox rootfs failed: ${String(tar.stderr)}`);
  rmSync(root, { recursive: true, force: true });
  await docker(['import', '-', BUSYBOX_IMAGE], { input: tar.stdout });
  return BUSYBOX_IMAGE;
}

/** Kills a containerd or shim left running with our exec root (dockerd died uncleanly). */
function killLeftovers(execRoot: string): void {
  for (const pidFile of [path.join(execRoot, 'containerd', 'containerd.pid')]) {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 1) process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Lazily unmounts every mount point below `dir` (overlays, netns, shm), deepest first. */
function unmountBelow(dir: string): void {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  const points = text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined && p.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
  for (const p of points) spawnSync('umount', ['-l', p]);
}
