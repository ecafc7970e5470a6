// Kubernetes events as the eventer (`heapster eventer`) passes them to its sinks.

/** The object an event is about (`involvedObject` of a v1 Event). */
export interface InvolvedObject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly uid?: string;
  readonly apiVersion?: string;
  readonly fieldPath?: string;
}

/**
 * One Kubernetes v1 Event, decoded. Times are ms since the epoch. `raw` is the object as the
 * API server sent it (sinks that export the whole event, like gcl and influxdb's value
 * field, serialise it).
 */
export interface KubeEvent {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly reason: string;
  readonly message: string;
  /** `Normal` or `Warning` (other strings are passed through). */
  readonly type: string;
  readonly involvedObject: InvolvedObject;
  /** `source.component`, e.g. `kubelet`. */
  readonly sourceComponent: string;
  /** `source.host`: the node the event comes from, if any. */
  readonly sourceHost?: string;
  readonly firstTimestampMs: number;
  /** The time the event is exported at: lastTimestamp, else eventTime, else creationTimestamp. */
  readonly lastTimestampMs: number;
  readonly count: number;
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * A destination of events. `write` gets the events of one eventer tick (`--frequency`), in
 * time order; it resolves when they are handed over (sinks queue and retry on their own) and
 * may reject (the eventer logs and counts it). `close` flushes within a deadline.
 */
export interface EventSink {
  readonly name: string;
  write(events: readonly KubeEvent[]): Promise<void>;
  close(): Promise<void>;
}
