// The Cloud Logging v2 call the gcl sinks make (WriteLogEntries), through the official
// @google-cloud/logging package's gapic client, loaded only at the first request.
import type { Logger } from '../../core/log.js';
import type { GoogleTarget } from './google-options.js';
import { classifyError, raceSignal } from './google-options.js';
import { LazyGoogleClient } from './lazy-client.js';

/** google.protobuf.Value as the client encodes it. */
export type StructValue =
  | { nullValue: 'NULL_VALUE' }
  | { numberValue: number }
  | { stringValue: string }
  | { boolValue: boolean }
  | { structValue: Struct }
  | { listValue: { values: StructValue[] } };

/** google.protobuf.Struct (a JSON object). */
export interface Struct {
  fields: Record<string, StructValue>;
}

/** One google.logging.v2.LogEntry as we send it. */
export interface LogEntry {
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  timestamp: { seconds: number; nanos: number };
  severity: 'DEFAULT' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR';
  insertId: string;
  jsonPayload: Struct;
  labels?: Record<string, string>;
}

/** The part of LoggingServiceV2Client we use (the package types its `v2` export as any). */
interface LoggingClient {
  writeLogEntries(
    request: { entries: LogEntry[]; partialSuccess?: boolean },
    options: { retry: null; timeout: number },
  ): Promise<unknown>;
  close(): Promise<void>;
}

/** Converts a JSON value to google.protobuf.Value (undefined and functions become null). */
export function toStructValue(v: unknown): StructValue {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toStructValue) } };
  if (typeof v === 'object') return { structValue: toStruct(v as Record<string, unknown>) };
  return { nullValue: 'NULL_VALUE' };
}

/** Converts a JSON object to google.protobuf.Struct. */
export function toStruct(obj: Readonly<Record<string, unknown>>): Struct {
  const fields: Record<string, StructValue> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) fields[k] = toStructValue(v);
  return { fields };
}

/**
 * A lazily created LoggingServiceV2Client for one sink; calls reject with PermanentWriteError
 * for requests Google refuses and a plain Error for what may succeed later (gax retries off).
 */
export class LoggingApi {
  private readonly client: LazyGoogleClient<LoggingClient>;

  constructor(
    target: GoogleTarget,
    logger: Logger,
    private readonly callTimeoutMs = 60_000,
  ) {
    this.client = new LazyGoogleClient(target, logger, '@google-cloud/logging', async (opts) => {
      const logging = (await import('@google-cloud/logging')) as unknown as {
        v2: { LoggingServiceV2Client: new (opts: object) => LoggingClient };
      };
      return new logging.v2.LoggingServiceV2Client(opts);
    });
  }

  /** The project id (cached; on GCE without `project=` read once from the metadata server). */
  project(signal?: AbortSignal): Promise<string> {
    return this.client.project(signal);
  }

  /** `WriteLogEntries` of `entries` (each names its log and resource). */
  async writeLogEntries(entries: LogEntry[], signal: AbortSignal): Promise<void> {
    const client = await this.client.get(signal);
    try {
      await raceSignal(
        client.writeLogEntries({ entries }, { retry: null, timeout: this.callTimeoutMs }),
        signal,
      );
    } catch (err) {
      throw classifyError(`WriteLogEntries (${entries.length} entries)`, err);
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
