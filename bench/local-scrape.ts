// CPU cost of one scrape of the local source with 100 extra cgroups (cgroup v1, root).
// Usage: npm run bench -- local-scrape [--cgroups=100] [--scrapes=50]
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { rootLogger } from '../src/core/log.js';
import { createLocalSource } from '../src/sources/local-source.js';
import { recordResult } from './results.js';

const arg = (name: string, def: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : def;
};
const CGROUPS = arg('cgroups', 100);
const SCRAPES = arg('scrapes', 50);
const WARMUP = 5;
const SLEEPERS = 10;
const ROOT = '/sys/fs/cgroup';
const CONTROLLERS = ['cpu', 'cpuacct', 'memory'];
const BASE = 'heapster-bench';

const children: ChildProcess[] = [];

function setUp(): void {
  for (const c of CONTROLLERS) {
    if (!existsSync(`${ROOT}/${c}`))
      throw new Error(`needs cgroup v1 ${c} at ${ROOT}/${c} (and root)`);
    mkdirSync(`${ROOT}/${c}/${BASE}`, { recursive: true });
    for (let i = 0; i < CGROUPS; i++) mkdirSync(`${ROOT}/${c}/${BASE}/c${i}`, { recursive: true });
  }
  for (let i = 0; i < Math.min(SLEEPERS, CGROUPS); i++) {
    const child = spawn('sleep', ['3600'], { stdio: 'ignore' });
    children.push(child);
    for (const c of CONTROLLERS) {
      writeFileSync(`${ROOT}/${c}/${BASE}/c${i}/cgroup.procs`, String(child.pid));
    }
  }
}

async function tearDown(): Promise<void> {
  await Promise.all(
    children.map((child) => {
      if (child.exitCode !== null || child.signalCode !== null) return undefined;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      return exited;
    }),
  );
  for (const c of CONTROLLERS) {
    const dirs = [
      ...Array.from({ length: CGROUPS }, (_, i) => `${ROOT}/${c}/${BASE}/c${i}`),
      `${ROOT}/${c}/${BASE}`,
    ];
    for (const dir of dirs) {
      for (let attempt = 0; existsSync(dir); attempt++) {
        try {
          rmdirSync(dir);
        } catch (err) {
          if (attempt >= 50) throw err;
          await sleep(20);
        }
      }
    }
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  setUp();
  try {
    const source = createLocalSource({
      nodeName: os.hostname(),
      logger: rootLogger.child({ level: 'silent' }),
    });
    const signal = new AbortController().signal;
    const window = { startMs: 0, endMs: Date.now() };
    for (let i = 0; i < WARMUP; i++) await source.scrape(window, signal);

    const cpuMs: number[] = [];
    const wallMs: number[] = [];
    let containers = 0;
    let benchContainers = 0;
    for (let i = 0; i < SCRAPES; i++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const batch = await source.scrape(window, signal);
      const t1 = performance.now();
      const cpu = process.cpuUsage(cpu0);
      cpuMs.push((cpu.user + cpu.system) / 1000);
      wallMs.push(t1 - t0);
      containers = batch.sets.size - 1;
      benchContainers = 0;
      for (const key of batch.sets.keys())
        if (key.includes(`/container:${BASE}/`)) benchContainers++;
    }
    cpuMs.sort((a, b) => a - b);
    wallMs.sort((a, b) => a - b);
    const counters = source.counters();
    recordResult(
      'local-scrape',
      {
        cgroupsCreated: CGROUPS,
        processesInCgroups: Math.min(SLEEPERS, CGROUPS),
        containersSeen: containers,
        benchContainersSeen: benchContainers,
        scrapes: SCRAPES,
        cpuMsMedian: round(quantile(cpuMs, 0.5)),
        cpuMsP90: round(quantile(cpuMs, 0.9)),
        wallMsMedian: round(quantile(wallMs, 0.5)),
        wallMsP90: round(quantile(wallMs, 0.9)),
        cpuUsPerContainerMedian: round((quantile(cpuMs, 0.5) * 1000) / Math.max(1, containers)),
        skippedEntities: counters.skippedEntities,
        targetCpuMs: 20,
      },
      'npm run bench -- local-scrape',
    );
  } finally {
    await tearDown();
  }
}

process.once('SIGINT', () => {
  void tearDown().finally(() => process.exit(130));
});
await main();
