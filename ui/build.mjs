// Bundles the dashboard (ui/src/main.ts + uPlot + CSS) with esbuild. Used by
// scripts/build-ui.mjs (writes ui/dist/) and by the API server (in memory, at start-up).
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';
import * as esbuild from 'esbuild';

/** Folder of the dashboard sources (this file's folder). */
export const UI_DIR = fileURLToPath(new URL('.', import.meta.url));
/** Default output folder. */
export const UI_DIST_DIR = join(UI_DIR, 'dist');

/**
 * Builds the bundle. Returns the files of the dashboard by name (`index.html`, `app.js`,
 * `app.css`); with `write`, also writes them to `outdir` (default ui/dist).
 */
export async function buildUi({ write = false, outdir = UI_DIST_DIR, minify = true } = {}) {
  const result = await esbuild.build({
    absWorkingDir: UI_DIR,
    entryPoints: { app: join(UI_DIR, 'src', 'main.ts') },
    bundle: true,
    minify,
    format: 'iife',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    outdir,
    write: false,
    logLevel: 'silent',
    legalComments: 'eof',
    charset: 'utf8',
  });
  // The esbuild service is a child process that would otherwise stay for the server's life.
  await esbuild.stop();
  const files = new Map();
  for (const f of result.outputFiles) files.set(basename(f.path), f.contents);
  files.set('index.html', await readFile(join(UI_DIR, 'index.html')));
  if (write) {
    await mkdir(outdir, { recursive: true });
    for (const [name, body] of files) await writeFile(join(outdir, name), body);
  }
  return files;
}
