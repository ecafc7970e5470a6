import { setTimeout as sleep } from 'node:timers/promises';
import { ModelClient, TopError } from './model-client.js';
import { TOP_CONCURRENCY, fetchTopData } from './top-data.js';
import { formatTable, sortRows } from './top-format.js';
import type { TopOptions } from './top-flags.js';
import { TopUsageError, parseTopArgs, topHelp } from './top-flags.js';

/** Where `heapster top` writes; the process streams by default. */
export interface TopIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Aborts `--watch` (the command then exits 0); default: SIGINT/SIGTERM. */
  stop?: AbortSignal;
}

/** Moves the cursor home and clears the screen: one `--watch` frame replaces the last. */
export const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/** One run: the table text, or the message kubectl prints for an empty result (stderr). */
async function render(
  client: ModelClient,
  opts: TopOptions,
): Promise<{ table: string; empty?: string }> {
  const data = await fetchTopData(client, opts);
  if (data.rows.length === 0) return { table: '', empty: data.emptyMessage };
  const rows = sortRows(data.rows, opts.sortBy);
  return {
    table: formatTable(data.kind, rows, {
      allNamespaces: opts.allNamespaces,
      noHeaders: opts.noHeaders,
    }),
  };
}

function signalStop(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSignal = (): void => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * `heapster top nodes|pods|containers|namespaces [NAME...] [flags]`: prints kubectl-top-like
 * tables read from the Model API of `--server`. Resolves with the exit code: 0 ok (also for an
 * empty result, which prints kubectl's "No resources found" on stderr, and for a `--watch`
 * stopped by SIGINT/SIGTERM), 1 when the server is unreachable, answers badly or has no
 * metrics yet (`error: ...` on stderr), 2 for bad flags (the message names the flag). Never
 * throws for bad input or a bad server.
 */
export async function topCommand(
  argv: string[],
  io: TopIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let opts: TopOptions | 'help';
  try {
    opts = parseTopArgs(argv);
  } catch (err) {
    if (err instanceof TopUsageError) {
      io.stderr.write(`error: ${err.message}\nSee 'heapster top --help'.\n`);
      return 2;
    }
    throw err;
  }
  if (opts === 'help') {
    io.stdout.write(topHelp());
    return 0;
  }
  const client = new ModelClient(opts.server, {
    timeoutMs: opts.timeoutMs,
    concurrency: TOP_CONCURRENCY,
  });
  try {
    if (!opts.watch) {
      try {
        const out = await render(client, opts);
        if (out.empty !== undefined) io.stderr.write(out.empty + '\n');
        io.stdout.write(out.table);
        return 0;
      } catch (err) {
        if (err instanceof TopError) {
          io.stderr.write(`error: ${err.message}\n`);
          return 1;
        }
        throw err;
      }
    }
    const stop = io.stop === undefined ? signalStop() : { signal: io.stop, dispose: () => {} };
    try {
      while (!stop.signal.aborted) {
        let frame: string;
        try {
          const out = await render(client, opts);
          frame = out.empty !== undefined ? out.empty + '\n' : out.table;
        } catch (err) {
          if (!(err instanceof TopError)) throw err;
          frame = `error: ${err.message}\n`;
        }
        if (stop.signal.aborted) break;
        io.stdout.write(
          CLEAR_SCREEN +
            `Every ${opts.intervalMs / 1000}s: heapster top ${argv.join(' ')}    ${new Date().toISOString()}\n\n` +
            frame,
        );
        try {
          await sleep(opts.intervalMs, undefined, { signal: stop.signal });
        } catch {
          break; // aborted
        }
      }
      return 0;
    } finally {
      stop.dispose();
    }
  } finally {
    await client.close();
  }
}
