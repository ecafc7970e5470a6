// Processes of the cluster benchmarks: the simulator started from
// bin/heapster.js with its --source line read from its first line of output.
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/services.js';

export const BIN = fileURLToPath(new URL('../../bin/heapster.js', import.meta.url));

/** `heapster simulate` with these flags; resolves once it printed the --source value. */
export async function startSimulator(
  flags: string[],
): Promise<{ sim: ChildProcessByStdio<null, Readable, null>; source: string }> {
  const simPort = await freePort();
  const sim = spawn(
    process.execPath,
    [BIN, 'simulate', `--listen=127.0.0.1:${simPort}`, '--kubelet-port=0', ...flags],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const source = await new Promise<string>((resolve, reject) => {
    let out = '';
    sim.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl).trim());
    });
    sim.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  sim.stdout.resume();
  return { sim, source };
}
