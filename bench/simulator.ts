// The simulator's own cost: start time, resident memory, open file descriptors, and the CPU
// time to serve one /stats/summary from every node, at 1,000 and 5,000 nodes x 30 pods x 2
// containers. Each size runs in a fresh child process (so memory is not shared), 3 times;
// medians are reported.
// Usage: npm run bench -- simulator [--sizes=1000,5000] [--runs=3] [--pods=30] [--containers=2]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { startSimulator } from '../src/sim/simulator.js';
import { recordResult } from './results.js';

const arg = (name: string, def: string): string => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function child(nodes: number, pods: number, containers: number): Promise<void> {
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const sim = await startSimulator({ nodes, podsPerNode: pods, containersPerPod: containers });
  const startMs = performance.now() - t0;
  global.gc?.();
  const rssIdle = process.memoryUsage().rss;
  const fdsIdle = readdirSync('/proc/self/fd').length;
  // One summary scrape of every node, 64 in flight, keep-alive (like a heapster tick).
  const agent = new Agent({ connections: 1, pipelining: 1 });
  const cpu0 = process.cpuUsage();
  const t1 = performance.now();
  let bytes = 0;
  for (let i = 0; i < nodes; i += 64) {
    await Promise.all(
      sim.model.nodes.slice(i, i + 64).map(async (n) => {
        const r = await request(`http://${n.address}:${sim.kubeletPort}/stats/summary`, {
          dispatcher: agent,
        });
        bytes += (await r.body.arrayBuffer()).byteLength;
      }),
    );
  }
  const scrapeMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  const fdsServing = readdirSync('/proc/self/fd').length;
  const rssServing = process.memoryUsage().rss;
  const listT = performance.now();
  const list = await request(`${sim.apiUrl}/api/v1/pods`);
  const listBytes = (await list.body.arrayBuffer()).byteLength;
  const podListMs = performance.now() - listT;
  await agent.close();
  await sim.stop();
  process.stdout.write(
    JSON.stringify({
      startMs,
      rssIdleMiB: (rssIdle - rss0) / 2 ** 20,
      rssTotalIdleMiB: rssIdle / 2 ** 20,
      fdsIdle,
      fdsServing,
      rssServingMiB: rssServing / 2 ** 20,
      scrapeAllWallMs: scrapeMs,
      // Client and server share this process: this CPU is both sides of every request.
      scrapeAllCpuMs: (cpu.user + cpu.system) / 1000,
      summaryKiB: bytes / nodes / 1024,
      podListMs,
      podListMiB: listBytes / 2 ** 20,
    }) + '\n',
  );
}

async function main(): Promise<void> {
  const pods = Number(arg('pods', '30'));
  const containers = Number(arg('containers', '2'));
  if (process.argv.includes('--child')) {
    await child(Number(arg('nodes', '1000')), pods, containers);
    return;
  }
  const sizes = arg('sizes', '1000,5000').split(',').map(Number);
  const runs = Number(arg('runs', '3'));
  const figures: Record<string, unknown> = {
    podsPerNode: pods,
    containersPerPod: containers,
    runs,
  };
  for (const nodes of sizes) {
    const results: Record<string, number>[] = [];
    for (let r = 0; r < runs; r++) {
      const out = spawnSync(
        process.execPath,
        [
          '--expose-gc',
          '--import',
          'tsx',
          fileURLToPath(import.meta.url),
          '--child',
          `--nodes=${nodes}`,
          `--pods=${pods}`,
          `--containers=${containers}`,
        ],
        {
          encoding: 'utf8',
          env: { ...process.env, HEAPSTER_LOG_LEVEL: 'warn' },
          maxBuffer: 1 << 20,
        },
      );
      if (out.status !== 0) throw new Error(`child failed (${nodes} nodes): ${out.stderr}`);
      results.push(
        JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>,
      );
    }
    const med: Record<string, number> = {};
    for (const k of Object.keys(results[0]))
      med[k] = Math.round(median(results.map((x) => x[k])) * 10) / 10;
    figures[`nodes${nodes}`] = med;
  }
  recordResult(
    'simulator',
    figures,
    `npm run bench -- simulator ${process.argv.slice(2).join(' ')}`.trim(),
  );
}

await main();
