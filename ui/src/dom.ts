/** Tiny DOM helpers (no framework). */

type Child = Node | string | number | null | undefined | false;
type AttrValue = string | number | boolean | undefined | null | ((ev: Event) => void);

/**
 * Creates an element. `on*` attributes become event listeners, `class` sets className, boolean
 * true sets an empty attribute, false/null/undefined are skipped. Strings become text nodes.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, AttrValue> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

/** Appends children (strings as text), skipping empty ones. */
export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces all children of `el`. */
export function replace(el: Node, ...children: Child[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, ...children);
}

const SVG = 'http://www.w3.org/2000/svg';

/** A small inline SVG sparkline of `values` (nulls are gaps); decorative (aria-hidden). */
export function sparkline(values: readonly (number | null)[], cls: string): SVGSVGElement {
  const w = 80;
  const hgt = 20;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(hgt));
  svg.setAttribute('class', `spark ${cls}`);
  svg.setAttribute('aria-hidden', 'true');
  let max = 0;
  for (const v of values) if (v !== null && v > max) max = v;
  const n = values.length;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    const x = n <= 1 ? w / 2 : (i / (n - 1)) * (w - 2) + 1;
    const y = max > 0 ? hgt - 2 - (v / max) * (hgt - 4) : hgt - 2;
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  });
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  svg.appendChild(path);
  return svg;
}
