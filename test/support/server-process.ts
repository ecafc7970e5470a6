import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { waitFor } from './services.js';

/** A real server started by a test: its process, the tail of its output, and `stop`. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** The last 4,000 characters the server wrote to stdout and stderr. */
  log(): string;
  /** SIGTERM (SIGKILL after 10 s), then removes `dataDir`. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Spawns `bin args`, waits until `ready()` says true (polled every 100 ms, at most 30 s),
 * and returns the running server. If the process exits or never gets ready, it is stopped,
 * `dataDir` is removed and the promise rejects with the server's output.
 */
export async function startServerProcess(opts: {
  name: string;
  bin: string;
  args: readonly string[];
  dataDir: string;
  ready: () => Promise<boolean | undefined>;
}): Promise<ServerProcess> {
  const child = spawn(opts.bin, opts.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (d: Buffer) => (log = (log + d.toString()).slice(-4000));
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(opts.dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      opts.name,
      async () => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${log}`);
        return (await opts.ready()) ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, log: () => log, stop };
}
