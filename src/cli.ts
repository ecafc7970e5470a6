import { ConfigError } from './config/types.js';
import type { Config } from './config/types.js';
import { VERSION, helpText, parseFlags } from './config/flags.js';

/** A subcommand: `heapster NAME args...`; resolves with the exit code. */
type Subcommand = (argv: string[]) => Promise<number>;

/**
 * Subcommands besides the main job, loaded on demand so the main job does not pay for them.
 * Add one line per subcommand.
 */
const SUBCOMMANDS: Record<string, () => Promise<Subcommand>> = {
  agent: async () => (await import('./agent/agent-command.js')).agentCommand,
  eventer: async () => (await import('./events/eventer-command.js')).eventerCommand,
  simulate: async () => (await import('./sim/simulate-command.js')).simulateCommand,
  top: async () => (await import('./top/top-command.js')).topCommand,
};

/**
 * Entry point: `heapster [flags]` runs the main job (collect, process, store, serve, export)
 * until SIGINT/SIGTERM. Returns the process exit code: 0 on a clean stop, 2 for a
 * configuration error (the message names the flag or option), 1 for a start-up failure.
 */
export async function main(argv: string[]): Promise<number> {
  const sub = argv[0] !== undefined ? SUBCOMMANDS[argv[0]] : undefined;
  if (sub) return (await sub())(argv.slice(1));
  let cfg: Config;
  try {
    cfg = parseFlags(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`heapster: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (cfg.help) {
    console.log(helpText());
    return 0;
  }
  if (cfg.version) {
    console.log(`heapster version ${VERSION}`);
    return 0;
  }
  // Loaded here, so that subcommands and --help do not pay for the main job's modules.
  const { runMain } = await import('./main-job.js');
  return runMain(cfg);
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  process.exitCode = await main(process.argv.slice(2));
}
