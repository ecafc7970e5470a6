// Options every Google sink (gcm, stackdriver, gcl) shares, and how they become client
// options of the official @google-cloud/* clients without any network look-up at start.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ParsedUri } from '../../config/types.js';
import { ConfigError } from '../../config/types.js';
import { optionBool, optionInt, optionString } from '../../config/uri.js';
import type { RuntimeOptions } from '../../pipeline/sink-queue.js';
import { PermanentWriteError } from '../../pipeline/sink-queue.js';
import { RUNTIME_OPTION_NAMES, runtimeOptions } from '../runtime-options.js';

/** Options shared by gcm, stackdriver and gcl (besides the runtime's queue options). */
export const GOOGLE_OPTION_NAMES: readonly string[] = [
  'project',
  'endpoint',
  'insecure',
  'credentials',
  'concurrency',
  ...RUNTIME_OPTION_NAMES,
];

/** Typed common options of a Google sink. */
export interface GoogleTarget {
  /**
   * Project id; '' when it must come from the GCE metadata server (only on GCE, resolved at the
   * first request).
   */
  readonly project: string;
  /** API endpoint host and port (`endpoint=host:port`), undefined for Google's default. */
  readonly endpoint: { readonly host: string; readonly port: number } | undefined;
  /** Plaintext gRPC and no Google auth (loopback endpoints only: tests, local emulators). */
  readonly insecure: boolean;
  /** Service-account JSON key file; '' = Application Default Credentials. */
  readonly credentialsFile: string;
  /** True when this process runs on Google Compute Engine (checked via DMI, no network). */
  readonly onGce: boolean;
  readonly runtime: RuntimeOptions;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * True on a Google Compute Engine VM (also GKE nodes): the DMI product name or BIOS vendor says
 * "Google". Reads two sysfs files, never the network, so it is safe anywhere.
 */
export function detectGce(sysRoot = '/sys'): boolean {
  for (const f of ['class/dmi/id/product_name', 'class/dmi/id/bios_vendor']) {
    try {
      if (readFileSync(join(sysRoot, f), 'utf8').includes('Google')) return true;
    } catch {
      // not there: not GCE (or no sysfs)
    }
  }
  return false;
}

/** Where Application Default Credentials could come from without asking a metadata server. */
function adcFileExists(env: NodeJS.ProcessEnv): boolean {
  if (env.GOOGLE_APPLICATION_CREDENTIALS) return true;
  const dir = env.CLOUDSDK_CONFIG || join(homedir(), '.config', 'gcloud');
  return existsSync(join(dir, 'application_default_credentials.json'));
}

/** `host:port` or `[v6]:port`. */
function parseEndpoint(uri: ParsedUri, text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new ConfigError(
      `--sink=${uri.raw}: option "endpoint": ${JSON.stringify(text)} is not host:port (e.g. monitoring.googleapis.com:443 or 127.0.0.1:8085)`,
    );
  }
  return { host: m[1] ?? m[2], port };
}

/**
 * Parses `project`, `endpoint`, `insecure`, `credentials`, `concurrency` and the runtime options.
 * The project comes from `project=`, else the `project_id` of the `credentials` file, else
 * GOOGLE_CLOUD_PROJECT; off GCE one of them is required. Off GCE (and not `insecure`) some
 * credentials are required too (`credentials=`, GOOGLE_APPLICATION_CREDENTIALS or gcloud's ADC
 * file), so a misconfigured sink fails at start instead of on every request. Throws
 * ConfigError naming the option.
 */
export function parseGoogleTarget(
  uri: ParsedUri,
  env: NodeJS.ProcessEnv = process.env,
  onGce: boolean = detectGce(),
): GoogleTarget {
  if (uri.url !== undefined) {
    throw new ConfigError(
      `--sink=${uri.raw}: the ${uri.key} sink takes no URL, only options (e.g. --sink=${uri.key}:?project=my-project)`,
    );
  }
  const endpointText = optionString(uri, 'endpoint', '');
  const endpoint = endpointText === '' ? undefined : parseEndpoint(uri, endpointText);
  const insecure = optionBool(uri, 'insecure', false);
  if (insecure && (endpoint === undefined || !isLoopbackHost(endpoint.host))) {
    throw new ConfigError(
      `--sink=${uri.raw}: option "insecure=true" (plaintext, no auth) is only allowed with a loopback endpoint, e.g. endpoint=127.0.0.1:8085`,
    );
  }
  const credentialsFile = optionString(uri, 'credentials', '');
  let fileProject = '';
  if (credentialsFile !== '') {
    let key: { project_id?: unknown; type?: unknown };
    try {
      key = JSON.parse(readFileSync(credentialsFile, 'utf8')) as typeof key;
    } catch (err) {
      throw new ConfigError(
        `--sink=${uri.raw}: option "credentials": cannot read service-account JSON ${credentialsFile}: ${(err as Error).message}`,
      );
    }
    if (typeof key.project_id === 'string') fileProject = key.project_id;
  }
  const project = optionString(uri, 'project', '') || fileProject || env.GOOGLE_CLOUD_PROJECT || '';
  if (project === '' && !onGce) {
    throw new ConfigError(
      `--sink=${uri.raw}: no Google Cloud project: not running on GCE (no metadata server to ask), so give option "project=<id>" or set GOOGLE_CLOUD_PROJECT`,
    );
  }
  if (!insecure && !onGce && credentialsFile === '' && !adcFileExists(env)) {
    throw new ConfigError(
      `--sink=${uri.raw}: no Google credentials: not running on GCE, so give option "credentials=<service-account.json>", set GOOGLE_APPLICATION_CREDENTIALS, or run "gcloud auth application-default login"`,
    );
  }
  const concurrency = optionInt(uri, 'concurrency', 1, { min: 1, max: 64 });
  return {
    project,
    endpoint,
    insecure,
    credentialsFile,
    onGce,
    runtime: runtimeOptions(uri, concurrency),
  };
}

/** A stand-in for google-auth-library's GoogleAuth that never looks for credentials. */
const NO_AUTH = {
  getUniverseDomain: () => Promise.resolve('googleapis.com'),
  getClient: () => Promise.reject(new Error('insecure endpoint: no Google auth')),
  getProjectId: () => Promise.reject(new Error('insecure endpoint: no project detection')),
  getRequestHeaders: () => Promise.resolve({}),
};

/**
 * Constructor options for a gax-based client (`MetricServiceClient`, `LoggingServiceV2Client`).
 * With `insecure`, the gRPC channel is plaintext (`sslCreds` = insecure credentials, which
 * gax then uses as they are, without asking for a token) and `auth` is a stub that answers
 * the universe-domain check without ADC or metadata look-ups. Loads @grpc/grpc-js only then.
 */
export async function clientOptions(
  target: GoogleTarget,
  project: string,
): Promise<Record<string, string | number | object>> {
  const opts: Record<string, string | number | object> = { projectId: project };
  if (target.endpoint) {
    opts.apiEndpoint = target.endpoint.host;
    opts.port = target.endpoint.port;
  }
  if (target.credentialsFile) opts.keyFilename = target.credentialsFile;
  if (target.insecure) {
    const grpc = await import('@grpc/grpc-js');
    opts.sslCreds = grpc.credentials.createInsecure();
    opts.auth = NO_AUTH;
  }
  return opts;
}

const METADATA_URL = 'http://metadata.google.internal/computeMetadata/v1/';

/**
 * Reads one value of the GCE metadata server (`project/project-id`, `instance/zone`,
 * `instance/attributes/cluster-name`, ...), or undefined when it is not set (404). Only called
 * on GCE. Throws on other failures (the caller retries).
 */
export async function gceMetadata(path: string, signal?: AbortSignal): Promise<string | undefined> {
  const timeout = AbortSignal.timeout(3000);
  const res = await fetch(METADATA_URL + path, {
    headers: { 'Metadata-Flavor': 'Google' },
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`GCE metadata ${path}: HTTP ${res.status}`);
  return (await res.text()).trim();
}

/** gRPC status codes (google.rpc.Code) by number, for messages. */
const CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** Codes that mean the request itself is wrong: sending it again cannot succeed. */
const PERMANENT_CODES = new Set([3, 5, 6, 9, 11, 12]);

/** The gRPC status code of a gax error, or undefined. */
export function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Turns a client error into what the sink runtime understands: PermanentWriteError for
 * INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, OUT_OF_RANGE and
 * UNIMPLEMENTED (dropped and counted, not retried), a plain Error otherwise (UNAVAILABLE,
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, auth errors, ...: retried with backoff). The message
 * names the API call, the status and Google's message.
 */
export function classifyError(what: string, err: unknown): Error {
  const code = grpcCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const name = code === undefined ? 'error' : (CODE_NAMES[code] ?? `code ${code}`);
  const detail = `${what}: ${name}: ${message}`;
  return code !== undefined && PERMANENT_CODES.has(code)
    ? new PermanentWriteError(detail)
    : new Error(detail);
}

/** Rejects with the signal's reason when it aborts first (the gax call itself runs on to its own timeout). */
export function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error('aborted');
}

/** `{seconds, nanos}` of a time in ms since the epoch. */
export function protoTimestamp(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}
