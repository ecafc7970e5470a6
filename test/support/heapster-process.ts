import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from './services.js';

const BIN = fileURLToPath(new URL('../../bin/heapster.js', import.meta.url));

/** A `heapster` main job started as a child process on a free port. */
export interface HeapsterProcess {
  readonly port: number;
  readonly base: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far (its JSON log lines). */
  stderr(): string;
  /** GET a path; returns status and parsed JSON (or text). */
  get(path: string): Promise<{ status: number; body: unknown; text: string }>;
  /** Sends SIGTERM and resolves with the exit code (rejects after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** Starts `heapster ARGS --heapster-port=<free>` and waits until /healthz says ok. */
export async function startHeapster(
  args: string[],
  opts: { waitHealthy?: boolean } = {},
): Promise<HeapsterProcess> {
  const port = await freePort();
  // Keep tests out of the user's data dir: memory only unless the test picks a directory.
  const dataDir = args.some((a) => /^--data[-_]dir(=|$)/.test(a)) ? [] : ['--data_dir='];
  const child = spawn(
    process.execPath,
    [BIN, `--heapster-port=${port}`, '--listen-ip=127.0.0.1', ...dataDir, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HEAPSTER_LOG_LEVEL: 'info' },
    },
  );
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout?.resume();
  const base = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const proc: HeapsterProcess = {
    port,
    base,
    child,
    stderr: () => err,
    async get(path) {
      const res = await fetch(base + path);
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, body, text };
    },
    stop: (timeoutMs = 10_000) => stopChild(child, exited, 'heapster', timeoutMs),
  };
  if (opts.waitHealthy ?? true) {
    try {
      await waitFor(
        'heapster /healthz',
        async () => {
          if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${err}`);
          const r = await proc.get('/healthz');
          return r.status === 200 ? true : undefined;
        },
        { timeoutMs: 30_000 },
      );
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
  }
  return proc;
}

/**
 * SIGTERM to a child started by a test; resolves with its exit code. After `timeoutMs` it is
 * killed (SIGKILL) and the promise rejects naming `what`: a clean stop is part of what tests check.
 */
export async function stopChild(
  child: ChildProcess,
  exited: Promise<number | null>,
  what: string,
  timeoutMs: number,
): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not exit within ${timeoutMs} ms of SIGTERM`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
