// Persistence of the compressed store in a data directory:
//   wal/<gen>.wal    append-only log of the batches since the raw head of generation <gen> began
//   blocks/<tier>-<gen>.blk  sealed blocks (raw, 1m, 1h), written once (tmp + fsync + rename)
//   snap-<gen>.snap  at each seal: the hour head, the open roll-up accumulators, the block list
// Recovery: newest valid snapshot g, its blocks, then replay of wal/≥g. Every record and file
// carries a CRC-32; a bad one is logged and skipped (a WAL segment is cut at its first bad record).
import {
  closeSync,
  fdatasync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writev,
} from 'node:fs';
import { open as openAsync, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../core/log.js';
import { decodeRollups, rollupRecords } from './chunk-codec.js';
import type { Series } from './series.js';
import type { SealedBlock } from './tier.js';
import { TsdbStore } from './tsdb-store.js';
import type { SealedRef, StoreHooks, TierName, TsdbStoreOptions } from './tsdb-store.js';

/** Writes `bufs` in order at the file's position; resolves with the bytes written. */
function writevAsync(fd: number, bufs: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) =>
    writev(fd, bufs, (err, n) => (err ? reject(err) : resolve(n))),
  );
}
/** Buffers per writev call (Linux IOV_MAX). */
const MAX_IOV = 1024;
const fdatasyncAsync = promisify(fdatasync);

const REC_DEFINE = 1;
/** A batch: time, count, layout number, series ids, values. */
const REC_BATCH = 3;
/** A batch of the same series, in the same order, as batch record `layout number`: time,
 * count, layout number, values. */
const REC_VALUES = 4;
const BLOCK_MAGIC = 0x324b4248; // "HBK2": the header (series names) is deflated
const SNAP_MAGIC = 0x32534e48; // "HNS2"
const NO_LABELS = 0xffff;
/** Batch layouts remembered per WAL segment at most (one per node part; more start over). */
const MAX_WAL_LAYOUTS = 200_000;

/** A batch layout written to the WAL: its record number, series count and two id hashes. */
interface WalLayout {
  readonly seq: number;
  readonly n: number;
  readonly h1: number;
  readonly h2: number;
}

/** Options of a persistent store. */
export interface OpenStoreOptions extends TsdbStoreOptions {
  /** The data directory (created when missing). */
  dataDir: string;
  logger: Logger;
  /** WAL fdatasync period in ms (default 10 s): what a power loss may lose; 0 = every tick. */
  syncEveryMs?: number;
  /** Delay before retrying a failed disk write, ms (default 5 s). */
  retryMs?: number;
  /** Queued WAL bytes kept while the disk fails; older records are dropped beyond (256 MiB). */
  maxQueuedBytes?: number;
}

/** Statistics of the files, for self-metrics and the bench. */
export interface FileStats {
  writeErrors: number;
  droppedWalBytes: number;
  queuedBytes: number;
}

type Op =
  | { kind: 'wal'; buf: Buffer; gen: number }
  | { kind: 'job'; name: string; run: () => Promise<void> };

/** Ordered asynchronous disk writer: WAL appends and file jobs, retried in order on failure. */
class DiskWriter {
  private readonly ops: Op[] = [];
  private running = false;
  private walFd = -1;
  private walGen = -1;
  private dirty = false;
  private lastSyncMs = 0;
  private failing = false;
  private idleWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  readonly stats: FileStats = { writeErrors: 0, droppedWalBytes: 0, queuedBytes: 0 };
  /** WAL segments recovery already checked: their valid length at the size they had then. */
  private readonly checked = new Map<number, { valid: number; size: number }>();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly syncEveryMs: number,
    private readonly retryMs: number,
    private readonly maxQueuedBytes: number,
  ) {}

  /** Recovery found the first `valid` of `size` bytes of segment `gen` valid. */
  noteChecked(gen: number, valid: number, size: number): void {
    this.checked.set(gen, { valid, size });
  }

  wal(buf: Buffer, gen: number): void {
    this.ops.push({ kind: 'wal', buf, gen });
    this.stats.queuedBytes += buf.length;
    while (this.stats.queuedBytes > this.maxQueuedBytes) {
      const i = this.ops.findIndex((o) => o.kind === 'wal');
      if (i < 0 || (i === 0 && this.running)) break;
      const [dropped] = this.ops.splice(i, 1) as { kind: 'wal'; buf: Buffer }[];
      this.stats.queuedBytes -= dropped.buf.length;
      this.stats.droppedWalBytes += dropped.buf.length;
    }
    this.kick();
  }

  job(name: string, run: () => Promise<void>): void {
    this.ops.push({ kind: 'job', name, run });
    this.kick();
  }

  /** Resolves when every queued op is done (or failing: then after the next attempt). */
  idle(): Promise<void> {
    if (this.ops.length === 0 && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(timeoutMs: number): Promise<void> {
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    if (this.timer) clearTimeout(this.timer);
    if (this.walFd >= 0) {
      try {
        fsyncSync(this.walFd);
      } catch {
        // Reported by earlier writes.
      }
      closeSync(this.walFd);
      this.walFd = -1;
    }
  }

  private kick(): void {
    if (this.running || this.timer !== undefined) return;
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (this.ops.length > 0) {
      const op = this.ops[0];
      // WAL records of this attempt written whole (a write may stop midway, then fail).
      let doneRecords = 0;
      try {
        if (op.kind === 'wal') {
          // Coalesce consecutive WAL records of the same generation.
          const bufs: Buffer[] = [];
          let k = 0;
          while (k < this.ops.length) {
            const o = this.ops[k];
            if (o.kind !== 'wal' || o.gen !== op.gen) break;
            bufs.push(o.buf);
            k++;
          }
          this.openWal(op.gen);
          // Written as they are (no copy into one buffer: a large cluster's first tick defines
          // hundreds of MB of series); a short write continues where it stopped.
          let total = 0;
          for (const b of bufs) total += b.length;
          let rest = bufs;
          while (rest.length > 0) {
            let written = await writevAsync(this.walFd, rest.slice(0, MAX_IOV));
            let i = 0;
            while (i < rest.length && written >= rest[i].length) written -= rest[i++].length;
            doneRecords += i;
            rest = rest.slice(i);
            if (written > 0) rest[0] = rest[0].subarray(written);
          }
          this.ops.splice(0, k);
          this.stats.queuedBytes -= total;
          this.dirty = true;
          const now = Date.now();
          if (now - this.lastSyncMs >= this.syncEveryMs) {
            await fdatasyncAsync(this.walFd);
            this.lastSyncMs = now;
            this.dirty = false;
          }
        } else {
          await op.run();
          this.ops.shift();
        }
        if (this.failing) {
          this.failing = false;
          this.logger.info('store: disk writes recovered');
        }
      } catch (err) {
        this.stats.writeErrors++;
        const e = err as NodeJS.ErrnoException;
        if (!this.failing) {
          this.logger.error(
            { err: e.message, code: e.code },
            `store: cannot write to ${this.dir} (${e.code ?? e.message}); serving from memory, retrying every ${this.retryMs} ms`,
          );
        }
        this.failing = true;
        // The records written whole are done (writing them again would replay them twice);
        // a torn one after them is cut when the segment is reopened for the retry.
        for (const done of this.ops.splice(0, doneRecords)) {
          if (done.kind === 'wal') this.stats.queuedBytes -= done.buf.length;
        }
        if (op.kind === 'wal' && this.walFd >= 0) this.closeWal(true);
        this.running = false;
        this.wake();
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.kick();
        }, this.retryMs);
        this.timer.unref();
        return;
      }
    }
    if (this.dirty && this.walFd >= 0 && Date.now() - this.lastSyncMs >= this.syncEveryMs) {
      await fdatasyncAsync(this.walFd).catch(() => undefined);
      this.lastSyncMs = Date.now();
      this.dirty = false;
    }
    this.running = false;
    this.wake();
  }

  private wake(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  private openWal(gen: number): void {
    if (this.walFd >= 0 && this.walGen === gen) return;
    if (this.walFd >= 0) this.closeWal(false);
    const path = walPath(this.dir, gen);
    this.walFd = openSync(path, 'a');
    this.walGen = gen;
    // Cut a torn tail left by a failed write (valid records are kept). A segment recovery
    // read is not read again (at cluster scale it is hundreds of MB) unless it changed since.
    const known = this.checked.get(gen);
    this.checked.clear();
    const size = statSync(path).size;
    const valid =
      known !== undefined && known.size === size
        ? known.valid
        : validWalLength(readFileSync(path)).valid;
    if (valid < size) truncateSync(path, valid);
  }

  private closeWal(_torn: boolean): void {
    try {
      fsyncSync(this.walFd);
    } catch {
      // The segment is re-checked when reopened.
    }
    closeSync(this.walFd);
    this.walFd = -1;
  }
}

function walPath(dir: string, gen: number): string {
  return join(dir, 'wal', `${String(gen).padStart(10, '0')}.wal`);
}

function blockName(tier: TierName, gen: number): string {
  return `${tier}-${String(gen).padStart(10, '0')}.blk`;
}

/**
 * Length of the valid prefix of a WAL segment (whole records with a good CRC), checking the
 * records that start in [from, until); also counts the definition records among them.
 */
function validWalLength(
  buf: Buffer,
  from = 0,
  until = buf.length,
): { valid: number; defines: number } {
  let off = from;
  let defines = 0;
  while (off + 8 <= buf.length && off < until) {
    const len = buf.readUInt32LE(off);
    if (off + 8 + len > buf.length) break;
    if (crc32(buf.subarray(off + 8, off + 8 + len)) !== buf.readUInt32LE(off + 4)) break;
    if (len > 0 && buf[off + 8] === REC_DEFINE) defines++;
    off += 8 + len;
  }
  return { valid: off, defines };
}

/** `validWalLength` in steps of about 8 MB. */
function* checkWal(buf: Buffer): Generator<RecoveryRequest, { valid: number; defines: number }> {
  const STEP = 8 * 2 ** 20;
  let valid = 0;
  let defines = 0;
  for (;;) {
    const until = Math.min(buf.length, valid + STEP);
    const part = validWalLength(buf, valid, until);
    valid = part.valid;
    defines += part.defines;
    // Short of `until`: a torn or bad record (or the end) stopped it.
    if (valid < until || valid >= buf.length) return { valid, defines };
    yield;
  }
}

/** Growable little-endian byte builder for records. */
class Bytes {
  buf = Buffer.allocUnsafe(4096);
  len = 0;
  need(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }
  u8(v: number): void {
    this.need(1);
    this.buf[this.len++] = v;
  }
  u16(v: number): void {
    this.need(2);
    this.len = this.buf.writeUInt16LE(v, this.len);
  }
  u32(v: number): void {
    this.need(4);
    this.len = this.buf.writeUInt32LE(v, this.len);
  }
  f64(v: number): void {
    this.need(8);
    this.len = this.buf.writeDoubleLE(v, this.len);
  }
  str(s: string): void {
    const n = Buffer.byteLength(s);
    this.u16(n);
    this.need(n);
    this.len += this.buf.write(s, this.len);
  }
  raw(b: Uint8Array): void {
    this.need(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
}

/** Encodes a sealed block with its series identities (self-contained). */
function encodeBlock(ref: SealedRef, byId: Map<number, Series>): Buffer {
  const b = ref.block;
  const series: [string, string, string | null][] = [];
  const index = new Map<number, number>();
  const keep: number[] = [];
  for (let i = 0; i < b.ids.length; i++) {
    const sid = b.ids[i];
    const s = byId.get(sid);
    if (s === undefined) continue;
    let k = index.get(sid);
    if (k === undefined) {
      k = series.length;
      index.set(sid, k);
      series.push([s.key, s.metric, s.labels ?? null]);
    }
    keep.push(i);
  }
  const head = deflateRawSync(
    JSON.stringify({ tier: ref.tier, gen: ref.gen, minT: b.minT, maxT: b.maxT, series }),
  );
  const out = new Bytes();
  out.u32(BLOCK_MAGIC);
  out.u32(head.length);
  out.raw(head);
  out.u32(keep.length);
  // Entry k is the k-th series of the header: its sample count and chunk length.
  for (const i of keep) {
    out.u32(b.counts[i]);
    out.u32(b.offsets[i + 1] - b.offsets[i]);
  }
  for (const i of keep) out.raw(b.data.subarray(b.offsets[i], b.offsets[i + 1]));
  out.u32(crc32(out.buf.subarray(0, out.len)));
  return out.buf.subarray(0, out.len);
}

/** Decodes a block file into the store's id space; throws on a bad file. */
function decodeBlock(buf: Buffer, store: TsdbStore): { tier: TierName; block: SealedBlock } {
  if (buf.length < 12 || buf.readUInt32LE(0) !== BLOCK_MAGIC) throw new Error('not a block file');
  if (crc32(buf.subarray(0, buf.length - 4)) !== buf.readUInt32LE(buf.length - 4)) {
    throw new Error('checksum mismatch (truncated or corrupt)');
  }
  const headLen = buf.readUInt32LE(4);
  const head = JSON.parse(inflateRawSync(buf.subarray(8, 8 + headLen)).toString()) as {
    tier: TierName;
    minT: number;
    maxT: number;
    series: [string, string, string | null][];
  };
  const ids = head.series.map(([k, m, l]) => store.seriesFor(k, m, l ?? undefined).id);
  let off = 8 + headLen;
  const n = buf.readUInt32LE(off);
  off += 4;
  const entries: { id: number; count: number; start: number; len: number }[] = [];
  if (n !== ids.length) throw new Error(`${n} chunks for ${ids.length} series`);
  let dataOff = off + n * 8;
  for (let i = 0; i < n; i++) {
    const count = buf.readUInt32LE(off);
    const len = buf.readUInt32LE(off + 4);
    off += 8;
    const id = ids[i];
    entries.push({ id, count, start: dataOff, len });
    dataOff += len;
  }
  entries.sort((a, b) => a.id - b.id);
  const data = new Uint8Array(dataOff - (off as number));
  const block = {
    minT: head.minT,
    maxT: head.maxT,
    ids: new Uint32Array(n),
    counts: new Uint32Array(n),
    offsets: new Uint32Array(n + 1),
    data,
  };
  let pos = 0;
  entries.forEach((e, i) => {
    block.ids[i] = e.id;
    block.counts[i] = e.count;
    block.offsets[i] = pos;
    data.set(buf.subarray(e.start, e.start + e.len), pos);
    pos += e.len;
  });
  block.offsets[n] = pos;
  return { tier: head.tier, block };
}

const SERIES_NUMS = 7;

/** The snapshot at a seal: clock, block list, series with accumulators, hour head. */
function encodeSnapshot(store: TsdbStore, blocks: string[]): Buffer {
  const series = [...store.series()];
  const names = series.map((s) => [s.key, s.metric, s.labels ?? null]);
  const nums = new Float64Array(series.length * SERIES_NUMS);
  series.forEach((s, i) => {
    nums.set([s.id, s.lastMs, s.hStart, s.hMin, s.hMax, s.hSum, s.hCount], i * SERIES_NUMS);
  });
  const hour = store.hour;
  // Per open hour chunk: series id and record count; then the chunks' bytes.
  const hourNums = new Float64Array(hour.headSize() * 2);
  const hourBytes: Uint8Array[] = [];
  hour.forEachHeadChunk((id, bytes, count) => {
    const i = hourBytes.length;
    hourNums[i * 2] = id;
    hourNums[i * 2 + 1] = count;
    hourBytes.push(bytes);
  });
  const head = Buffer.from(
    JSON.stringify({
      clock: store.clock(),
      blocks,
      names,
      hourLens: hourBytes.map((b) => b.length),
      hourMinT: hour.headMinT,
      hourMaxT: hour.headMaxT,
      hourSamples: hour.headSamples,
    }),
  );
  const out = new Bytes();
  out.u32(SNAP_MAGIC);
  out.u32(head.length);
  out.raw(head);
  out.u32(nums.length);
  out.raw(new Uint8Array(nums.buffer));
  out.u32(hourNums.length);
  out.raw(new Uint8Array(hourNums.buffer));
  for (const b of hourBytes) out.raw(b);
  out.u32(crc32(out.buf.subarray(0, out.len)));
  return out.buf.subarray(0, out.len);
}

interface Snapshot {
  gen: number;
  blocks: string[];
  apply: (store: TsdbStore) => void;
}

function decodeSnapshot(buf: Buffer): Snapshot {
  if (buf.length < 12 || buf.readUInt32LE(0) !== SNAP_MAGIC) throw new Error('not a snapshot');
  if (crc32(buf.subarray(0, buf.length - 4)) !== buf.readUInt32LE(buf.length - 4)) {
    throw new Error('checksum mismatch (truncated or corrupt)');
  }
  const headLen = buf.readUInt32LE(4);
  const head = JSON.parse(buf.subarray(8, 8 + headLen).toString()) as {
    clock: { gen: number; newestMs: number; rawHeadEndMs: number; hourHeadEndMs: number };
    blocks: string[];
    names: [string, string, string | null][];
    hourLens: number[];
    hourMinT: number | null;
    hourMaxT: number | null;
    hourSamples: number;
  };
  let off = 8 + headLen;
  const f64s = (): Float64Array => {
    const n = buf.readUInt32LE(off);
    off += 4;
    const a = new Float64Array(n);
    new Uint8Array(a.buffer).set(buf.subarray(off, off + n * 8));
    off += n * 8;
    return a;
  };
  const nums = f64s();
  const hourNums = f64s();
  const c = head.clock;
  return {
    gen: c.gen,
    blocks: head.blocks,
    apply(store) {
      store.restoreClock(
        c.gen,
        c.newestMs ?? -Infinity,
        c.rawHeadEndMs ?? NaN,
        c.hourHeadEndMs ?? NaN,
      );
      const idMap = new Map<number, number>();
      head.names.forEach(([k, m, l], i) => {
        const s = store.seriesFor(k, m, l ?? undefined);
        const x = nums.subarray(i * SERIES_NUMS, (i + 1) * SERIES_NUMS);
        idMap.set(x[0], s.id);
        s.lastMs = Math.max(s.lastMs, x[1]);
        [s.hStart, s.hMin, s.hMax, s.hSum, s.hCount] = x.subarray(2);
      });
      head.hourLens.forEach((len, i) => {
        const sid = idMap.get(hourNums[i * 2]);
        const count = hourNums[i * 2 + 1];
        const bytes = buf.subarray(off, off + len);
        off += len;
        if (sid === undefined) return;
        const recs = rollupRecords(count);
        decodeRollups(bytes, count, recs);
        for (let k = 0; k < count; k++) {
          store.hour.append(sid, recs.ts[k], recs.min[k], recs.max[k], recs.sum[k], recs.count[k]);
        }
      });
      store.hour.headMinT = head.hourMinT ?? Infinity;
      store.hour.headMaxT = head.hourMaxT ?? -Infinity;
      store.hour.headSamples = head.hourSamples;
    },
  };
}

/** Writes a file atomically: tmp, fsync, rename, fsync of the directory. */
async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await openAsync(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await openAsync(join(path, '..'), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

function listGens(dir: string, suffix: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith(suffix) && /^\d+/.test(n))
    .map((n) => Number(/^(\d+)/.exec(n)![1]))
    .sort((a, b) => a - b);
}

/**
 * Opens (or creates) a persistent store in `dataDir`: recovers the newest valid snapshot, its
 * blocks and the WAL after it (bad files are logged and skipped, never fatal), then logs every
 * appended batch (written asynchronously in order, right after `append` returns: a process
 * crash loses at most the batch in flight; WAL fdatasync every `syncEveryMs`, blocks and
 * snapshots fsynced before use). A failing disk (e.g. ENOSPC) is logged once, counted, and
 * retried every `retryMs` while the store keeps serving from memory. Throws only when the
 * directory cannot be created.
 */
export function openTsdbStore(opts: OpenStoreOptions): TsdbStore {
  makeDirs(opts.dataDir);
  const store = new TsdbStore(opts);
  const steps = recoverySteps(store, opts, { doneBytes: 0, totalBytes: 0 });
  let step = steps.next();
  while (!step.done) {
    const read = step.value?.read;
    step = answer(steps, read === undefined ? undefined : readOrError(read));
  }
  return store;
}

/** What a recovery step asks of its driver: nothing (a pause), or the bytes of a file. */
type RecoveryRequest = undefined | { read: string };
type RecoverySteps = Generator<RecoveryRequest, void, Buffer | undefined>;

/** Resumes the recovery with what its step asked for: the file's bytes, or its read error. */
function answer(steps: RecoverySteps, got: Buffer | Error | undefined) {
  return got instanceof Error ? steps.throw(got) : steps.next(got);
}

function readOrError(path: string): Buffer | Error {
  try {
    return readFileSync(path);
  } catch (err) {
    return err as Error;
  }
}

/** How far a recovery is: bytes of the snapshot's blocks and the WAL read so far, of all. */
export interface RecoveryProgress {
  doneBytes: number;
  totalBytes: number;
}

/** A store whose recovery runs in the background (`openTsdbStoreInBackground`). */
export interface RecoveringStore {
  store: TsdbStore;
  /** Updated as the recovery goes on. */
  progress: RecoveryProgress;
  /**
   * Resolves when the store holds everything the files had (append only after it), or at once
   * after `cancel`.
   */
  recovered: Promise<void>;
  /** Starts the recovery (call it once the API listens: a slice delays whatever waits). */
  start(): void;
  /** Stops the recovery (at shutdown); `store.close()` still closes the files. */
  cancel(): void;
}

/**
 * Like `openTsdbStore`, but returns at once and recovers in slices of about `sliceMs` of work,
 * letting the event loop run between them (the API can answer while a large WAL replays).
 * Throws (synchronously) only when the directory cannot be created.
 */
export function openTsdbStoreInBackground(opts: OpenStoreOptions, sliceMs = 20): RecoveringStore {
  // Before the store exists: a directory error must leave nothing registered (the caller
  // falls back to a memory store on the same registry).
  makeDirs(opts.dataDir);
  const store = new TsdbStore(opts);
  const progress: RecoveryProgress = { doneBytes: 0, totalBytes: 0 };
  const steps = recoverySteps(store, opts, progress);
  // The first step (snapshot, totals) runs now.
  let step = steps.next();
  let cancelled = false;
  let start!: () => void;
  const started = new Promise<void>((resolve) => (start = resolve));
  const recovered = (async () => {
    await started;
    while (!step.done && !cancelled) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const end = performance.now() + sliceMs;
      do {
        const read = step.value?.read;
        // Files are read off the event loop (a WAL segment may be hundreds of MB).
        const got = read === undefined ? undefined : await readFile(read).catch((e: Error) => e);
        step = answer(steps, got);
      } while (!step.done && !cancelled && performance.now() < end);
    }
  })();
  return { store, progress, recovered, start, cancel: () => (cancelled = true) };
}

/**
 * The recovery of `store` from `opts.dataDir`, yielding often (every block, every 1,024 WAL
 * records) so that a caller can spread it over time; `progress` is updated at each yield.
 */
function* recoverySteps(
  store: TsdbStore,
  opts: OpenStoreOptions,
  progress: RecoveryProgress,
): RecoverySteps {
  const dir = opts.dataDir;
  const log = opts.logger;

  // 1. Newest valid snapshot.
  let snap: Snapshot | undefined;
  const snapGens = listGens(dir, '.snap');
  for (let i = snapGens.length - 1; i >= 0 && snap === undefined; i--) {
    const path = join(dir, `${String(snapGens[i]).padStart(10, '0')}.snap`);
    try {
      snap = decodeSnapshot(readFileSync(path));
    } catch (err) {
      log.warn(
        { file: path, err: (err as Error).message },
        `store: skipping snapshot ${path}: ${(err as Error).message}`,
      );
    }
  }
  // 2. Its blocks (a block not listed is from an interrupted seal, or expired).
  const listed = new Set(snap?.blocks ?? []);
  const fromGen = snap?.gen ?? 0;
  const blockNames: string[] = [];
  for (const name of readdirSync(join(dir, 'blocks'))) {
    const path = join(dir, 'blocks', name);
    if (!listed.has(name)) rmSync(path, { force: true });
    else blockNames.push(name);
  }
  const walGens = listGens(join(dir, 'wal'), '.wal');
  for (const name of blockNames) progress.totalBytes += fileSize(join(dir, 'blocks', name));
  for (const gen of walGens) if (gen >= fromGen) progress.totalBytes += fileSize(walPath(dir, gen));
  // The first step ends here: the caller knows the totals.
  yield;
  const liveBlocks: string[] = [];
  const spans = new Map<string, SealedBlock>();
  for (const name of blockNames) {
    const path = join(dir, 'blocks', name);
    try {
      const data = (yield { read: path })!;
      const { tier, block } = decodeBlock(data, store);
      store.addBlock(tier, block);
      liveBlocks.push(name);
      spans.set(name, block);
      progress.doneBytes += data.length;
    } catch (err) {
      log.warn(
        { file: path, err: (err as Error).message },
        `store: skipping block ${path}: ${(err as Error).message}`,
      );
    }
    yield;
  }
  snap?.apply(store);
  yield;
  let replaying = true;
  // 4. Live: log batches, persist seals.
  const writer = new DiskWriter(
    dir,
    log,
    opts.syncEveryMs ?? 10_000,
    opts.retryMs ?? 5_000,
    opts.maxQueuedBytes ?? 256 * 2 ** 20,
  );
  store.setCloser(() => writer.close(10_000));
  if (opts.registry) registerFileGauges(opts.registry, writer.stats);
  let walGen = store.gen;
  // The batch layouts (series ids in order) written to the current segment, by first id and
  // as a count and two hashes: a node's part repeats its series tick after tick and is then
  // written as values only (8 bytes per sample instead of 12).
  const layouts = new Map<number, WalLayout>();
  let droppedWal = writer.stats.droppedWalBytes;
  // Number of the last batch record: a values record names its batch record's number, so that
  // a values record whose batch record was lost (dropped while the disk was failing) is
  // skipped, never misread. Starts at random: a later process appending to the same segment
  // does not repeat numbers.
  let layoutSeq = Math.floor(Math.random() * 2 ** 32);
  const hooks: StoreHooks = {
    onBatch(st, t, series, vals) {
      if (replaying) return;
      const gen = st.gen;
      // A new segment starts with full batch records; so does every layout after the writer
      // dropped records (one may have been its batch record).
      if (gen !== walGen || writer.stats.droppedWalBytes !== droppedWal) {
        walGen = gen;
        droppedWal = writer.stats.droppedWalBytes;
        layouts.clear();
      }
      let out: Bytes | undefined;
      for (let i = 0; i < series.length; i++) {
        const s = series[i];
        if (s.walGen === gen) continue;
        s.walGen = gen;
        // Framed in place: length and CRC-32 filled in after the payload.
        out ??= new Bytes();
        const start = out.len;
        out.u32(0);
        out.u32(0);
        out.u8(REC_DEFINE);
        out.u32(s.id);
        out.str(s.key);
        out.str(s.metric);
        if (s.labels === undefined) out.u16(NO_LABELS);
        else out.str(s.labels);
        out.buf.writeUInt32LE(out.len - start - 8, start);
        out.buf.writeUInt32LE(crc32(out.buf.subarray(start + 8, out.len)), start + 4);
      }
      // The same series as the last batch record with this first id (the usual case): values only.
      const n = series.length;
      let h1 = 0x811c9dc5;
      let h2 = n;
      for (let i = 0; i < n; i++) {
        const id = series[i].id;
        h1 = Math.imul(h1 ^ id, 0x01000193);
        h2 = Math.imul(h2 ^ id, 0x5bd1e995) + i;
      }
      const first = n > 0 ? series[0].id : -1;
      let layout = layouts.get(first);
      const same = layout !== undefined && layout.n === n && layout.h1 === h1 && layout.h2 === h2;
      if (!same) {
        layoutSeq = (layoutSeq + 1) >>> 0;
        if (layouts.size >= MAX_WAL_LAYOUTS) layouts.clear();
        layout = { seq: layoutSeq, n, h1, h2 };
        layouts.set(first, layout);
      }
      const payload = 17 + n * (same ? 8 : 12);
      const rec = Buffer.allocUnsafe(8 + payload);
      rec.writeUInt32LE(payload, 0);
      rec[8] = same ? REC_VALUES : REC_BATCH;
      rec.writeDoubleLE(t, 9);
      rec.writeUInt32LE(n, 17);
      rec.writeUInt32LE(layout!.seq, 21);
      let p = 25;
      if (!same) {
        for (let i = 0; i < n; i++, p += 4) rec.writeUInt32LE(series[i].id, p);
      }
      rec.set(new Uint8Array(vals.buffer, vals.byteOffset, n * 8), p);
      rec.writeUInt32LE(crc32(rec.subarray(8)), 4);
      if (out === undefined) writer.wal(rec, gen);
      else {
        out.raw(rec);
        writer.wal(Buffer.from(out.buf.subarray(0, out.len)), gen);
      }
    },
    onSeal(st, gen, sealed) {
      const byId = st.seriesById();
      const files = sealed.map((ref) => ({
        name: blockName(ref.tier, ref.gen),
        data: encodeBlock(ref, byId),
      }));
      sealed.forEach((ref, i) => spans.set(files[i].name, ref.block));
      const expired = expiredNames(st, spans);
      const snapData = encodeSnapshot(st, [...spans.keys()]);
      const snapPath = join(dir, `${String(gen).padStart(10, '0')}.snap`);
      writer.job(`seal ${gen}`, async () => {
        for (const f of files) await writeFileAtomic(join(dir, 'blocks', f.name), f.data);
        await writeFileAtomic(snapPath, snapData);
        for (const g of listGens(dir, '.snap')) {
          if (g < gen) await rm(join(dir, `${String(g).padStart(10, '0')}.snap`), { force: true });
        }
        for (const g of listGens(join(dir, 'wal'), '.wal')) {
          if (g < gen) await rm(walPath(dir, g), { force: true });
        }
        for (const name of expired) await rm(join(dir, 'blocks', name), { force: true });
      });
    },
  };
  store.setHooks(hooks);
  // 3. WAL segments from the snapshot's generation on. Whatever happens, new batches are
  // logged afterwards (a replay that failed midway must not leave the WAL off for the run).
  let replayed = 0;
  try {
    const byWalId = new Map<number, Series>();
    let values = new Float64Array(1024);
    const list: Series[] = [];
    let walList: (Series | undefined)[] | undefined = [];
    // The series of each batch record of the segment, by its number (values records name it).
    const walLayouts = new Map<number, (Series | undefined)[]>();
    // The layouts whose every id was defined (the usual case): their values are copied as is.
    const complete = new WeakSet<(Series | undefined)[]>();
    let valueBytes = new Uint8Array(values.buffer);
    let records = 0;
    for (const gen of walGens) {
      const path = walPath(dir, gen);
      if (gen < fromGen) {
        rmSync(path, { force: true });
        continue;
      }
      let buf: Buffer;
      try {
        buf = (yield { read: path })!;
      } catch (err) {
        log.warn(
          { file: path, err: (err as Error).message },
          `store: skipping WAL ${path}: ${(err as Error).message}`,
        );
        continue;
      }
      const { valid, defines } = yield* checkWal(buf);
      writer.noteChecked(gen, valid, buf.length);
      // Room for the series it defines (a segment defines each series it has), at once rather
      // than by repeated growth.
      store.reserveSeries(defines);
      yield;
      const doneBefore = progress.doneBytes;
      if (valid < buf.length) {
        log.warn(
          { file: path, validBytes: valid, bytes: buf.length },
          `store: WAL ${path} has a truncated or corrupt tail after byte ${valid}; replaying the valid part`,
        );
      }
      byWalId.clear();
      walLayouts.clear();
      let off = 0;
      // Start of the record being replayed: a record with a good checksum that cannot be read
      // (written by a bug, or by another version) ends this segment's replay, not the start.
      let at = 0;
      try {
        while (off < valid) {
          if ((++records & 1023) === 0) {
            progress.doneBytes = doneBefore + off;
            yield;
          }
          at = off;
          const len = buf.readUInt32LE(off);
          let p = off + 8;
          const end = p + len;
          off = end;
          const type = buf[p++];
          if (type === REC_DEFINE) {
            const id = buf.readUInt32LE(p);
            p += 4;
            const rd = (): string | undefined => {
              const n = buf.readUInt16LE(p);
              p += 2;
              if (n === NO_LABELS) return undefined;
              const s = buf.toString('utf8', p, p + n);
              p += n;
              return s;
            };
            const key = rd()!;
            const metric = rd()!;
            const labels = rd();
            byWalId.set(id, store.seriesFor(key, metric, labels));
          } else if (type === REC_BATCH || type === REC_VALUES) {
            const t = buf.readDoubleLE(p);
            const n = buf.readUInt32LE(p + 8);
            const seq = buf.readUInt32LE(p + 12);
            p += 16;
            if (values.length < n) {
              values = new Float64Array(n);
              valueBytes = new Uint8Array(values.buffer);
            }
            if (type === REC_BATCH) {
              walList = new Array<Series | undefined>(n);
              let all = true;
              for (let i = 0; i < n; i++) {
                const s = byWalId.get(buf.readUInt32LE(p));
                if (s === undefined) all = false;
                walList[i] = s;
                p += 4;
              }
              walLayouts.set(seq, walList);
              if (all) complete.add(walList);
            } else {
              walList = walLayouts.get(seq);
              // Its batch record is not in this segment: cannot map.
              if (walList === undefined || walList.length !== n) continue;
            }
            if (complete.has(walList)) {
              valueBytes.set(buf.subarray(p, p + n * 8));
              store.replay(t, walList as Series[], values, n);
            } else {
              list.length = 0;
              for (let i = 0; i < n; i++) {
                const s = walList[i];
                if (s !== undefined) {
                  values[list.length] = buf.readDoubleLE(p);
                  list.push(s);
                }
                p += 8;
              }
              store.replay(t, list, values, list.length);
            }
            replayed++;
          }
        }
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        log.warn(
          { file: path, offset: at, err: message },
          `store: WAL ${path} has a record at byte ${at} that cannot be read (${message}); the rest of this segment is skipped`,
        );
        // Cut there before new records are appended (they would be skipped with the rest).
        writer.noteChecked(gen, at, buf.length);
      }
      progress.doneBytes = doneBefore + buf.length;
    }
  } finally {
    store.endRecovery();
    replaying = false;
  }
  fileStats.set(store, writer.stats);
  if (replayed > 0 || snap) {
    log.info(
      {
        dataDir: dir,
        blocks: liveBlocks.length,
        walBatches: replayed,
        series: store.seriesCount(),
      },
      `store: recovered ${store.seriesCount()} series from ${dir} (${liveBlocks.length} blocks, ${replayed} WAL batches)`,
    );
  }
  (store as PersistentExtras).flush = () => writer.idle();
}

/** Self-metrics of the files: failed writes, dropped and queued WAL bytes. */
function registerFileGauges(registry: Registry, stats: FileStats): void {
  const registers = [registry];
  new Gauge({
    name: 'heapster_store_disk_write_errors',
    help: 'Writes to --data-dir that failed since start (e.g. a full disk; retried)',
    registers,
    collect() {
      this.set(stats.writeErrors);
    },
  });
  new Gauge({
    name: 'heapster_store_wal_queued_bytes',
    help: 'WAL bytes waiting to be written to --data-dir',
    registers,
    collect() {
      this.set(stats.queuedBytes);
    },
  });
  new Gauge({
    name: 'heapster_store_wal_dropped_bytes',
    help: 'WAL bytes dropped since start because the disk failed for longer than the queue holds',
    registers,
    collect() {
      this.set(stats.droppedWalBytes);
    },
  });
}

/** Creates the data directory and its parts (throws when it cannot). */
function makeDirs(dir: string): void {
  mkdirSync(join(dir, 'wal'), { recursive: true });
  mkdirSync(join(dir, 'blocks'), { recursive: true });
}

/** Size of a file in bytes; 0 when it cannot be read (its read reports why). */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Extra methods of a store returned by `openTsdbStore`. */
interface PersistentExtras {
  flush?: () => Promise<void>;
}

/** Waits until everything appended so far is written (not necessarily fsynced). */
export function flushStore(store: TsdbStore): Promise<void> {
  return (store as PersistentExtras).flush?.() ?? Promise.resolve();
}

const fileStats = new WeakMap<TsdbStore, FileStats>();

/** Disk-write statistics of a persistent store (undefined for an in-memory one). */
export function storeFileStats(store: TsdbStore): FileStats | undefined {
  return fileStats.get(store);
}

/** Names of block files whose block is no longer held by its tier (retention). */
function expiredNames(store: TsdbStore, spans: Map<string, SealedBlock>): string[] {
  const out: string[] = [];
  for (const [name, b] of spans) {
    const tierName = name.slice(0, name.indexOf('-')) as TierName;
    if (!store.tier(tierName).blocks.includes(b)) {
      out.push(name);
      spans.delete(name);
    }
  }
  return out;
}
