import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDurationMs } from '../config/duration.js';
import { assignFaults, parseFaultCounts } from './faults.js';
import type { SimulatorOptions } from './simulator.js';
import { startSimulator } from './simulator.js';
import { untilStopSignal } from '../core/stop-signal.js';

const USAGE = `usage: heapster simulate [flags]

Runs a simulated Kubernetes cluster on this machine: an API server subset (list/watch of
nodes, pods, namespaces, events) and one kubelet per node on its own loopback address
127.x.y.z, all on the same port, serving /stats/summary, /metrics/resource and
/metrics/cadvisor with known true rates (GET /truth on the API server).
The first line of output is the --source value to pass to heapster.

  --nodes N                 nodes (default 10)
  --pods-per-node P         pods per node (default 30)
  --containers-per-pod C    containers per pod (default 2)
  --listen HOST:PORT        API server address, loopback only (default 127.0.0.1:8001)
  --kubelet-port PORT       kubelet port on every node address (default 10250; 0 = any free)
  --kubelet-https           serve kubelets over HTTPS (needs --tls-cert and --tls-key)
  --tls-cert FILE           PEM certificate: the API server (and kubelets) serve HTTPS
  --tls-key FILE            PEM private key for --tls-cert
  --token TOKEN             require "Authorization: Bearer TOKEN" on the API and kubelets
  --churn-per-min X         pods replaced per minute (default 0)
  --restart-per-min Y       container restarts per minute (default 0)
  --faults LIST             e.g. slow:3,error500:2,malformed:1,hang:1,notready:1 (kind:nodes)
  --slow-delay DURATION     how late slow nodes answer (default 5s)
  --seed S                  random seed: same seed, same cluster (default 1)
  --watch-cache N           changes kept per kind for watches (default 10000)

Faults can also be set while running:
  curl -X PUT 'http://HOST:PORT/sim/nodes/node-3/fault?kind=slow&delayMs=3000'   (kind=none clears)`;

const printOut = (text: string): boolean => process.stdout.write(`${text}\n`);
const printErr = (text: string): boolean => process.stderr.write(`${text}\n`);

/** Thrown for a bad flag value; the message names the flag. */
export class UsageError extends Error {}

function intFlag(values: Record<string, unknown>, name: string, def: number, min: number): number {
  const v = values[name];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name}: "${String(v)}" is not a whole number >= ${min}`);
  return n;
}

function numFlag(values: Record<string, unknown>, name: string): number {
  const v = values[name];
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`--${name}: "${String(v)}" is not a number >= 0`);
  return n;
}

function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === 'localhost';
}

/** Parses `heapster simulate` flags into simulator options (throws UsageError naming the flag). */
export function parseSimulateFlags(argv: string[]): SimulatorOptions & { help: boolean } {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      nodes: { type: 'string' },
      'pods-per-node': { type: 'string' },
      'containers-per-pod': { type: 'string' },
      listen: { type: 'string' },
      'kubelet-port': { type: 'string' },
      'kubelet-https': { type: 'boolean' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      token: { type: 'string' },
      'churn-per-min': { type: 'string' },
      'restart-per-min': { type: 'string' },
      faults: { type: 'string' },
      'slow-delay': { type: 'string' },
      seed: { type: 'string' },
      'watch-cache': { type: 'string' },
    },
  });
  const nodes = intFlag(values, 'nodes', 10, 1);
  const listen = values.listen ?? '127.0.0.1:8001';
  const lm = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!lm) throw new UsageError(`--listen: "${listen}" is not HOST:PORT`);
  const apiHost = lm[1] ?? lm[2];
  if (!isLoopback(apiHost))
    throw new UsageError(`--listen: "${apiHost}" is not a loopback address`);
  const apiPort = Number(lm[3]);
  if (apiPort > 65535) throw new UsageError(`--listen: port ${apiPort} is out of range`);
  const kubeletPort = intFlag(values, 'kubelet-port', 10250, 0);
  if (kubeletPort > 65535) throw new UsageError(`--kubelet-port: ${kubeletPort} is out of range`);
  if (!!values['tls-cert'] !== !!values['tls-key'])
    throw new UsageError('--tls-cert and --tls-key go together');
  if (values['kubelet-https'] && !values['tls-cert'])
    throw new UsageError('--kubelet-https needs --tls-cert and --tls-key');
  let tls: SimulatorOptions['tls'];
  if (values['tls-cert'] && values['tls-key']) {
    const read = (flag: string, file: string) => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new UsageError(`--${flag}: cannot read ${file}: ${(err as Error).message}`);
      }
    };
    tls = { cert: read('tls-cert', values['tls-cert']), key: read('tls-key', values['tls-key']) };
  }
  let faults: SimulatorOptions['faults'];
  try {
    faults = values.faults ? assignFaults(parseFaultCounts(values.faults), nodes) : undefined;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let slowDelayMs = 5000;
  if (values['slow-delay']) {
    try {
      slowDelayMs = parseDurationMs(values['slow-delay']);
    } catch (err) {
      throw new UsageError(`--slow-delay: ${(err as Error).message}`);
    }
  }
  return {
    help: !!values.help,
    nodes,
    podsPerNode: intFlag(values, 'pods-per-node', 30, 0),
    containersPerPod: intFlag(values, 'containers-per-pod', 2, 1),
    seed: intFlag(values, 'seed', 1, 0),
    apiHost,
    apiPort,
    kubeletPort,
    kubeletHttps: !!values['kubelet-https'],
    tls,
    token: values.token,
    churnPerMin: numFlag(values, 'churn-per-min'),
    restartPerMin: numFlag(values, 'restart-per-min'),
    faults,
    slowDelayMs,
    watchCacheSize: intFlag(values, 'watch-cache', 10_000, 1),
  };
}

/**
 * `heapster simulate [flags]`: starts a simulated cluster and runs until SIGINT/SIGTERM.
 * Prints the `--source=...` value as the first stdout line, a summary on stderr. Resolves
 * with the exit code: 0 after a clean stop, 2 for a bad flag, 1 when it cannot start.
 */
export async function simulateCommand(argv: string[]): Promise<number> {
  let opts: ReturnType<typeof parseSimulateFlags>;
  try {
    opts = parseSimulateFlags(argv);
  } catch (err) {
    if (
      err instanceof UsageError ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      printErr(`heapster simulate: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (opts.help) {
    printOut(USAGE);
    return 0;
  }
  const t0 = performance.now();
  let sim;
  try {
    sim = await startSimulator(opts);
  } catch (err) {
    printErr(`heapster simulate: ${(err as Error).message}`);
    return 1;
  }
  const startMs = Math.round(performance.now() - t0);
  printOut(`--source=${sim.sourceUri}`);
  const truth = sim.truth();
  const first = truth.nodes[0];
  const last = truth.nodes[truth.nodes.length - 1];
  const faulty = truth.nodes.filter((n) => n.fault !== 'none');
  printErr(
    [
      `simulated cluster: ${opts.nodes} nodes x ${opts.podsPerNode} pods x ${opts.containersPerPod} containers (seed ${opts.seed}), ready in ${startMs} ms`,
      `  API server:  ${sim.apiUrl}   (GET /truth for the true rates)`,
      `  kubelets:    ${opts.kubeletHttps ? 'https' : 'http'}://${first.address}:${sim.kubeletPort} (${first.name}) .. ${last.address}:${sim.kubeletPort} (${last.name})`,
      `  churn: ${opts.churnPerMin}/min pods, ${opts.restartPerMin}/min container restarts`,
      `  faults: ${faulty.length === 0 ? 'none' : faulty.map((n) => `${n.name}=${n.fault}`).join(', ')}`,
      `  try: heapster --source='${sim.sourceUri}'`,
      `       kubectl --server=${sim.apiUrl} get nodes`,
    ].join('\n'),
  );
  await untilStopSignal();
  await sim.stop();
  return 0;
}
