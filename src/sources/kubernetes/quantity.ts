// Kubernetes resource quantities ("100m", "1.5Gi", "2e3") as numbers.

const BINARY: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/**
 * Parses a Kubernetes quantity (`"250m"`, `"4"`, `"1.5Gi"`, `"128974848"`, `"129e6"`) into
 * its value in base units (cores, bytes, counts). Returns undefined when the text is not a
 * quantity. Precision is that of a double (exact for byte counts below 2^53).
 */
export function parseQuantity(text: string | number | undefined | null): number | undefined {
  if (text === undefined || text === null) return undefined;
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  const m = QUANTITY.exec(text.trim());
  if (m === null) return undefined;
  const num = Number(m[1]);
  if (m[2] !== undefined) return Number(m[1] + m[2]);
  const suffix = m[3] ?? '';
  const mult = BINARY[suffix] ?? DECIMAL[suffix];
  if (mult === undefined || !Number.isFinite(num)) return undefined;
  // Milli-units times 1e-3 is inexact in binary; round to the nearest nano-unit.
  const v = num * mult;
  return mult < 1 ? Math.round(v * 1e9) / 1e9 : v;
}

/** A quantity in milli-units (cpu `"250m"` → 250), rounded up like Kubernetes' MilliValue. */
export function parseMilliQuantity(text: string | number | undefined | null): number | undefined {
  const v = parseQuantity(text);
  return v === undefined ? undefined : Math.ceil(Math.round(v * 1e6) / 1e3);
}
