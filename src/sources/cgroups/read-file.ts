// Synchronous reads of tiny pseudo-files (/proc, cgroupfs): the fast path (DESIGN §10).
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

// One shared buffer: reads are synchronous, so no two can interleave.
const BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * Reads a whole small file (ASCII content: numbers, `key value` lines) synchronously and
 * returns it as latin1 text. Uses one shared 64 KiB buffer (open, read until EOF, close: no
 * fstat, no per-read allocation); a file that fills the buffer is read again with
 * readFileSync. Throws the fs error (ENOENT when a cgroup vanished, ...).
 */
export function readSmallFile(path: string): string {
  const fd = openSync(path, 'r');
  let n = 0;
  try {
    for (;;) {
      const got = readSync(fd, BUFFER, n, BUFFER.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === BUFFER.length) return readFileSync(path, 'latin1');
    }
  } finally {
    closeSync(fd);
  }
  return BUFFER.toString('latin1', 0, n);
}

/**
 * Reads at most `maxBytes` (≤ 64 KiB) from the start of a file with one read, as latin1 text
 * (e.g. the first pid of `cgroup.procs`). Throws the fs error.
 */
export function readFileHead(path: string, maxBytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const got = readSync(fd, BUFFER, 0, Math.min(maxBytes, BUFFER.length), null);
    return BUFFER.toString('latin1', 0, got);
  } finally {
    closeSync(fd);
  }
}

/** The `code` of a Node fs error (`ENOENT`, ...), or undefined. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for errors that mean the cgroup or process went away mid-read (ENOENT, ENODEV, ESRCH). */
export function isVanished(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ENODEV' || code === 'ESRCH';
}
