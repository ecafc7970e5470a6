/** Folder of the dashboard sources. */
export declare const UI_DIR: string;
/** Default output folder (ui/dist). */
export declare const UI_DIST_DIR: string;
/**
 * Builds the bundle with esbuild. Returns the files by name (`index.html`, `app.js`, `app.css`);
 * with `write`, also writes them to `outdir` (default ui/dist). Rejects on a build error.
 */
export declare function buildUi(opts?: {
  write?: boolean;
  outdir?: string;
  minify?: boolean;
}): Promise<Map<string, Uint8Array>>;
