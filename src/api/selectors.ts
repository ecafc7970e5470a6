// Kubernetes label and field selectors, evaluated by the server (kubectl passes them through).

/** One requirement of a label selector. */
type Requirement =
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: ReadonlySet<string> }
  | { op: 'exists' | 'notexists'; key: string };

/** A parsed selector: true when every requirement holds. */
export type Selector = (fields: Readonly<Record<string, string>>) => boolean;

/** Thrown for a selector that does not parse; the message says where. */
export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

/** Splits on commas outside parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

function checkKey(key: string, text: string): string {
  if (!KEY.test(key))
    throw new SelectorError(
      `invalid label key ${JSON.stringify(key)} in selector ${JSON.stringify(text)}`,
    );
  return key;
}

/**
 * Parses a label selector (`app=x`, `app==x`, `app!=x`, `app in (x,y)`, `app notin (x)`,
 * `app`, `!app`, comma-separated = AND). An empty selector matches everything. Throws
 * SelectorError naming the bad part.
 */
export function parseLabelSelector(text: string): Selector {
  const reqs: Requirement[] = [];
  for (const part of splitTop(text)) {
    let m: RegExpExecArray | null;
    if ((m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(part)) !== null) {
      const values = new Set(
        (m[3] as string)
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== ''),
      );
      reqs.push({ op: m[2] as 'in' | 'notin', key: checkKey(m[1] as string, text), values });
    } else if ((m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part)) !== null) {
      reqs.push({
        op: m[2] === '!=' ? 'ne' : 'eq',
        key: checkKey(m[1] as string, text),
        value: m[3] as string,
      });
    } else if ((m = /^!\s*(\S+)$/.exec(part)) !== null) {
      reqs.push({ op: 'notexists', key: checkKey(m[1] as string, text) });
    } else if (/^\S+$/.test(part)) {
      reqs.push({ op: 'exists', key: checkKey(part, text) });
    } else {
      throw new SelectorError(
        `cannot parse ${JSON.stringify(part)} in selector ${JSON.stringify(text)}`,
      );
    }
  }
  return (labels) => reqs.every((r) => holds(r, labels));
}

function holds(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case 'eq':
      return has && v === r.value;
    case 'ne':
      return !has || v !== r.value;
    case 'in':
      return has && r.values.has(v as string);
    case 'notin':
      return !has || !r.values.has(v as string);
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

/**
 * Parses a field selector over the fields `allowed` (e.g. `metadata.name`,
 * `metadata.namespace`) with `=`, `==` and `!=`. Throws SelectorError for another field
 * or operator.
 */
export function parseFieldSelector(text: string, allowed: readonly string[]): Selector {
  const reqs: { key: string; value: string; ne: boolean }[] = [];
  for (const part of splitTop(text)) {
    const m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (m === null)
      throw new SelectorError(
        `cannot parse ${JSON.stringify(part)} in field selector ${JSON.stringify(text)}`,
      );
    const key = m[1] as string;
    if (!allowed.includes(key)) {
      throw new SelectorError(
        `field label not supported: ${key} (supported: ${allowed.join(', ')})`,
      );
    }
    reqs.push({ key, value: m[3] as string, ne: m[2] === '!=' });
  }
  return (fields) => reqs.every((r) => (fields[r.key] === r.value) !== r.ne);
}
