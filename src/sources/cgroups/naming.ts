// Who runs a cgroup: a container runtime, systemd, or nobody we know, from its path alone.

/** Container runtimes (and systemd units) recognised from cgroup paths. */
export type Runtime = 'docker' | 'containerd' | 'crio' | 'podman' | 'systemd' | 'none';

/** What a cgroup path says about the container in it. */
export interface ContainerIdentity {
  /**
   * System-container name: `<runtime>/<first 12 chars of id>` for runtime containers (e.g.
   * `docker/3f4a5b6c7d8e`), else the cgroup path without its leading `/`.
   */
  readonly name: string;
  readonly runtime: Runtime;
  /** Full container id (64 hex) for runtime containers. */
  readonly id?: string;
  /** Kubernetes pod UID (dashed form) when the path is below a kubepods pod cgroup. */
  readonly podUid?: string;
}

const HEX64 = '([0-9a-f]{64})';

/** Last-segment patterns of runtime containers, most specific first. */
const RUNTIME_SEGMENTS: readonly (readonly [RegExp, Runtime])[] = [
  [new RegExp(`^docker-${HEX64}\\.scope$`), 'docker'],
  [new RegExp(`^cri-containerd-${HEX64}\\.scope$`), 'containerd'],
  [new RegExp(`^nerdctl-${HEX64}\\.scope$`), 'containerd'],
  [new RegExp(`^crio-${HEX64}(?:\\.scope)?$`), 'crio'],
  [new RegExp(`^libpod-${HEX64}(?:\\.scope)?$`), 'podman'],
];
const BARE_ID = new RegExp(`^${HEX64}$`);
const POD_CGROUPFS = /^pod([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const POD_SYSTEMD =
  /^kubepods(?:-[a-z]+)?-pod([0-9a-f]{8}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{12})\.slice$/;
const SYSTEMD_UNIT = /\.(?:service|scope|slice|mount|socket|swap)$/;

/**
 * Classifies a cgroup path (relative to the hierarchy root, starting with `/`, e.g.
 * `/system.slice/docker-<64hex>.scope`). Recognises Docker (`/docker/<id>`,
 * `docker-<id>.scope`), containerd (`cri-containerd-<id>.scope`, a bare id below
 * `/kubepods`), CRI-O (`crio-<id>[.scope]`), podman (`libpod-<id>[.scope]`) and systemd units
 * (`*.service`, `*.scope`, `*.slice`, ...); anything else is `none`. Pure; never throws.
 */
export function classifyCgroup(path: string): ContainerIdentity {
  const segments = path.split('/').filter((s) => s !== '');
  const plainName = segments.join('/');
  const last = segments.length > 0 ? segments[segments.length - 1] : '';
  const podUid = findPodUid(segments);

  let runtime: Runtime | undefined;
  let id: string | undefined;
  for (const [re, rt] of RUNTIME_SEGMENTS) {
    const m = re.exec(last);
    if (m) {
      runtime = rt;
      id = m[1];
      break;
    }
  }
  if (runtime === undefined && BARE_ID.test(last)) {
    const parent = segments.length > 1 ? segments[segments.length - 2] : '';
    if (parent === 'docker') runtime = 'docker';
    // cgroupfs-driver kubelets name containers by bare id; containerd is the common runtime.
    else if (podUid !== undefined || segments.some(isKubepods)) runtime = 'containerd';
    if (runtime !== undefined) id = last;
  }
  if (runtime !== undefined && id !== undefined) {
    const identity = { name: `${runtime}/${id.slice(0, 12)}`, runtime, id };
    return podUid === undefined ? identity : { ...identity, podUid };
  }
  const kind: Runtime = SYSTEMD_UNIT.test(last) ? 'systemd' : 'none';
  return podUid === undefined
    ? { name: plainName, runtime: kind }
    : { name: plainName, runtime: kind, podUid };
}

function isKubepods(segment: string): boolean {
  return (
    segment === 'kubepods' || segment.startsWith('kubepods.') || segment.startsWith('kubepods-')
  );
}

function findPodUid(segments: readonly string[]): string | undefined {
  for (const s of segments) {
    const a = POD_CGROUPFS.exec(s);
    if (a) return a[1];
    const b = POD_SYSTEMD.exec(s);
    if (b) return b[1].replaceAll('_', '-');
  }
  return undefined;
}
