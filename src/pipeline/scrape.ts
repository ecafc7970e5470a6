import type { Batch } from '../core/batch.js';
import { emptyBatch, mergeInto } from '../core/batch.js';
import type { Source, Window } from '../core/contracts.js';
import type { Logger } from '../core/log.js';
import type { SelfMetrics } from '../core/self-metrics.js';

/** Outcome of one source's scrape within a tick. */
export interface ScrapeOutcome {
  readonly source: string;
  readonly result: 'ok' | 'error' | 'timeout';
  readonly durationMs: number;
  readonly error?: string;
}

/**
 * Scrapes every source in parallel, each bounded by `timeoutMs`, and merges what arrived in
 * time into one batch stamped `window.endMs`. A source that fails or times out is logged,
 * counted, and missing from the batch (parts it gave `onPart` before are kept); it never
 * fails the tick. A late answer is dropped and counted (`heapster_scraper_late_total`), and
 * so are parts after the deadline. Never rejects.
 */
export async function scrapeAll(
  sources: readonly Source[],
  window: Window,
  opts: ScrapeOptions,
): Promise<{ batch: Batch; outcomes: ScrapeOutcome[] }> {
  const batch = emptyBatch(window.endMs);
  const outcomes = await Promise.all(sources.map((s) => scrapeOne(s, window, opts)));
  for (const o of outcomes) if (o.batch) mergeInto(batch, o.batch);
  return { batch, outcomes: outcomes.map((o) => o.outcome) };
}

/** How scrapeAll runs; `onPart` is passed to every source (see Source.scrape). */
export interface ScrapeOptions {
  timeoutMs: number;
  metrics: SelfMetrics;
  logger: Logger;
  signal?: AbortSignal;
  onPart?: (part: Batch) => void;
}

async function scrapeOne(
  source: Source,
  window: Window,
  opts: ScrapeOptions,
): Promise<{ outcome: ScrapeOutcome; batch?: Batch }> {
  const { metrics, logger } = opts;
  const ctl = new AbortController();
  const onOuterAbort = () => ctl.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      ctl.abort(new Error(`scrape of ${source.name} timed out after ${opts.timeoutMs} ms`));
      resolve('timeout');
    }, opts.timeoutMs);
  });
  // Parts are taken only until this source's deadline.
  const onPart = opts.onPart;
  const partsUntilDeadline =
    onPart === undefined
      ? undefined
      : (part: Batch): void => {
          if (!timedOut && !ctl.signal.aborted) onPart(part);
        };
  const work = (async () => source.scrape(window, ctl.signal, partsUntilDeadline))();
  // Count answers that arrive after the deadline; swallow their errors (already reported).
  work.then(
    () => {
      if (timedOut) metrics.scrapeLate.inc({ source: source.name });
    },
    () => undefined,
  );
  try {
    const r = await Promise.race([work, timeout]);
    const durationMs = performance.now() - started;
    metrics.scrapeDurationMs.observe({ source: source.name }, durationMs);
    if (r === 'timeout') {
      metrics.scrapeErrors.inc({ source: source.name });
      logger.warn(
        { source: source.name, timeoutMs: opts.timeoutMs },
        `scrape of source ${source.name} timed out after ${opts.timeoutMs} ms; its data is missing from this tick`,
      );
      return { outcome: { source: source.name, result: 'timeout', durationMs } };
    }
    metrics.scraperLastTime.set({ source: source.name }, Date.now() / 1000);
    return { outcome: { source: source.name, result: 'ok', durationMs }, batch: r };
  } catch (err) {
    const durationMs = performance.now() - started;
    const message = err instanceof Error ? err.message : String(err);
    metrics.scrapeErrors.inc({ source: source.name });
    metrics.scrapeDurationMs.observe({ source: source.name }, durationMs);
    logger.error(
      { source: source.name, err: message },
      `scrape of source ${source.name} failed: ${message}`,
    );
    return { outcome: { source: source.name, result: 'error', durationMs, error: message } };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}
