// `npm run bench -- NAME [args]` runs bench/NAME.ts; with no NAME it lists them.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'results.ts'].includes(f))
  .map((f) => f.slice(0, -3));
const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.error(`usage: npm run bench -- NAME [args]\nbenchmarks: ${names.join(', ')}`);
  process.exit(name ? 2 : 0);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${name}.ts`, ...args], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
