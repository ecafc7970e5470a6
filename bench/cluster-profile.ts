// Where one steady tick of a simulated cluster goes: runs the simulator and heapster (15 s
// resolution, scrape offset 0, disk store) with V8's CPU profiler, stops heapster after
// --seconds, and prints the main thread's busy time per function (self and inclusive) for
// the samples after --skip seconds (the first ticks create every series and are not typical).
// With --alloc it also samples allocations (collected ones included) over the same span and
// prints the bytes allocated per function. A diagnostic: nothing is written to RESULTS.md.
// Usage: npm run bench -- cluster-profile [nodes=1000] [--seconds=140] [--skip=62] [--alloc]
//          [--pods=30] [--containers=2] [--top=30] [--workers=N (kubeletWorkers)]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/services.js';
import { BIN, startSimulator } from './support/cluster-procs.js';

const arg = (name: string, def: string): string => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
};
const nodes = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '1000');
const seconds = Number(arg('seconds', '140'));
const skip = Number(arg('skip', '62'));
const top = Number(arg('top', '30'));
const alloc = process.argv.includes('--alloc');

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface CpuNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}
interface AllocNode {
  callFrame: CallFrame;
  selfSize: number;
  children: AllocNode[];
}

const label = (f: CallFrame): string =>
  `${f.functionName || '(anonymous)'} ${f.url.replace(/.*\/(src|dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;

function table(m: Map<string, number>, unit: (v: number) => string): string {
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${unit(v).padStart(9)}  ${k}`)
    .join('\n');
}

/** Self and inclusive ms per function of one thread for the samples after `skipS`. */
function summarizeCpu(p: CpuProfile, skipS: number, thread = 'main thread'): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let t = p.startTime;
  let busy = 0;
  let idle = 0;
  const from = p.startTime + skipS * 1e6;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    if (t < from) continue;
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1e3;
    const leaf = byId.get(p.samples[i])!;
    if (leaf.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    busy += dt;
    const name = label(leaf.callFrame);
    self.set(name, (self.get(name) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const n = label(byId.get(id)!.callFrame);
      if (seen.has(n)) continue;
      seen.add(n);
      incl.set(n, (incl.get(n) ?? 0) + dt);
    }
  }
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  return [
    `${thread} after ${skipS} s: busy ${s(busy)}, idle ${s(idle)} (15 s per tick)`,
    '--- self',
    table(self, s),
    '--- inclusive',
    table(incl, s),
  ].join('\n');
}

function summarizeAlloc(root: AllocNode): string {
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  const walk = (n: AllocNode, stack: ReadonlySet<string>): void => {
    const name = label(n.callFrame);
    total += n.selfSize;
    self.set(name, (self.get(name) ?? 0) + n.selfSize);
    const here = new Set(stack).add(name);
    for (const k of here) incl.set(k, (incl.get(k) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, here);
  };
  walk(root, new Set());
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
  return [
    `allocated ${mib(total)} from ${skip} s to ${seconds - 5} s`,
    '--- self',
    table(self, mib),
    '--- inclusive',
    table(incl, mib),
  ].join('\n');
}

async function main(): Promise<void> {
  const { sim, source } = await startSimulator([
    `--nodes=${nodes}`,
    `--pods-per-node=${arg('pods', '30')}`,
    `--containers-per-pod=${arg('containers', '2')}`,
  ]);
  const work = mkdtempSync(join(os.tmpdir(), 'bench-cluster-profile-'));
  const allocOut = join(work, 'alloc.heapprofile');
  const sampler = fileURLToPath(new URL('./support/alloc-sampler.mjs', import.meta.url));
  const heapster = spawn(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${join(work, 'cpu')}`,
      ...(alloc ? [`--import=${sampler}`] : []),
      BIN,
      arg('workers', '') === '' ? source : `${source}&kubeletWorkers=${arg('workers', '')}`,
      '--metric_resolution=15s',
      `--data_dir=${join(work, 'data')}`,
      `--heapster-port=${await freePort()}`,
      '--listen-ip=127.0.0.1',
      '--scrape-offset=0s',
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        HEAPSTER_LOG_LEVEL: 'error',
        ALLOC_FROM_S: String(skip),
        ALLOC_UNTIL_S: String(seconds - 5),
        ALLOC_OUT: allocOut,
      },
    },
  );
  process.stderr.write(`profiling ${nodes} nodes for ${seconds} s...\n`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const exited = new Promise((r) => heapster.once('exit', r));
  heapster.kill('SIGINT');
  await exited;
  sim.kill('SIGTERM');
  try {
    const dir = join(work, 'cpu');
    // One profile per thread: CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile, main = 0.
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    const tid = (f: string): number => Number(f.split('.')[4]);
    const file = files.find((f) => tid(f) === 0);
    if (file === undefined) throw new Error(`no CPU profile of the main thread in ${dir}`);
    console.log(`${nodes} nodes, profile of ${seconds} s`);
    const read = (f: string): CpuProfile =>
      JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    console.log(summarizeCpu(read(file), skip));
    // Worker threads (kubelet workers): their busy time and top functions.
    for (const f of files.filter((x) => tid(x) !== 0)) {
      console.log(summarizeCpu(read(f), skip, `worker thread ${tid(f)}`));
    }
    if (alloc) {
      const p = JSON.parse(readFileSync(allocOut, 'utf8')) as { head: AllocNode };
      console.log(`main thread: ${summarizeAlloc(p.head)}`);
      for (const f of readdirSync(work).filter((x) => x.startsWith('alloc.heapprofile.thread-'))) {
        const w = JSON.parse(readFileSync(join(work, f), 'utf8')) as { head: AllocNode };
        console.log(`worker ${f.slice(f.lastIndexOf('-') + 1)}: ${summarizeAlloc(w.head)}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
