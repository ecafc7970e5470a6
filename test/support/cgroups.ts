import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';

/** The cgroup v1 controllers a test cgroup is created under. */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory'] as const;

/** True when this machine has writable cgroup v1 cpu, cpuacct and memory hierarchies (root). */
export function cgroupV1Writable(root = '/sys/fs/cgroup'): boolean {
  try {
    for (const c of V1_CONTROLLERS) accessSync(`${root}/${c}/cgroup.procs`, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** A cgroup made under every v1 controller, with helpers to move processes in and remove it. */
export class TestCgroup {
  readonly children: ChildProcess[] = [];

  constructor(
    readonly path: string,
    private readonly root = '/sys/fs/cgroup',
  ) {
    for (const c of V1_CONTROLLERS) mkdirSync(`${root}/${c}${path}`, { recursive: true });
  }

  /** Moves a process into the cgroup under every controller. */
  addPid(pid: number): void {
    for (const c of V1_CONTROLLERS)
      writeFileSync(`${this.root}/${c}${this.path}/cgroup.procs`, `${pid}\n`);
  }

  /** Starts a shell busy loop inside the cgroup (one core's worth of CPU). */
  startBusyLoop(): ChildProcess {
    const child = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    this.children.push(child);
    this.addPid(child.pid!);
    return child;
  }

  /** Starts a process inside the cgroup that allocates and touches `bytes`, resolving once it has. */
  async startMemoryHolder(bytes: number): Promise<ChildProcess> {
    const child = spawn(
      process.execPath,
      [
        '-e',
        `process.stdin.once('data', () => { globalThis.held = Buffer.alloc(${bytes}, 1); process.stdout.write('held\\n'); }); setInterval(() => {}, 1 << 30);`,
      ],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    this.children.push(child);
    this.addPid(child.pid!);
    const held = new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`memory holder exited with ${code}`)));
    });
    child.stdin!.write('go\n');
    await held;
    return child;
  }

  /** The cgroup's memory.usage_in_bytes, read directly. */
  memoryUsageBytes(): number {
    return Number(readFileSync(`${this.root}/memory${this.path}/memory.usage_in_bytes`, 'utf8'));
  }

  /** Kills every process started here and removes the cgroup directories (retrying while they drain). */
  async remove(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
    for (const c of V1_CONTROLLERS) {
      const dir = `${this.root}/${c}${this.path}`;
      for (let i = 0; i < 50 && existsSync(dir); i++) {
        try {
          rmdirSync(dir);
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  }
}
