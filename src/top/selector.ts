/** One requirement of a Kubernetes label selector. */
export type Requirement =
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

const KEY = /^[A-Za-z0-9]([A-Za-z0-9_.\-/]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)?$/;

/** Splits on commas outside parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

function checkKey(key: string, part: string): string {
  if (!KEY.test(key))
    throw new Error(`invalid label key ${JSON.stringify(key)} in ${JSON.stringify(part)}`);
  return key;
}

function checkValue(value: string, part: string): string {
  if (!VALUE.test(value)) {
    throw new Error(`invalid label value ${JSON.stringify(value)} in ${JSON.stringify(part)}`);
  }
  return value;
}

/**
 * Parses a label selector as kubectl's `-l` takes it: comma-separated requirements, all of
 * which must hold: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. Throws an
 * Error naming the bad requirement. An empty selector selects everything.
 */
export function parseSelector(text: string): Requirement[] {
  if (text.trim() === '') return [];
  const out: Requirement[] = [];
  for (const raw of splitTop(text)) {
    const part = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=()]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part))) {
      const values = m[3].split(',').map((v) => checkValue(v.trim(), part));
      out.push({ key: checkKey(m[1], part), op: m[2] as 'in' | 'notin', values });
    } else if ((m = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s=!]*)$/.exec(part))) {
      const op = m[2] === '!=' ? '!=' : '=';
      out.push({ key: checkKey(m[1], part), op, value: checkValue(m[3], part) });
    } else if ((m = /^!\s*([^\s!=()]+)$/.exec(part))) {
      out.push({ key: checkKey(m[1], part), op: '!exists' });
    } else if (/^[^\s!=()]+$/.test(part)) {
      out.push({ key: checkKey(part, part), op: 'exists' });
    } else {
      throw new Error(`cannot parse requirement ${JSON.stringify(part)}`);
    }
  }
  return out;
}

/** True when `labels` satisfy every requirement (Kubernetes semantics: `!=`/`notin` hold for a missing key). */
export function matchesSelector(
  sel: readonly Requirement[],
  labels: Record<string, string>,
): boolean {
  return sel.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case '=':
        return has && v === r.value;
      case '!=':
        return !has || v !== r.value;
      case 'in':
        return has && r.values.includes(v);
      case 'notin':
        return !has || !r.values.includes(v);
      case 'exists':
        return has;
      case '!exists':
        return !has;
    }
  });
}

/**
 * Parses Heapster's `labels` label (`k:v` pairs joined by `separator`, default `,`; the value
 * is everything after the first `:`). Empty text gives no labels; a pair without `:` is a key
 * with an empty value.
 */
export function parseLabelsLabel(
  text: string | undefined,
  separator = ',',
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const pair of text.split(separator)) {
    if (pair === '') continue;
    const colon = pair.indexOf(':');
    if (colon < 0) out[pair] = '';
    else out[pair.slice(0, colon)] = pair.slice(colon + 1);
  }
  return out;
}
