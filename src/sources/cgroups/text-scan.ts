// Allocation-free scanning of the `key value` text that /proc and cgroup files hold.

const SPACE = 32;
const TAB = 9;
const COLON = 58;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

/**
 * Parses the unsigned decimal integer at `pos`, skipping leading spaces and tabs. Returns NaN
 * when no digit follows. Values above 2^53 lose precision (they stay integers).
 */
export function parseUintAt(text: string, pos: number): number {
  let i = pos;
  let c = text.charCodeAt(i);
  while (c === SPACE || c === TAB) c = text.charCodeAt(++i);
  if (!(c >= DIGIT_0 && c <= DIGIT_9)) return NaN;
  let value = 0;
  while (c >= DIGIT_0 && c <= DIGIT_9) {
    value = value * 10 + (c - DIGIT_0);
    c = text.charCodeAt(++i);
  }
  return value;
}

/** Index just after the end of the line that contains `pos` (text.length at the end). */
export function nextLine(text: string, pos: number): number {
  const nl = text.indexOf('\n', pos);
  return nl < 0 ? text.length : nl + 1;
}

/**
 * Reads `key value` lines (`pgfault 123`, `MemTotal:  123 kB`, `usage_usec 5`): for each line
 * that starts with one of `keys` followed by a space, tab or `:`, stores the unsigned value
 * after it in `out` at the key's index. Keys not found are left as they were (callers fill
 * `out` with NaN first). Returns how many keys were found. Does not allocate.
 */
export function scanKeyed(text: string, keys: readonly string[], out: number[]): number {
  let found = 0;
  let pos = 0;
  const n = keys.length;
  while (pos < text.length) {
    for (let k = 0; k < n; k++) {
      const key = keys[k];
      if (!text.startsWith(key, pos)) continue;
      let i = pos + key.length;
      const c = text.charCodeAt(i);
      if (c !== SPACE && c !== TAB && c !== COLON) continue;
      if (c === COLON) i++;
      out[k] = parseUintAt(text, i);
      found++;
      break;
    }
    if (found === n) break;
    pos = nextLine(text, pos);
  }
  return found;
}
