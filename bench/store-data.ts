// Realistic synthetic node history for the store bench, deterministic (seeded): counters that
// grow at a steady per-node rate with small jitter (cgroup cpu usage in µs granularity),
// gauges that change rarely and by whole pages, rates derived from the counters the way the
// rate calculator does (cpu/usage_rate an integer of millicores), constants.
import type { Batch, MetricSet } from '../src/core/batch.js';
import { Prng } from '../src/sim/prng.js';

/** The kind of each metric of a bench node (for per-kind bytes/sample). */
export const KIND: Record<string, string> = {
  'cpu/usage': 'counter',
  'network/rx': 'counter',
  'memory/page_faults': 'counter',
  uptime: 'counter',
  'memory/usage': 'gauge',
  'memory/working_set': 'gauge',
  'filesystem/usage': 'gauge',
  'cpu/usage_rate': 'rate',
  'network/rx_rate': 'rate',
  'memory/page_faults_rate': 'rate',
  'cpu/limit': 'constant',
  'memory/limit': 'constant',
};

/** Series per bench node. */
export const SERIES_PER_NODE = 12;

/** Start of the bench history (ms). */
export const T0 = Date.UTC(2024, 0, 1);

/** A generator of the batches of `nodes` nodes, one per `stepMs`, deterministic. */
export function benchBatches(nodes: number, stepMs: number, seed = 1): (k: number) => Batch {
  const rnd = new Prng(seed);
  const st = Array.from({ length: nodes }, (_, i) => ({
    load: 100 + rnd.int(0, 1900), // millicores
    cpuUs: 1e9 * (1 + (i % 7)),
    rxRate: 2_000 + rnd.int(0, 200_000), // bytes/s
    rx: 1e9 * (1 + (i % 5)),
    pfRate: rnd.int(0, 50),
    pf: 1e6,
    mem: 2e9 + rnd.int(0, 1e6) * 4096,
    cache: 2e8 + rnd.int(0, 1e5) * 4096,
    fs: 20e9 + rnd.int(0, 1e6) * 4096,
  }));
  const stepS = stepMs / 1000;
  return (k) => {
    const t = T0 + k * stepMs;
    const sets = new Map<string, MetricSet>();
    for (let i = 0; i < nodes; i++) {
      const s = st[i];
      // The load drifts now and then; each step's usage jitters ±2 % around it.
      if (rnd.next() < 0.02) s.load = Math.max(20, s.load + rnd.int(-100, 100));
      const dCpuUs = Math.round(s.load * (1 + (rnd.next() - 0.5) * 0.04) * stepS * 1000);
      s.cpuUs += dCpuUs;
      const dRx = Math.round(s.rxRate * (1 + (rnd.next() - 0.5) * 0.1) * stepS);
      s.rx += dRx;
      const dPf = rnd.next() < 0.5 ? 0 : rnd.int(0, s.pfRate * stepS);
      s.pf += dPf;
      if (rnd.next() < 0.1) s.mem += rnd.int(-256, 256) * 4096;
      if (rnd.next() < 0.05) s.cache += rnd.int(-64, 64) * 4096;
      if (rnd.next() < 0.03) s.fs += rnd.int(0, 100) * 4096;
      sets.set(`node:node-${i}`, {
        labels: { type: 'node', nodename: `node-${i}` },
        values: new Map([
          ['cpu/usage', s.cpuUs * 1000],
          ['network/rx', s.rx],
          ['memory/page_faults', s.pf],
          ['uptime', 86_400_000 + k * stepMs],
          ['memory/usage', s.mem + s.cache],
          ['memory/working_set', s.mem],
          ['cpu/usage_rate', k === 0 ? 0 : Math.round((dCpuUs * 1000) / stepS / 1e6)],
          ['network/rx_rate', k === 0 ? 0 : dRx / stepS],
          ['memory/page_faults_rate', k === 0 ? 0 : dPf / stepS],
          ['cpu/limit', 4000],
          ['memory/limit', 16 * 2 ** 30],
        ]),
        labeled: [{ name: 'filesystem/usage', labels: { resource_id: '/dev/sda1' }, value: s.fs }],
        scrapeTimeMs: t,
        collectionStartMs: 0,
        createMs: 0,
      });
    }
    return { timestampMs: t, sets };
  };
}
