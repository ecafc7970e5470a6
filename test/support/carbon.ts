import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { startServerProcess } from './server-process.js';
import { freePort } from './services.js';

/** Debian `graphite-carbon` binaries. */
export const CARBON_CACHE = '/usr/bin/carbon-cache';

/** True when carbon-cache is installed. */
export function haveCarbon(): boolean {
  return existsSync(CARBON_CACHE);
}

/**
 * The points of a whisper file's first (finest) archive at or after `fromS`, sorted by time,
 * as [unix seconds, value]. Whisper layout (big-endian): metadata (aggregation u32, max
 * retention u32, xFilesFactor f32, archive count u32), archive infos (offset u32, seconds
 * per point u32, points u32), then points (timestamp u32, value f64); empty slots have
 * timestamp 0.
 */
export function readWhisper(buf: Buffer, fromS: number): [number, number][] {
  const offset = buf.readUInt32BE(16);
  const points = buf.readUInt32BE(24);
  const out: [number, number][] = [];
  for (let i = 0; i < points; i++) {
    const at = offset + i * 12;
    const t = buf.readUInt32BE(at);
    if (t !== 0 && t >= fromS) out.push([t, buf.readDoubleBE(at + 4)]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** A real carbon-cache on 127.0.0.1 (line receiver TCP and UDP), whisper files in a temp dir. */
export interface CarbonServer {
  /** Plaintext line receiver port (TCP and UDP). */
  readonly port: number;
  /** Whisper file of a metric path, or undefined if carbon has not created it (yet). */
  whisperFile(path: string): string | undefined;
  /** The points of a metric path since `fromS` (unix seconds) from its whisper file, as [unix seconds, value]. */
  fetch(path: string, fromS: number): Promise<[number, number][]>;
  stop(): Promise<void>;
}

/**
 * Starts `carbon-cache --nodaemon` with tags disabled, unlimited creates and updates, a 1 s
 * retention for every path (`1s:1h`) and all listeners on free loopback ports; resolves
 * when the line receiver accepts connections.
 */
export async function startCarbon(): Promise<CarbonServer> {
  const dir = mkdtempSync(join(tmpdir(), 'heapster-carbon-'));
  const data = join(dir, 'whisper');
  for (const d of ['conf', 'log', 'run', 'whisper']) mkdirSync(join(dir, d));
  const port = await freePort();
  const pickle = await freePort();
  const query = await freePort();
  writeFileSync(
    join(dir, 'conf', 'carbon.conf'),
    [
      '[cache]',
      `STORAGE_DIR = ${dir}/`,
      `LOCAL_DATA_DIR = ${data}/`,
      `WHITELISTS_DIR = ${dir}/conf/`,
      `CONF_DIR = ${dir}/conf/`,
      `LOG_DIR = ${dir}/log/`,
      `PID_DIR = ${dir}/run/`,
      'USER =',
      'DATABASE = whisper',
      'ENABLE_TAGS = False',
      'MAX_CACHE_SIZE = inf',
      'MAX_UPDATES_PER_SECOND = inf',
      'MAX_CREATES_PER_MINUTE = inf',
      'LINE_RECEIVER_INTERFACE = 127.0.0.1',
      `LINE_RECEIVER_PORT = ${port}`,
      'ENABLE_UDP_LISTENER = True',
      'UDP_RECEIVER_INTERFACE = 127.0.0.1',
      `UDP_RECEIVER_PORT = ${port}`,
      'PICKLE_RECEIVER_INTERFACE = 127.0.0.1',
      `PICKLE_RECEIVER_PORT = ${pickle}`,
      'CACHE_QUERY_INTERFACE = 127.0.0.1',
      `CACHE_QUERY_PORT = ${query}`,
      'LOG_LISTENER_CONN_SUCCESS = False',
      'WHISPER_AUTOFLUSH = True',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'conf', 'storage-schemas.conf'),
    '[all]\npattern = .*\nretentions = 1s:1h\n',
  );
  const { connect } = await import('node:net');
  const server = await startServerProcess({
    name: 'carbon-cache line receiver',
    bin: CARBON_CACHE,
    args: [`--config=${join(dir, 'conf', 'carbon.conf')}`, '--nodaemon', 'start'],
    dataDir: dir,
    ready: () =>
      new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      }),
  });
  const stop = server.stop;
  const whisperFile = (path: string): string | undefined => {
    const f = join(data, ...path.split('.')) + '.wsp';
    return existsSync(f) ? f : undefined;
  };
  return {
    port,
    whisperFile,
    async fetch(path, fromS) {
      const f = whisperFile(path);
      if (f === undefined) return [];
      return readWhisper(await readFile(f), fromS);
    },
    stop,
  };
}
