// A small, fast reader of the Prometheus text exposition format (what kubelets serve on
// /metrics/cadvisor and /metrics/resource).

/** One sample: metric name, labels, value and the optional timestamp (ms since the epoch). */
export interface PromSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
  readonly timestampMs: number | undefined;
}

/** Thrown for a line that is not a sample, comment or blank; says which line. */
export class PromParseError extends Error {
  override readonly name = 'PromParseError';
}

/**
 * Calls `onSample` for every sample of `text`, skipping comments (`# HELP`, `# TYPE`) and
 * blank lines. `wanted`, when given, limits the samples to those metric names (their labels
 * are not even parsed otherwise). Throws PromParseError naming the line number on a
 * malformed line.
 */
export function parsePromText(
  text: string,
  onSample: (s: PromSample) => void,
  wanted?: ReadonlySet<string>,
): void {
  let pos = 0;
  let lineNo = 0;
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = n;
    lineNo++;
    const line = text.slice(pos, end);
    pos = end + 1;
    if (line.length === 0 || line.charCodeAt(0) === 35 /* # */) continue;
    parseLine(line, lineNo, onSample, wanted);
  }
}

function fail(lineNo: number, line: string, why: string): never {
  throw new PromParseError(`line ${lineNo}: ${why}: ${JSON.stringify(line.slice(0, 120))}`);
}

function parseLine(
  line: string,
  lineNo: number,
  onSample: (s: PromSample) => void,
  wanted: ReadonlySet<string> | undefined,
): void {
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 123 /* { */ || c === 32 || c === 9) break;
    i++;
  }
  const name = line.slice(0, i).trim();
  if (name === '') {
    if (line.trim() === '') return;
    fail(lineNo, line, 'no metric name');
  }
  if (wanted !== undefined && !wanted.has(name)) return;
  const labels: Record<string, string> = {};
  if (line.charCodeAt(i) === 123) {
    i++;
    for (;;) {
      while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 44)) i++;
      if (i >= n) fail(lineNo, line, 'unterminated label set');
      if (line.charCodeAt(i) === 125 /* } */) {
        i++;
        break;
      }
      const eq = line.indexOf('=', i);
      if (eq < 0) fail(lineNo, line, 'label without "="');
      const key = line.slice(i, eq).trim();
      i = eq + 1;
      if (line.charCodeAt(i) !== 34 /* " */) fail(lineNo, line, `label ${key} value not quoted`);
      i++;
      let value = '';
      let start = i;
      for (;;) {
        if (i >= n) fail(lineNo, line, 'unterminated label value');
        const c = line.charCodeAt(i);
        if (c === 34) {
          value += line.slice(start, i);
          i++;
          break;
        }
        if (c === 92 /* \ */) {
          value += line.slice(start, i);
          const e = line[i + 1];
          value += e === 'n' ? '\n' : (e ?? '');
          i += 2;
          start = i;
          continue;
        }
        i++;
      }
      labels[key] = value;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length < 1 || rest[0] === '') fail(lineNo, line, 'no value');
  const value = parseValue(rest[0] as string);
  if (value === undefined) fail(lineNo, line, 'bad value');
  let timestampMs: number | undefined;
  if (rest.length > 1) {
    timestampMs = Number(rest[1]);
    if (!Number.isFinite(timestampMs)) fail(lineNo, line, 'bad timestamp');
  }
  onSample({ name, labels, value, timestampMs });
}

function parseValue(text: string): number | undefined {
  switch (text) {
    case '+Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  const v = Number(text);
  return Number.isNaN(v) ? undefined : v;
}
