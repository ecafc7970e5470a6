import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { crc32 } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Batch, MetricSet } from '../core/batch.js';
import type { Logger } from '../core/log.js';
import { MemoryStore } from './memory-store.js';
import { flushStore, openTsdbStore, openTsdbStoreInBackground } from './store-files.js';
import type { TsdbStore } from './tsdb-store.js';

const HOUR = 3_600_000;

/** A logger that records messages (to check what is reported). */
function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
  return { logger, lines };
}

function batch(t: number, nodes: number): Batch {
  const sets = new Map<string, MetricSet>();
  for (let i = 0; i < nodes; i++) {
    sets.set(`node:n${i}`, {
      labels: { type: 'node' },
      values: new Map([
        ['cpu/usage', t * 1000 + i],
        ['memory/usage', 1e9 + ((t / 1000) % 97) * 4096 + i],
        ['cpu/usage_rate', (t / 1000) % 13 === 0 ? 0.5 : 12.25],
      ]),
      labeled: [{ name: 'filesystem/usage', labels: { resource_id: '/dev/sda1' }, value: 5e9 + i }],
      scrapeTimeMs: t,
      collectionStartMs: 0,
      createMs: 0,
    });
  }
  return { timestampMs: t, sets };
}

const METRICS = ['cpu/usage', 'memory/usage', 'cpu/usage_rate'];

/** A batch of one node set with these plain values. */
function nodeBatch(t: number, key: string, values: Iterable<[string, number]>): Batch {
  return {
    timestampMs: t,
    sets: new Map([
      [
        key,
        {
          labels: { type: 'node' },
          values: new Map(values),
          labeled: [],
          scrapeTimeMs: t,
          collectionStartMs: 0,
          createMs: 0,
        },
      ],
    ]),
  };
}

function sameData(a: TsdbStore | MemoryStore, b: TsdbStore, nodes: number, endMs: number): void {
  for (let i = 0; i < nodes; i++) {
    const key = `node:n${i}`;
    assert.deepEqual(b.metricNames(key), a.metricNames(key));
    for (const metric of METRICS) {
      const q = { key, metric, startMs: 0, endMs };
      assert.deepEqual(b.query(q), a.query(q), `${key} ${metric}`);
    }
    const ql = {
      key,
      metric: 'filesystem/usage',
      labels: { resource_id: '/dev/sda1' },
      startMs: 0,
      endMs,
    };
    assert.deepEqual(b.query(ql), a.query(ql));
  }
}

test('a reopened store answers exactly as before: blocks, snapshot, WAL and roll-ups', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-store-'));
  try {
    const { logger } = recordingLogger();
    const opts = {
      dataDir: dir,
      logger,
      retentionRawMs: 3 * HOUR,
      retentionMs: 48 * HOUR,
      blockMs: 20 * 60_000,
      syncEveryMs: 0,
    };
    const ref = new MemoryStore({ retentionMs: 3 * HOUR });
    const a = openTsdbStore(opts);
    let t = 1_700_000_000_000 - (1_700_000_000_000 % HOUR);
    for (let k = 0; k < 5 * 60; k++, t += 60_000) {
      const b = batch(t, 5);
      a.append(b);
      ref.append(b);
    }
    await flushStore(a);
    const aggQ = {
      key: 'node:n1',
      metric: 'memory/usage',
      startMs: 0,
      endMs: t,
      stepMs: HOUR,
    };
    const aggBefore = a.queryAggregated(aggQ);
    assert.ok(
      aggBefore.some((x) => !x.exact),
      'old buckets come from roll-ups',
    );
    await a.close();
    assert.ok(readdirSync(join(dir, 'blocks')).length > 0);

    const b = openTsdbStore(opts);
    sameData(ref, b, 5, t);
    assert.deepEqual(b.queryAggregated(aggQ), aggBefore);
    // It keeps working after the restart, across more seals.
    for (let k = 0; k < 90; k++, t += 60_000) {
      const x = batch(t, 5);
      b.append(x);
      ref.append(x);
    }
    await b.close();
    const c = openTsdbStore(opts);
    sameData(ref, c, 5, t);
    await c.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt block and a torn WAL tail are reported and skipped; the rest loads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-store-'));
  try {
    const opts = {
      dataDir: dir,
      logger: recordingLogger().logger,
      retentionRawMs: 10 * HOUR,
      blockMs: 30 * 60_000,
      syncEveryMs: 0,
    };
    const a = openTsdbStore(opts);
    const t0 = 1_700_000_400_000 - (1_700_000_400_000 % HOUR);
    let t = t0;
    for (let k = 0; k < 100; k++, t += 60_000) a.append(batch(t, 2));
    await a.close();
    const blocks = readdirSync(join(dir, 'blocks')).filter((n) => n.startsWith('raw-'));
    assert.ok(blocks.length >= 2, blocks.join());
    // Flip a byte in the middle of the first raw block.
    const victim = join(dir, 'blocks', blocks[0]);
    const buf = readFileSync(victim);
    buf[buf.length >> 1] ^= 0xff;
    writeFileSync(victim, buf);
    // Tear the last WAL record.
    const wal = readdirSync(join(dir, 'wal')).sort().at(-1)!;
    const walBuf = readFileSync(join(dir, 'wal', wal));
    writeFileSync(join(dir, 'wal', wal), walBuf.subarray(0, walBuf.length - 5));

    const { logger, lines } = recordingLogger();
    const b = openTsdbStore({ ...opts, logger });
    const log = lines.join('');
    assert.match(log, new RegExp(`skipping block .*${blocks[0]}.*checksum`));
    assert.match(log, /WAL .* truncated or corrupt tail/);
    const pts = b.query({ key: 'node:n0', metric: 'cpu/usage', startMs: 0, endMs: t });
    const times = new Set(pts.map((p) => p.timestampMs));
    // The last batch (torn) is gone, the corrupt block's span is gone, the rest is there.
    assert.ok(!times.has(t - 60_000));
    assert.ok(times.has(t - 120_000));
    assert.ok(!times.has(t0));
    assert.ok(times.has(t0 + 30 * 60_000 + 60_000 * 5));
    // And it accepts new data.
    b.append(batch(t, 2));
    assert.equal(b.query({ key: 'node:n0', metric: 'cpu/usage', startMs: t, endMs: t }).length, 1);
    await b.close();
    // The torn tail was cut before the new record: it is read back after the next start.
    const c = openTsdbStore({ ...opts, logger: recordingLogger().logger });
    assert.equal(c.query({ key: 'node:n0', metric: 'cpu/usage', startMs: t, endMs: t }).length, 1);
    await c.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('WAL: values records replay by their batch record; one whose batch record is lost is skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-store-'));
  try {
    const opts = { dataDir: dir, logger: recordingLogger().logger, syncEveryMs: 0 };
    const a = openTsdbStore(opts);
    const t0 = 1_700_000_400_000 - (1_700_000_400_000 % HOUR) + 60_000;
    const one = (t: number, values: [string, number][]): Batch => nodeBatch(t, 'node:n0', values);
    a.append(
      one(t0, [
        ['m0', 1],
        ['m1', 2],
      ]),
    ); // defines + batch record (layout 1)
    a.append(
      one(t0 + 1000, [
        ['m0', 3],
        ['m1', 4],
      ]),
    ); // values record of layout 1
    a.append(
      one(t0 + 2000, [
        ['m1', 20],
        ['m0', 10],
      ]),
    ); // batch record (layout 2: reversed)
    a.append(
      one(t0 + 3000, [
        ['m1', 40],
        ['m0', 30],
      ]),
    ); // values record of layout 2
    await a.close();
    const q = (metric: string) =>
      openedB.query({ key: 'node:n0', metric, startMs: 0, endMs: t0 + 10_000 }).map((p) => p.value);
    let openedB = openTsdbStore(opts);
    assert.deepEqual(q('m0'), [1, 3, 10, 30]);
    assert.deepEqual(q('m1'), [2, 4, 20, 40]);
    await openedB.close();
    // Drop the second batch record (as a failing disk's queue may): its values record must not
    // be read with the first layout (which has the same length).
    const wal = join(dir, 'wal', readdirSync(join(dir, 'wal')).sort().at(-1)!);
    const buf = readFileSync(wal);
    const frames: Buffer[] = [];
    for (let off = 0; off < buf.length;) {
      const len = buf.readUInt32LE(off);
      frames.push(buf.subarray(off, off + 8 + len));
      off += 8 + len;
    }
    const batches = frames.filter((f) => f[8] === 3);
    assert.equal(batches.length, 2);
    writeFileSync(wal, Buffer.concat(frames.filter((f) => f !== batches[1])));
    openedB = openTsdbStore(opts);
    assert.deepEqual(q('m0'), [1, 3]);
    assert.deepEqual(q('m1'), [2, 4]);
    await openedB.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('WAL: a tick stored node by node is written as values only from its second tick on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-store-'));
  try {
    const opts = { dataDir: dir, logger: recordingLogger().logger, syncEveryMs: 0 };
    const a = openTsdbStore(opts);
    const t0 = 1_700_000_400_000 - (1_700_000_400_000 % HOUR) + 60_000;
    const NODES = 5;
    const METRICS = 20;
    // One part per node, as the kubelet sources hand them over.
    const part = (t: number, node: number): Batch =>
      nodeBatch(
        t,
        `node:n${node}`,
        Array.from({ length: METRICS }, (_, m): [string, number] => [`m${m}`, t / 1000 + m]),
      );
    const walBytes = (): number =>
      readdirSync(join(dir, 'wal')).reduce(
        (sum, f) => sum + readFileSync(join(dir, 'wal', f)).length,
        0,
      );
    const grew: number[] = [];
    for (let tick = 0; tick < 4; tick++) {
      const before = walBytes();
      for (let node = 0; node < NODES; node++) {
        a.append(part(t0 + tick * 15_000, node), { partial: true });
      }
      await flushStore(a);
      grew.push(walBytes() - before);
    }
    // From the second tick on, per part: an 8-byte frame, a 17-byte header, 8 bytes per sample.
    const valuesOnly = NODES * (8 + 17 + METRICS * 8);
    assert.deepEqual(grew.slice(1), [valuesOnly, valuesOnly, valuesOnly]);
    assert.ok(grew[0] > valuesOnly + NODES * METRICS * 4, `first tick ${grew[0]} bytes`);
    await a.close();
    const b = openTsdbStore(opts);
    for (let node = 0; node < NODES; node++) {
      for (const m of [0, METRICS - 1]) {
        const got = b
          .query({ key: `node:n${node}`, metric: `m${m}`, startMs: 0, endMs: t0 + HOUR })
          .map((p) => p.value);
        assert.deepEqual(
          got,
          [0, 1, 2, 3].map((tick) => (t0 + tick * 15_000) / 1000 + m),
        );
      }
    }
    await b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a series past every retention in the WAL is gone after a restart, as it was before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-store-'));
  try {
    const opts = {
      dataDir: dir,
      logger: pino({ level: 'silent' }),
      retentionRawMs: 10 * 60_000,
      retentionMs: 20 * 60_000,
      blockMs: 60 * 60_000,
      syncEveryMs: 0,
    };
    const a = openTsdbStore(opts);
    let t = 1_700_000_000_000 - (1_700_000_000_000 % HOUR);
    // n3 and n4 report for 5 minutes, then stop; n0..n2 go on for 40 minutes.
    for (let k = 0; k < 40; k++, t += 60_000) a.append(batch(t, k < 5 ? 5 : 3));
    await flushStore(a);
    assert.deepEqual(a.keys(), ['node:n0', 'node:n1', 'node:n2']);
    const series = a.seriesCount();
    await a.close();
    const b = openTsdbStore(opts);
    assert.deepEqual(b.keys(), ['node:n0', 'node:n1', 'node:n2']);
    assert.equal(b.seriesCount(), series);
    assert.deepEqual(b.query({ key: 'node:n3', metric: 'cpu/usage', startMs: 0, endMs: t }), []);
    await b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('recovery in the background: the event loop runs between slices; the result equals a plain open', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-store-'));
  try {
    const opts = { dataDir: dir, logger: pino({ level: 'silent' }), syncEveryMs: 0 };
    const a = openTsdbStore(opts);
    let t = 1_700_000_000_000;
    for (let k = 0; k < 300; k++, t += 60_000) a.append(batch(t, 20));
    await a.close();

    const bg = openTsdbStoreInBackground(opts, 0);
    assert.ok(bg.progress.totalBytes > 0);
    let turns = 0;
    let seenProgress = 0;
    let finished = false;
    const tick = () => {
      if (finished) return;
      turns++;
      if (bg.progress.doneBytes > 0 && bg.progress.doneBytes < bg.progress.totalBytes)
        seenProgress++;
      setImmediate(tick);
    };
    setImmediate(tick);
    bg.start();
    try {
      await bg.recovered;
    } finally {
      finished = true;
    }
    assert.ok(turns > 1, `the event loop ran ${turns} times during the recovery`);
    assert.ok(seenProgress > 0, 'progress was seen between 0 and the total');
    assert.equal(bg.progress.doneBytes, bg.progress.totalBytes);
    const plain = openTsdbStore(opts);
    sameData(plain, bg.store, 20, t);
    await plain.close();
    await bg.store.close();

    // Cancelled: stops early, and the files still open afterwards with everything.
    const cancelled = openTsdbStoreInBackground(opts, 0);
    cancelled.start();
    cancelled.cancel();
    await cancelled.recovered;
    assert.ok(cancelled.progress.doneBytes < cancelled.progress.totalBytes);
    await cancelled.store.close();
    const again = openTsdbStore(opts);
    sameData(bg.store, again, 20, t);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a WAL segment larger than one check step (8 MB) with a torn tail: everything before the tear is replayed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-store-'));
  try {
    const opts = { dataDir: dir, logger: recordingLogger().logger, syncEveryMs: 0 };
    const a = openTsdbStore(opts);
    let t = 1_700_000_000_000;
    for (let k = 0; k < 150; k++, t += 15_000) a.append(batch(t, 2000));
    await a.close();
    const wal = join(dir, 'wal', readdirSync(join(dir, 'wal')).sort().at(-1)!);
    const walBuf = readFileSync(wal);
    assert.ok(walBuf.length > 9 * 2 ** 20, `${walBuf.length} bytes`);
    writeFileSync(wal, walBuf.subarray(0, walBuf.length - 5));
    const { logger, lines } = recordingLogger();
    const b = openTsdbStoreInBackground({ ...opts, logger });
    b.start();
    await b.recovered;
    assert.match(lines.join(''), /WAL .* truncated or corrupt tail/);
    const pts = b.store.query({ key: 'node:n1999', metric: 'cpu/usage', startMs: 0, endMs: t });
    assert.equal(pts.length, 149);
    assert.equal(pts.at(-1)!.timestampMs, t - 30_000);
    await b.store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a WAL record with a good checksum that cannot be read: logged, the rest of the segment skipped, later batches kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-store-'));
  try {
    const opts = { dataDir: dir, logger: pino({ level: 'silent' }), syncEveryMs: 0 };
    const a = openTsdbStore(opts);
    let t = 1_700_000_000_000;
    for (let k = 0; k < 10; k++, t += 60_000) a.append(batch(t, 3));
    await a.close();
    // A batch record (type 3) claiming a million series: its checksum is right, its content
    // runs past its end.
    const payload = Buffer.alloc(17);
    payload[0] = 3;
    payload.writeDoubleLE(t, 1);
    payload.writeUInt32LE(1_000_000, 9);
    payload.writeUInt32LE(7, 13);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(payload.length, 0);
    head.writeUInt32LE(crc32(payload), 4);
    const wal = join(dir, 'wal', readdirSync(join(dir, 'wal')).sort().at(-1)!);
    appendFileSync(wal, Buffer.concat([head, payload]));

    const { logger, lines } = recordingLogger();
    const b = openTsdbStore({ ...opts, logger });
    assert.match(lines.join(''), /has a record at byte \d+ that cannot be read/);
    const q = { key: 'node:n2', metric: 'cpu/usage', startMs: 0, endMs: t + 60_000 };
    assert.equal(b.query(q).length, 10);
    // It keeps logging, and what it logs after the bad record is read at the next start.
    b.append(batch(t, 3));
    await b.close();
    const c = openTsdbStore(opts);
    assert.equal(c.query(q).length, 11);
    await c.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
