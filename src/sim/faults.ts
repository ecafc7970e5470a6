/**
 * What a simulated kubelet does wrong: `slow` answers after a delay, `error500` answers
 * 500, `malformed` answers 200 with a truncated body, `hang` accepts the request and never
 * answers, `notready` answers normally but the node's Ready condition is False.
 * `none` clears the fault.
 */
export type FaultKind = 'none' | 'slow' | 'error500' | 'malformed' | 'hang' | 'notready';

export const FAULT_KINDS: readonly FaultKind[] = [
  'none',
  'slow',
  'error500',
  'malformed',
  'hang',
  'notready',
];

/** A node's fault; `delayMs` only matters for `slow`. */
export interface Fault {
  readonly kind: FaultKind;
  readonly delayMs: number;
}

/** True when `s` names a fault kind. */
export function isFaultKind(s: string): s is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(s);
}

/**
 * Parses `--faults slow:3,error500:2,malformed:1,hang:1` (kind:number-of-nodes) into
 * counts per kind. Throws an Error naming the bad item for an unknown kind or count.
 */
export function parseFaultCounts(text: string): Map<FaultKind, number> {
  const out = new Map<FaultKind, number>();
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const [kind, count = '1', extra] = item.split(':');
    if (extra !== undefined || !isFaultKind(kind) || kind === 'none')
      throw new Error(
        `--faults: "${item}" is not KIND[:NODES] with KIND one of ${FAULT_KINDS.filter((k) => k !== 'none').join(', ')}`,
      );
    const n = Number(count);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--faults: "${item}": the node count must be a whole number`);
    out.set(kind, (out.get(kind) ?? 0) + n);
  }
  return out;
}

/**
 * Assigns fault counts to nodes deterministically, from the last node backwards (node-0
 * stays healthy as long as there are more nodes than faults). Returns node index → kind.
 * Throws when more faulty nodes are asked than there are nodes.
 */
export function assignFaults(
  counts: Map<FaultKind, number>,
  nodes: number,
): Map<number, FaultKind> {
  const out = new Map<number, FaultKind>();
  let next = nodes - 1;
  for (const [kind, n] of counts) {
    for (let i = 0; i < n; i++) {
      if (next < 0) throw new Error(`--faults asks for more faulty nodes than the ${nodes} nodes`);
      out.set(next--, kind);
    }
  }
  return out;
}
