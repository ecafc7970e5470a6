import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Folder of the prebuilt bundle (`node scripts/build-ui.mjs` writes it). */
const DIST_DIR = fileURLToPath(new URL('../../ui/dist/', import.meta.url));
const FILES = ['index.html', 'app.js', 'app.css'] as const;

const CONTENT_TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/** The dashboard's files, or why there are none. */
export type DashboardBundle =
  | { ok: true; source: 'built' | 'dist'; files: Map<string, { body: Buffer; type: string }> }
  | { ok: false; error: string };

let pending: Promise<DashboardBundle> | undefined;

function toBundle(source: 'built' | 'dist', files: Map<string, Uint8Array>): DashboardBundle {
  const out = new Map<string, { body: Buffer; type: string }>();
  for (const name of FILES) {
    const body = files.get(name);
    if (body === undefined) return { ok: false, error: `${source} bundle lacks ${name}` };
    out.set(name, { body: Buffer.from(body), type: CONTENT_TYPES[name] });
  }
  return { ok: true, source, files: out };
}

async function buildInProcess(): Promise<Map<string, Uint8Array>> {
  // In-process esbuild from ui/src: fresh on every start (about 0.1–0.3 s).
  const { buildUi } = await import('../../ui/build.mjs');
  return buildUi({ write: false });
}

/**
 * Loads the bundle: `build()` first, else the files in `distDir` (a folder path ending in `/`).
 * Never rejects: `{ ok: false, error }` names why both failed.
 */
export async function loadDashboardBundle(
  build: () => Promise<Map<string, Uint8Array>>,
  distDir: string,
): Promise<DashboardBundle> {
  let buildError: string;
  try {
    const built = toBundle('built', await build());
    if (built.ok) return built;
    buildError = built.error;
  } catch (err) {
    buildError = err instanceof Error ? err.message : String(err);
  }
  try {
    const files = new Map<string, Uint8Array>();
    for (const name of FILES) files.set(name, await readFile(distDir + name));
    return toBundle('dist', files);
  } catch (err) {
    const distError = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      error: `building ui/src failed (${buildError}) and no prebuilt bundle was found in ${distDir} (${distError})`,
    };
  }
}

/**
 * The dashboard bundle, built once per process: first by esbuild in memory from ui/src, else
 * read from ui/dist; `{ ok: false, error }` names both failures. Never rejects. Concurrent and
 * later callers share the first result.
 */
export function dashboardBundle(): Promise<DashboardBundle> {
  pending ??= loadDashboardBundle(buildInProcess, DIST_DIR);
  return pending;
}
