// Lazy access to @kubernetes/client-node: importing it costs about 70 MB of resident memory,
// which a main job without a kubernetes source (a plain machine) must not pay.
import { createRequire } from 'node:module';
import type * as ClientNode from '@kubernetes/client-node';

let loaded: typeof ClientNode | undefined;

/** The @kubernetes/client-node module, loaded synchronously on first use. */
export function clientNode(): typeof ClientNode {
  loaded ??= createRequire(import.meta.url)('@kubernetes/client-node') as typeof ClientNode;
  return loaded;
}
