// A local stand-in for Google's Cloud Monitoring v3 and Cloud Logging v2 gRPC APIs: a real
// gRPC server (@grpc/grpc-js) that loads the .proto files shipped with the official clients,
// receives what the clients really send, decodes and records every request, and can fail the
// next calls with a chosen gRPC status. Plaintext on 127.0.0.1 (the sinks' insecure=true).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const require = createRequire(import.meta.url);

/** Directories holding the .proto files of the installed clients (and google/api, google/rpc). */
function protoDirs(): string[] {
  const monitoring = dirname(require.resolve('@google-cloud/monitoring/package.json'));
  // The logging protos ship in @google-cloud/logging's own dependency @google-cloud/logging-api.
  const logging = dirname(require.resolve('@google-cloud/logging/package.json'));
  const loggingApi = dirname(
    createRequire(join(logging, 'package.json')).resolve('@google-cloud/logging-api/package.json'),
  );
  // google-gax has no package.json export; its main file lives in <gax>/build/src/.
  const gaxMain = createRequire(join(monitoring, 'package.json')).resolve('google-gax');
  const gax = gaxMain.slice(0, gaxMain.lastIndexOf('/build/'));
  return [
    join(monitoring, 'build/protos'),
    join(loggingApi, 'build/protos'),
    join(gax, 'build/protos'),
  ];
}

/** One call the server received. `request` is decoded with longs and enums as strings. */
export interface RecordedCall {
  readonly method: string;
  // Decoded protobuf messages are plain JSON-like objects.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly request: any;
  readonly metadata: Record<string, string>;
  /** gRPC status name the call was failed with, if it was. */
  readonly failedWith?: string;
}

interface Failure {
  readonly code: grpc.status;
  readonly message: string;
  readonly method: string | undefined;
}

/** A running fake Google API server. */
export interface GoogleApiServer {
  /** `127.0.0.1:<port>`, for the sinks' `endpoint=` option. */
  readonly endpoint: string;
  /** Every call, in arrival order (failed ones too). */
  readonly calls: RecordedCall[];
  /** Successful calls of `method` (e.g. `CreateTimeSeries`, `WriteLogEntries`). */
  ok(method: string): RecordedCall[];
  /**
   * Fails the next `n` calls (of `method`, or of any method) with `code` and `message`;
   * later calls succeed again.
   */
  failNext(n: number, code: grpc.status, message?: string, method?: string): void;
  /** Forgets recorded calls and pending failures. */
  reset(): void;
  stop(): Promise<void>;
}

/** Starts the server on a free loopback port. */
export async function startGoogleApiServer(): Promise<GoogleApiServer> {
  const def = protoLoader.loadSync(
    ['google/monitoring/v3/metric_service.proto', 'google/logging/v2/logging.proto'],
    { includeDirs: protoDirs(), longs: String, enums: String, defaults: false, oneofs: true },
  );
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const pkg = grpc.loadPackageDefinition(def) as any;
  const calls: RecordedCall[] = [];
  let failures: Failure[] = [];
  const descriptors = new Map<string, unknown>();

  const handler =
    (method: string, answer: (request: unknown) => unknown) =>
    (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(call.metadata.getMap())) metadata[k] = String(v);
      const i = failures.findIndex((f) => f.method === undefined || f.method === method);
      if (i >= 0) {
        const f = failures[i];
        failures.splice(i, 1);
        calls.push({ method, request: call.request, metadata, failedWith: grpc.status[f.code] });
        cb({ code: f.code, details: f.message });
        return;
      }
      calls.push({ method, request: call.request, metadata });
      try {
        cb(null, answer(call.request));
      } catch (err) {
        cb({ code: grpc.status.NOT_FOUND, details: (err as Error).message });
      }
    };

  const server = new grpc.Server();
  server.addService(pkg.google.monitoring.v3.MetricService.service, {
    createTimeSeries: handler('CreateTimeSeries', () => ({})),
    createMetricDescriptor: handler('CreateMetricDescriptor', (req) => {
      const d = (req as { metricDescriptor: { type: string } }).metricDescriptor;
      descriptors.set(d.type, d);
      return d;
    }),
    getMetricDescriptor: handler('GetMetricDescriptor', (req) => {
      const name = (req as { name: string }).name;
      const d = descriptors.get(name.slice(name.indexOf('/metricDescriptors/') + 19));
      if (!d) throw new Error(`no metric descriptor ${name}`);
      return d;
    }),
    listMetricDescriptors: handler('ListMetricDescriptors', () => ({
      metricDescriptors: [...descriptors.values()],
    })),
  });
  server.addService(pkg.google.logging.v2.LoggingServiceV2.service, {
    writeLogEntries: handler('WriteLogEntries', () => ({})),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    calls,
    ok: (method) => calls.filter((c) => c.method === method && c.failedWith === undefined),
    failNext(n, code, message = grpc.status[code], method) {
      for (let k = 0; k < n; k++) failures.push({ code, message, method });
    },
    reset() {
      calls.length = 0;
      failures = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}

/** Converts a decoded google.protobuf.Struct back to JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function structToJson(s: any): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = valueToJson(v);
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function valueToJson(v: any): unknown {
  switch (v?.kind) {
    case 'nullValue':
      return null;
    case 'numberValue':
      return v.numberValue;
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'structValue':
      return structToJson(v.structValue);
    case 'listValue':
      return (v.listValue?.values ?? []).map(valueToJson);
    default:
      return undefined;
  }
}
