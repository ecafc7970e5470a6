// `heapster agent` with 100 running containers at 1 s housekeeping: its CPU (% of one core)
// and RSS; beside it, in the same run, what dockerd + containerd + shims (and the CLI) cost
// while `docker stats --no-stream` runs once a second; and one writable-layer size round.
// Needs root, docker.io and busybox-static. Usage:
//   npm run bench -- agent [--containers=100] [--seconds=120] [--stats-seconds=60]
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { rootLogger } from '../src/core/log.js';
import { DockerIdentityCache } from '../src/sources/docker/identity.js';
import { WritableLayerUsage } from '../src/sources/docker/writable-layer.js';
import { freePort, waitFor } from '../test/support/services.js';
import { launchDockerd } from '../test/support/docker.js';
import type { Dockerd } from '../test/support/docker.js';
import { recordResult } from './results.js';

const arg = (name: string, def: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : def;
};
const CONTAINERS = arg('containers', 100);
const SECONDS = arg('seconds', 120);
const STATS_SECONDS = arg('stats-seconds', 60);
const WARMUP_S = 10;
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ). */
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
const DRY = process.argv.includes('--dry');
const BIN = fileURLToPath(new URL('../bin/heapster.js', import.meta.url));

/** utime + stime of a process, in clock ticks; undefined when it is gone. */
function cpuTicks(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return undefined;
  }
}

/** Waited-for children's CPU of this process (cutime + cstime), clock ticks. */
function childrenTicks(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(f[13]) + Number(f[14]);
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** PIDs of dockerd, its containerd and the shims of this daemon (found by exec root). */
function daemonPids(d: Dockerd): number[] {
  const marker = d.socketPath.slice(0, d.socketPath.lastIndexOf('/'));
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (cmd.includes(marker) && /dockerd|containerd/.test(cmd)) out.push(Number(e));
    } catch {
      // exited
    }
  }
  return out;
}

function sumTicks(pids: number[]): number {
  let t = 0;
  for (const p of pids) t += cpuTicks(p) ?? 0;
  return t;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const r2 = (x: number): number => Math.round(x * 100) / 100;

async function runContainers(d: Dockerd, image: string): Promise<void> {
  const cmd =
    'mkdir -p /var/data && for i in $(seq 20); do echo $i > /var/data/f$i; done; exec sleep 1d';
  const ids = Array.from({ length: CONTAINERS }, (_, i) => i);
  for (let i = 0; i < ids.length; i += 8) {
    await Promise.all(
      ids
        .slice(i, i + 8)
        .map((n) =>
          d.docker(['run', '-d', '--network', 'none', '--name', `c${n}`, image, 'sh', '-c', cmd]),
        ),
    );
  }
}

async function main(): Promise<void> {
  const d = await launchDockerd();
  let agent: ChildProcess | undefined;
  try {
    const image = await d.importBusybox();
    const t0 = Date.now();
    await runContainers(d, image);
    const startupS = (Date.now() - t0) / 1000;

    const port = await freePort();
    agent = spawn(
      process.execPath,
      [
        BIN,
        'agent',
        `--port=${port}`,
        '--listen_ip=127.0.0.1',
        `--docker=${d.host}`,
        '--housekeeping_interval=1s',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HEAPSTER_LOG_LEVEL: 'warn' } },
    );
    let agentErr = '';
    agent.stderr?.on('data', (b: Buffer) => (agentErr = (agentErr + b.toString()).slice(-4000)));
    await waitFor(
      'agent /api/v1.3/machine',
      async () => {
        if (agent?.exitCode !== null) throw new Error(`agent exited: ${agentErr}`);
        const r = await fetch(`http://127.0.0.1:${port}/api/v1.3/machine`);
        return r.ok ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // The agent names containers: check one before measuring.
    const names = await (await fetch(`http://127.0.0.1:${port}/api/v1.3/docker/c0`)).text();
    if (!names.includes('"c0"') && !names.includes('/c0')) {
      console.error(`warning: the agent does not name container c0: ${names.slice(0, 300)}`);
    }
    await sleep(WARMUP_S * 1000);

    const pid = agent.pid!;
    const daemons = daemonPids(d);
    // Phase 1: the agent alone (no docker stats).
    const a0 = cpuTicks(pid)!;
    const d0 = sumTicks(daemons);
    const rss: number[] = [];
    const p1Start = Date.now();
    while (Date.now() - p1Start < SECONDS * 1000) {
      await sleep(1000);
      rss.push(rssBytes(pid));
    }
    const p1S = (Date.now() - p1Start) / 1000;
    const agentPct = ((cpuTicks(pid)! - a0) / TICKS / p1S) * 100;
    const daemonIdlePct = ((sumTicks(daemons) - d0) / TICKS / p1S) * 100;

    // Phase 2: `docker stats --no-stream` once a second (the agent keeps running).
    const daemons2 = daemonPids(d);
    const e0 = sumTicks(daemons2);
    const a1 = cpuTicks(pid)!;
    const c0 = childrenTicks();
    const p2Start = Date.now();
    let runs = 0;
    const statsMs: number[] = [];
    const inFlight = new Set<Promise<void>>();
    // One `docker stats --no-stream` per second, as a watch loop would start them; each takes
    // about 2 s (it waits for two samples), so two or three overlap.
    while (Date.now() - p2Start < STATS_SECONDS * 1000) {
      const s = Date.now();
      const p: Promise<void> = d
        .docker(['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}}'])
        .then(() => {
          statsMs.push(Date.now() - s);
          runs++;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      await sleep(Math.max(0, 1000 - (Date.now() - s)));
    }
    await Promise.all(inFlight);
    const p2S = (Date.now() - p2Start) / 1000;
    const daemonStatsPct = ((sumTicks(daemons2) - e0) / TICKS / p2S) * 100;
    const cliPct = ((childrenTicks() - c0) / TICKS / p2S) * 100;
    const agentDuringStatsPct = ((cpuTicks(pid)! - a1) / TICKS / p2S) * 100;

    // Writable-layer size: full rounds over every container, in this process.
    const cache = new DockerIdentityCache({
      endpoint: { socketPath: d.socketPath },
      logger: rootLogger.child({ level: 'silent' }),
    });
    await cache.start();
    const refs = cache.list().filter((c) => c.running);
    cache.close();
    const layers = new WritableLayerUsage();
    const walks: number[] = [];
    const cpus: number[] = [];
    let entries = 0;
    for (let i = 0; i < 7; i++) {
      const u0 = process.cpuUsage();
      const st = layers.refreshAll(refs);
      const u = process.cpuUsage(u0);
      walks.push(st.walkMs);
      cpus.push((u.user + u.system) / 1000);
      entries = st.entries;
    }
    const budgeted = new WritableLayerUsage({ budgetMs: 20, intervalMs: 0 });
    let slices = 0;
    while (budgeted.lastRound() === undefined) {
      budgeted.tick(() => refs);
      slices++;
    }

    (DRY
      ? (_n: string, f: Record<string, unknown>) => console.log(JSON.stringify(f))
      : recordResult)(
      'agent',
      {
        containers: CONTAINERS,
        housekeepingS: 1,
        containerStartupS: r2(startupS),
        agent: {
          seconds: r2(p1S),
          cpuPercentOfOneCore: r2(agentPct),
          rssMedianMB: r2(median(rss) / 1e6),
          rssMaxMB: r2(Math.max(...rss) / 1e6),
          targets: 'cpu ≤ 2%, rss ≤ 80 MB',
        },
        dockerDaemonsWhileAgentOnlyPercent: r2(daemonIdlePct),
        dockerStatsOncePerSecond: {
          seconds: r2(p2S),
          runs,
          medianRunMs: median(statsMs),
          daemonsCpuPercent: r2(daemonStatsPct),
          cliCpuPercent: r2(cliPct),
          agentCpuPercentMeanwhile: r2(agentDuringStatsPct),
          processes: daemons2.length,
        },
        writableLayerRound: {
          containers: refs.length,
          entries,
          medianWallMs: r2(median(walks)),
          medianCpuMs: r2(median(cpus)),
          slicesAt20msBudget: slices,
        },
      },
      `npm run bench -- agent --containers=${CONTAINERS} --seconds=${SECONDS} --stats-seconds=${STATS_SECONDS}`,
    );
  } finally {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
    await d.stop();
  }
}

await main();
