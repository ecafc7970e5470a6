import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const RESULTS = new URL('./RESULTS.md', import.meta.url);

/**
 * Prints a benchmark's figures as one JSON line on stdout and appends them to
 * bench/RESULTS.md with the date, the machine and the command that made them.
 */
export function recordResult(
  name: string,
  figures: Record<string, unknown>,
  command: string,
): void {
  const line = { bench: name, date: new Date().toISOString(), ...figures };
  console.log(JSON.stringify(line));
  if (!existsSync(RESULTS)) {
    writeFileSync(
      RESULTS,
      '# Benchmark results\n\nNewest last. Each entry: date, machine, command, figures (JSON).\n',
    );
  }
  const machine = `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
  appendFileSync(
    RESULTS,
    `\n## ${name} — ${line.date}\n\n- machine: ${machine}\n- command: \`${command}\`\n\n\`\`\`json\n${JSON.stringify(figures, null, 2)}\n\`\`\`\n`,
  );
}
