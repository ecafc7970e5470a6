import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from './services.js';

const BIN = fileURLToPath(new URL('../../bin/heapster.js', import.meta.url));

/** A `heapster agent` child process on a free loopback port. */
export interface AgentProcess {
  readonly port: number;
  readonly base: string;
  readonly child: ChildProcess;
  /** What the agent wrote to stderr so far. */
  stderr(): string;
  /** GET a path: status and text. */
  get(path: string): Promise<{ status: number; text: string }>;
  /** GET a path and parse the JSON answer (throws on a non-200 status). */
  json<T>(path: string): Promise<T>;
  /** SIGTERM (SIGKILL after 10 s); resolves once it exited. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `node bin/heapster.js agent --port <free> --listen_ip 127.0.0.1 ARGS` and waits until
 * `/api/v1.3/containers/` answers 200 (the first housekeeping pass is done).
 */
export async function startAgent(args: string[] = []): Promise<AgentProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [BIN, 'agent', '--port', String(port), '--listen_ip', '127.0.0.1', ...args],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HEAPSTER_LOG_LEVEL: 'warn' } },
  );
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  const agent: AgentProcess = {
    port,
    base,
    child,
    stderr: () => err,
    async get(path) {
      const res = await fetch(base + path);
      return { status: res.status, text: await res.text() };
    },
    async json<T>(path: string): Promise<T> {
      const r = await agent.get(path);
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
      return JSON.parse(r.text) as T;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await waitFor(
      'heapster agent',
      async () => {
        if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}: ${err}`);
        return (await agent.get('/api/v1.3/containers/')).status === 200 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (e) {
    await agent.stop();
    throw e;
  }
  return agent;
}
