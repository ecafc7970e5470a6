import { destination, pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/**
 * The process logger: JSON lines on stderr (pino). Level from HEAPSTER_LOG_LEVEL (default
 * `info`; tests set `silent` or `warn`). Modules take a child logger with their `component`.
 */
export const rootLogger: Logger = pino(
  { level: process.env.HEAPSTER_LOG_LEVEL ?? 'info', base: { pid: process.pid } },
  destination({ dest: 2, sync: true }),
);

export function componentLogger(component: string): Logger {
  return rootLogger.child({ component });
}
