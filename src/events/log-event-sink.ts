import type { EventSink, KubeEvent } from './types.js';

/** Where the log sink writes: anything with a Node-style `write` (process.stdout, a stream). */
export interface LogEventOutput {
  write(chunk: string, callback: (err?: Error | null) => void): boolean;
}

/** RFC3339 UTC without fractional seconds when they are zero. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

/**
 * One line per event, like the original's `   <lastTimestamp> (cnt:<count>): <message>` with
 * what it is about appended: `[<type> <reason> <kind> <namespace>/<name> on <host>]`.
 * Newlines in the message become spaces so that one event is one line.
 */
export function formatEventLine(e: KubeEvent): string {
  const io = e.involvedObject;
  const ns = io.namespace ?? e.namespace;
  const object = `${io.kind} ${ns ? `${ns}/` : ''}${io.name}`;
  const host = e.sourceHost ? ` on ${e.sourceHost}` : '';
  const message = e.message.replace(/[\r\n]+/g, ' ');
  return `   ${rfc3339(e.lastTimestampMs)} (cnt:${e.count}): ${message} [${e.type} ${e.reason} ${object}${host}]`;
}

/**
 * `--sink=log` of the eventer: writes each tick to stdout as the original did, an
 * `EventBatch     Timestamp: <tick time>` line followed by one line per event
 * (formatEventLine). Resolves once the output has taken the text.
 */
export class LogEventSink implements EventSink {
  readonly name = 'log';

  constructor(
    private readonly out: LogEventOutput = process.stdout,
    private readonly now: () => number = Date.now,
  ) {}

  write(events: readonly KubeEvent[]): Promise<void> {
    const lines = [`EventBatch     Timestamp: ${rfc3339(this.now())}`];
    for (const e of events) lines.push(formatEventLine(e));
    const text = lines.join('\n') + '\n';
    return new Promise((resolve, reject) => {
      this.out.write(text, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {}
}
