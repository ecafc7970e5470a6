// Where the cAdvisors are: a static list, a hosts file (re-read when it changes) or fleet.
import { readFileSync, statSync } from 'node:fs';

/** One cAdvisor to scrape: node name (metric-set keys and labels) and base URL. */
export interface CadvisorHost {
  readonly name: string;
  /** e.g. `http://10.0.0.5:8080` (no trailing slash). */
  readonly baseUrl: string;
  /** `host_id` label (fleet machine id), '' when unknown. */
  readonly hostId: string;
}

/**
 * Lists the hosts to scrape on a tick. Resolves with the current list; rejects with an
 * Error naming the file or URL when the list cannot be had and none is known yet (a list
 * that was known is kept on later failures).
 */
export interface HostDiscovery {
  hosts(signal: AbortSignal): Promise<readonly CadvisorHost[]>;
}

/** A fixed list from `cadvisor:http://h1:p,http://h2:p`; node name = the URL's host. */
export class StaticHosts implements HostDiscovery {
  constructor(private readonly list: readonly CadvisorHost[]) {}

  hosts(): Promise<readonly CadvisorHost[]> {
    return Promise.resolve(this.list);
  }
}

/** `host:port` of an address, with IPv6 in brackets. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') && !address.startsWith('[')
    ? `[${address}]:${port}`
    : `${address}:${port}`;
}

/**
 * Hosts from a JSON file `{"Items":[{"Name":"server-105","IP":"192.168.99.105"}, …]}` (the
 * original `cadvisor:external` format): re-read only when its mtime or size changes.
 * `standalone` ignores the file and scrapes only `localhost`.
 */
export class HostsFile implements HostDiscovery {
  private stamp = '';
  private current: CadvisorHost[] | undefined;

  constructor(
    private readonly path: string,
    private readonly port: number,
    private readonly standalone: boolean,
  ) {}

  hosts(): Promise<readonly CadvisorHost[]> {
    if (this.standalone) {
      return Promise.resolve([
        { name: 'localhost', baseUrl: `http://localhost:${this.port}`, hostId: '' },
      ]);
    }
    try {
      const st = statSync(this.path);
      const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      if (stamp !== this.stamp || this.current === undefined) {
        this.current = parseHostsFile(readFileSync(this.path, 'utf8'), this.path, this.port);
        this.stamp = stamp;
      }
    } catch (err) {
      if (this.current === undefined) return Promise.reject(toError(err));
      // Keep the last good list; the caller logs the failure.
      return Promise.reject(
        Object.assign(toError(err), { keptHosts: this.current as readonly CadvisorHost[] }),
      );
    }
    return Promise.resolve(this.current);
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Parses a hosts file; throws an Error naming the file and what is wrong. */
export function parseHostsFile(text: string, path: string, port: number): CadvisorHost[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`hosts file ${path}: not JSON: ${(err as Error).message}`);
  }
  const items = (doc as { Items?: unknown } | null)?.Items;
  if (!Array.isArray(items)) throw new Error(`hosts file ${path}: no "Items" array`);
  return items.map((it: unknown, i) => {
    const { Name, IP } = (it ?? {}) as { Name?: unknown; IP?: unknown };
    if (typeof IP !== 'string' || IP === '')
      throw new Error(`hosts file ${path}: Items[${i}] has no "IP"`);
    const name = typeof Name === 'string' && Name !== '' ? Name : IP;
    return { name, baseUrl: `http://${hostPort(IP, port)}`, hostId: '' };
  });
}

/** One fleet machine (fleet API v1 `Machine`). */
interface FleetMachine {
  id?: string;
  primaryIP?: string;
}

/**
 * Machines from fleet's API v1 (`GET <endpoint>/fleet/v1/machines`, following
 * `nextPageToken`), each scraped at `primaryIP:port`; node name = primaryIP, `host_id` =
 * machine id. Endpoints are tried in order until one answers. Each request is bounded by
 * `timeoutMs` and the tick's signal.
 */
export class FleetHosts implements HostDiscovery {
  private current: CadvisorHost[] | undefined;

  constructor(
    private readonly endpoints: readonly string[],
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  async hosts(signal: AbortSignal): Promise<readonly CadvisorHost[]> {
    const errors: string[] = [];
    for (const ep of this.endpoints) {
      try {
        this.current = await this.list(ep, signal);
        return this.current;
      } catch (err) {
        errors.push((err as Error).message);
        if (signal.aborted) break;
      }
    }
    const err = new Error(`fleet: ${errors.join('; ')}`);
    if (this.current !== undefined) throw Object.assign(err, { keptHosts: this.current });
    throw err;
  }

  private async list(endpoint: string, signal: AbortSignal): Promise<CadvisorHost[]> {
    const out: CadvisorHost[] = [];
    let token = '';
    for (let page = 0; page < 1000; page++) {
      const url = new URL('/fleet/v1/machines', endpoint);
      if (token !== '') url.searchParams.set('nextPageToken', token);
      let res: Response;
      try {
        res = await fetch(url, {
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]),
        });
      } catch (err) {
        throw new Error(`GET ${url.href}: ${(err as Error).message}`);
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new Error(`GET ${url.href}: HTTP ${res.status}`);
      }
      const body = (await res.json()) as { machines?: FleetMachine[]; nextPageToken?: string };
      for (const m of body.machines ?? []) {
        if (typeof m.primaryIP !== 'string' || m.primaryIP === '') continue;
        out.push({
          name: m.primaryIP,
          baseUrl: `http://${hostPort(m.primaryIP, this.port)}`,
          hostId: m.id ?? '',
        });
      }
      token = body.nextPageToken ?? '';
      if (token === '') return out;
    }
    throw new Error(`GET ${endpoint}/fleet/v1/machines: more than 1000 pages`);
  }
}
