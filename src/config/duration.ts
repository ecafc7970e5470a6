// Go `time.Duration` text, so flags and URI options read exactly as in the original.

const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n, // U+00B5 micro sign
  μs: 1000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go's Duration is an int64 of nanoseconds. */
const MAX_NS = 2n ** 63n - 1n;

const PART = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/**
 * Parses Go `time.ParseDuration` syntax (`60s`, `1m30s`, `500ms`, `1.5h`, `2us`/`2µs`,
 * `10ns`, optional leading sign) into milliseconds, possibly fractional. A bare number
 * without unit is rejected, except `0` (as in Go). Throws an Error saying what is wrong.
 */
export function parseDurationMs(text: string): number {
  const quoted = JSON.stringify(text);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`invalid duration ${quoted}: empty`);
  // Whole nanoseconds in BigInt like Go, so `1.1s` is exactly 1100 ms.
  let totalNs = 0n;
  while (rest !== '') {
    const m = PART.exec(rest);
    const intPart = m?.[1] ?? '';
    const fracPart = m?.[2];
    const unit = m?.[3] ?? '';
    if (m === null || (intPart === '' && (fracPart === undefined || fracPart === ''))) {
      throw new Error(`invalid duration ${quoted}: expected a number at ${JSON.stringify(rest)}`);
    }
    if (unit === '') {
      throw new Error(`invalid duration ${quoted}: missing unit (ns, us, ms, s, m, h)`);
    }
    const unitNs = UNIT_NS[unit];
    if (unitNs === undefined) {
      throw new Error(
        `invalid duration ${quoted}: unknown unit ${JSON.stringify(unit)} (ns, us, ms, s, m, h)`,
      );
    }
    totalNs += BigInt(intPart || '0') * unitNs;
    if (fracPart) totalNs += (BigInt(fracPart) * unitNs) / 10n ** BigInt(fracPart.length);
    if (totalNs > MAX_NS) throw new Error(`invalid duration ${quoted}: out of range`);
    rest = rest.slice(m[0].length);
  }
  return (sign * Number(totalNs)) / 1e6 + 0; // + 0 turns -0 into 0
}

/** `v / 10**prec` fraction digits without trailing zeros, e.g. ".5"; "" when zero. */
function fraction(v: bigint, prec: number): { text: string; rest: bigint } {
  const scale = 10n ** BigInt(prec);
  const frac = v % scale;
  if (frac === 0n) return { text: '', rest: v / scale };
  const digits = frac.toString().padStart(prec, '0').replace(/0+$/, '');
  return { text: `.${digits}`, rest: v / scale };
}

/**
 * Formats milliseconds like Go's `time.Duration.String()`: `0s`, `500ms`, `1.5µs`,
 * `1m0s`, `1h0m0s`, `1m30.5s`. Rounds to whole nanoseconds.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const neg = ms < 0;
  const abs = Math.abs(ms);
  const wholeMs = Math.trunc(abs);
  let ns = BigInt(wholeMs) * 1_000_000n + BigInt(Math.round((abs - wholeMs) * 1e6));
  let out: string;
  if (ns === 0n) return '0s';
  if (ns < 1_000_000_000n) {
    let unit: string;
    let prec: number;
    if (ns < 1000n) [unit, prec] = ['ns', 0];
    else if (ns < 1_000_000n) [unit, prec] = ['µs', 3];
    else [unit, prec] = ['ms', 6];
    const f = fraction(ns, prec);
    out = `${f.rest}${f.text}${unit}`;
  } else {
    const f = fraction(ns, 9);
    ns = f.rest; // whole seconds
    out = `${ns % 60n}${f.text}s`;
    ns /= 60n; // whole minutes
    if (ns > 0n) {
      out = `${ns % 60n}m${out}`;
      ns /= 60n; // whole hours
      if (ns > 0n) out = `${ns}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}
