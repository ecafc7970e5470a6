// Builds the web dashboard into ui/dist/ (`node scripts/build-ui.mjs`). The server also builds
// it in memory at start-up, so this is for packaging and for checking the bundle size.
import { gzipSync } from 'node:zlib';
import { buildUi, UI_DIST_DIR } from '../ui/build.mjs';

try {
  const files = await buildUi({ write: true });
  let raw = 0;
  let gz = 0;
  for (const body of files.values()) {
    raw += body.length;
    gz += gzipSync(body).length;
  }
  console.log(
    `dashboard built into ${UI_DIST_DIR}: ${[...files.keys()].join(', ')} (${(raw / 1024).toFixed(1)} KiB, ${(gz / 1024).toFixed(1)} KiB gzipped)`,
  );
} catch (err) {
  console.error(`build-ui: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
