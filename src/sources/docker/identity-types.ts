// What the Docker Engine API tells about a container, for naming cgroups read elsewhere.

/** Name, image and labels of one container, from the Docker Engine API. */
export interface DockerContainer {
  /** Full 64-hex container id. */
  readonly id: string;
  /** Name without the leading `/`, e.g. `web-1`. */
  readonly name: string;
  /** Image as the container was created with (`Config.Image`), e.g. `busybox:1`. */
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  /** PID of the container's init process (0 when not running): its network namespace. */
  readonly pid: number;
}

/**
 * A cache of container identities kept current from the Engine API (list + events), so that
 * lookups on the hot path are synchronous and never wait on the daemon. When the daemon is
 * unreachable, `get` returns what was last known and the failure is logged once.
 */
export interface DockerIdentity {
  /** The identity of a container by full id, if known. */
  get(id: string): DockerContainer | undefined;
  /** Loads the first list; resolves (never rejects) once done or failed. */
  start(): Promise<void>;
  close(): void;
}
