import type { KubeObject } from './kube-objects.js';

/** A selector that cannot be parsed; the API server answers 400 BadRequest with the message. */
export class SelectorError extends Error {}

type Requirement =
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

/** Splits on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

/**
 * Parses a Kubernetes label selector (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`,
 * `a`, `!a`, comma = and) into a predicate over a label map. Throws SelectorError.
 */
export function parseLabelSelector(
  text: string,
): (labels: Record<string, string> | undefined) => boolean {
  const reqs: Requirement[] = [];
  for (const term of splitTerms(text)) {
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const values = m[3]
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      reqs.push({ op: m[2] as 'in' | 'notin', key: m[1], values });
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term))) {
      reqs.push({ op: m[2] === '!=' ? 'ne' : 'eq', key: m[1], value: m[3] });
    } else if ((m = /^!\s*([\w./-]+)$/.exec(term))) {
      reqs.push({ op: 'notexists', key: m[1] });
    } else if ((m = /^([\w./-]+)$/.exec(term))) {
      reqs.push({ op: 'exists', key: m[1] });
    } else {
      throw new SelectorError(`unable to parse requirement: "${term}" in labelSelector "${text}"`);
    }
  }
  return (labels) => {
    const l = labels ?? {};
    return reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(l, r.key);
      switch (r.op) {
        case 'eq':
          return has && l[r.key] === r.value;
        case 'ne':
          return !has || l[r.key] !== r.value;
        case 'in':
          return has && r.values.includes(l[r.key]);
        case 'notin':
          return !has || !r.values.includes(l[r.key]);
        case 'exists':
          return has;
        case 'notexists':
          return !has;
      }
      return false;
    });
  };
}

/** The value of a field path (`metadata.name`, `spec.nodeName`, `status.phase`, ...) in an object. */
function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

/**
 * Parses a field selector (`spec.nodeName=node-1`, `metadata.namespace!=kube-system`,
 * `==` too; comma = and) into a predicate. Only fields in `allowed` are accepted, like the
 * API server; others throw SelectorError naming the field.
 */
export function parseFieldSelector(
  text: string,
  allowed: readonly string[],
): (obj: KubeObject) => boolean {
  const reqs: { key: string; value: string; negate: boolean }[] = [];
  for (const term of splitTerms(text)) {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    if (!allowed.includes(m[1])) throw new SelectorError(`field label not supported: ${m[1]}`);
    reqs.push({ key: m[1], value: m[3], negate: m[2] === '!=' });
  }
  return (obj) => reqs.every((r) => (fieldValue(obj, r.key) === r.value) !== r.negate);
}
