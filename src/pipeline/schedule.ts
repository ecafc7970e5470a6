import type { Window } from '../core/contracts.js';

/**
 * The window a tick that fires at or after `nowMs` covers: windows are aligned to the
 * resolution ([k·res, (k+1)·res)), and the scrape of a window fires `offsetMs` after it
 * closes. Returns the next window whose fire time is ≥ nowMs and its fire time.
 */
export function nextTick(
  nowMs: number,
  resolutionMs: number,
  offsetMs: number,
): { window: Window; fireAtMs: number } {
  // The latest window end whose fire time has not passed yet.
  let endMs = Math.floor((nowMs - offsetMs) / resolutionMs) * resolutionMs;
  if (endMs + offsetMs < nowMs) endMs += resolutionMs;
  return { window: { startMs: endMs - resolutionMs, endMs }, fireAtMs: endMs + offsetMs };
}
