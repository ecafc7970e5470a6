import type { KubeEvent } from './types.js';

/** Events held between ticks by default (the original's LocalEventsBufferSize). */
export const DEFAULT_EVENT_BUFFER = 100_000;

/**
 * The events received since the last tick, at most `capacity` of them. When it is full a new
 * event is dropped (as in the original, whose channel refused it) and counted; `take` empties
 * the buffer and reports how many were dropped since the previous `take`. Synchronous.
 */
export class EventBuffer {
  private events: KubeEvent[] = [];
  private droppedSinceTake = 0;
  /** Events dropped because the buffer was full, since start. */
  droppedTotal = 0;

  constructor(readonly capacity: number = DEFAULT_EVENT_BUFFER) {
    if (!(capacity >= 1)) throw new RangeError('event buffer capacity must be at least 1');
  }

  /** Events waiting. */
  get size(): number {
    return this.events.length;
  }

  /** Adds an event; false (and counted) when the buffer is full and the event was dropped. */
  push(event: KubeEvent): boolean {
    if (this.events.length >= this.capacity) {
      this.droppedSinceTake++;
      this.droppedTotal++;
      return false;
    }
    this.events.push(event);
    return true;
  }

  /** Everything buffered, in arrival order, and the number dropped since the previous take. */
  take(): { events: KubeEvent[]; dropped: number } {
    const out = { events: this.events, dropped: this.droppedSinceTake };
    this.events = [];
    this.droppedSinceTake = 0;
    return out;
  }
}
