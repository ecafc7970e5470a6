/** Nodes per 127.x.y.0/24 block: z runs 1..254 (no .0 or .255). */
const PER_BLOCK = 254;

/**
 * The loopback address of simulated node `index` (0-based): 127.1.0.1, 127.1.0.2, ...,
 * 127.1.0.254, 127.1.1.1, ...; never 127.0.0.1 (where the API server usually listens)
 * and never a .0 or .255 host. Linux routes all of 127.0.0.0/8 to `lo`, so each address
 * can be bound without configuration. Throws for an index beyond 127.255.255.254.
 */
export function nodeAddress(index: number): string {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`bad node index ${index}`);
  const block = Math.floor(index / PER_BLOCK);
  const x = 1 + Math.floor(block / 256);
  if (x > 255) throw new RangeError(`node index ${index} does not fit in 127.0.0.0/8`);
  return `127.${x}.${block % 256}.${(index % PER_BLOCK) + 1}`;
}
