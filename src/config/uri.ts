// `--source`/`--sink` values, parsed like Heapster's common/flags/flags.go.
import { formatDuration, parseDurationMs } from './duration.js';
import { ConfigError, type ParsedUri } from './types.js';

/** The flag each parsed URI came from, so option errors can name it. */
const flagOfUri = new WeakMap<ParsedUri, string>();

/** `--sink=influxdb:http://h` (or just the raw value for a URI not made by parseUri). */
function where(uri: ParsedUri): string {
  const flag = flagOfUri.get(uri);
  return flag === undefined ? uri.raw : `${flag}=${uri.raw}`;
}

function isShellSpecial(c: string): boolean {
  return '*#$@!?-0123456789'.includes(c);
}

function isAlphaNum(c: string): boolean {
  return /^[A-Za-z0-9_]$/.test(c);
}

/** Go's `os.getShellName`: the variable name after a `$` and how many characters it spans. */
function shellName(s: string): { name: string; width: number } {
  if (s[0] === '{') {
    if (s.length > 2 && isShellSpecial(s[1]) && s[2] === '}') return { name: s[1], width: 3 };
    const close = s.indexOf('}', 1);
    if (close === 1) return { name: '', width: 2 }; // bad syntax: eat "${}"
    if (close < 0) return { name: '', width: 1 }; // bad syntax: eat "${"
    return { name: s.slice(1, close), width: close + 1 };
  }
  if (isShellSpecial(s[0])) return { name: s[0], width: 1 };
  let i = 0;
  while (i < s.length && isAlphaNum(s[i])) i++;
  return { name: s.slice(0, i), width: i };
}

/**
 * Expands `$VAR` and `${VAR}` exactly like Go's `os.ExpandEnv`: unknown variables become
 * empty, a `$` not followed by a name stays, malformed `${` / `${}` are dropped.
 */
export function expandEnv(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = '';
  let from = 0;
  for (let j = 0; j < text.length; j++) {
    if (text[j] !== '$' || j + 1 >= text.length) continue;
    out += text.slice(from, j);
    const { name, width } = shellName(text.slice(j + 1));
    if (name === '' && width === 0) out += '$';
    else if (name !== '') out += env[name] ?? '';
    j += width;
    from = j + 1;
  }
  return out + text.slice(from);
}

/**
 * Parses a `--source`/`--sink` value `key[:url][?opts]` like Heapster: the key is the text
 * before the first `:` (or before a `?` that comes first, so `gcm?metrics=all` works); the
 * rest is env-expanded (`$VAR`, `${VAR}`) and parsed as an absolute URL. An empty rest, or
 * a literal `''`/`""` left by a shell-less manifest, gives `url` undefined; a rest that is
 * only `?opts` gives `url` undefined plus the options. Options keep every value in order.
 * `flag` is the flag name for messages (e.g. `--sink`). Throws ConfigError naming the flag
 * and value when the key is missing or the rest is not a URL.
 */
export function parseUri(
  flag: string,
  value: string,
  env: NodeJS.ProcessEnv = process.env,
): ParsedUri {
  const at = `${flag}=${value}`;
  const colon = value.indexOf(':');
  const question = value.indexOf('?');
  let key: string;
  let rest: string;
  if (question >= 0 && (colon < 0 || question < colon)) {
    key = value.slice(0, question);
    rest = value.slice(question);
  } else if (colon >= 0) {
    key = value.slice(0, colon);
    rest = value.slice(colon + 1);
  } else {
    key = value;
    rest = '';
  }
  if (key === '') {
    throw new ConfigError(`${at}: missing key (expected key[:url][?opts], e.g. ${flag}=log)`);
  }
  let expanded = expandEnv(rest, env);
  if (/^(''|"")(\?|$)/.test(expanded)) expanded = expanded.slice(2);

  let url: URL | undefined;
  let query: URLSearchParams;
  let path: string | undefined;
  let hosts: string | undefined;
  if (expanded === '' || expanded.startsWith('?')) {
    url = undefined;
    query = new URLSearchParams(expanded);
  } else {
    const word = RELATIVE_WORD.exec(expanded);
    const cadvisor = flag === '--source' && key === 'cadvisor';
    if (word !== null && cadvisor) {
      // `cadvisor:external?...` / `cadvisor:coreos?...`: Go's url.Parse read these as a path.
      url = undefined;
      query = new URLSearchParams(word[2] ?? '');
      path = word[1];
    } else if (cadvisor && expanded.includes(',')) {
      // `cadvisor:http://h1:p,http://h2:p?opts`: `url` is the first host; uriList has all.
      const q = expanded.indexOf('?');
      const list = q < 0 ? expanded : expanded.slice(0, q);
      const first = list.split(',')[0];
      try {
        url = new URL(first + (q < 0 ? '' : expanded.slice(q)));
      } catch {
        throw new ConfigError(`${at}: cannot parse ${JSON.stringify(first)} as a URL`);
      }
      query = url.searchParams;
      hosts = list;
    } else {
      try {
        url = new URL(expanded);
      } catch {
        throw new ConfigError(`${at}: cannot parse ${JSON.stringify(expanded)} as a URL`);
      }
      query = url.searchParams;
    }
  }
  const options = new Map<string, string[]>();
  for (const [name, v] of query) {
    const values = options.get(name);
    if (values === undefined) options.set(name, [v]);
    else values.push(v);
  }
  const uri: ParsedUri = {
    raw: value,
    key,
    url,
    options,
    ...(path === undefined ? {} : { path }),
    ...(hosts === undefined ? {} : { hosts }),
  };
  flagOfUri.set(uri, flag);
  return uri;
}

/** A bare word before the options, e.g. `external` in `cadvisor:external?hostsFile=F`. */
const RELATIVE_WORD = /^([A-Za-z][A-Za-z0-9_.-]*)(\?.*)?$/;

/** The comma-separated URL list of a `--source=cadvisor:URL1,URL2?opts` value (expanded), if any. */
export function uriList(uri: ParsedUri): string | undefined {
  return uri.hosts;
}

/**
 * The bare word a `--source=cadvisor:WORD?opts` value names (`external`, `coreos`), as Go's
 * url.Parse kept it in `Path`; undefined for every other value.
 */
export function uriPath(uri: ParsedUri): string | undefined {
  return uri.path;
}

/** First value of option `name`, or `def` when absent. An empty value (`?x=`) is returned as ''. */
export function optionString(uri: ParsedUri, name: string, def: string): string {
  return uri.options.get(name)?.[0] ?? def;
}

const TRUE_WORDS = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/**
 * Parses a boolean word like Go's strconv.ParseBool (true/false/1/0, also t/f and the
 * TRUE/True spellings). Returns undefined for anything else.
 */
export function parseBoolWord(text: string): boolean | undefined {
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  return undefined;
}

/**
 * Boolean option `name` (first value), or `def` when absent. Accepts true/false/1/0 (and
 * Go's t/f/TRUE/True/FALSE/False); anything else throws ConfigError naming flag and option.
 */
export function optionBool(uri: ParsedUri, name: string, def: boolean): boolean {
  const text = uri.options.get(name)?.[0];
  if (text === undefined) return def;
  const value = parseBoolWord(text);
  if (value === undefined) {
    throw new ConfigError(
      `${where(uri)}: option "${name}": ${JSON.stringify(text)} is not a boolean (true, false, 1, 0)`,
    );
  }
  return value;
}

/** Inclusive bounds for a numeric option or flag. */
export interface Bounds {
  /** Smallest allowed value (inclusive); no lower bound when undefined. */
  readonly min?: number;
  /** Largest allowed value (inclusive); no upper bound when undefined. */
  readonly max?: number;
}

/**
 * Integer option `name` (first value), or `def` when absent (the default is not checked).
 * Throws ConfigError naming flag and option when the value is not a decimal integer or is
 * outside the inclusive `bounds`.
 */
export function optionInt(uri: ParsedUri, name: string, def: number, bounds: Bounds = {}): number {
  const text = uri.options.get(name)?.[0];
  if (text === undefined) return def;
  const prefix = `${where(uri)}: option "${name}"`;
  const value = Number(text);
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new ConfigError(`${prefix}: ${JSON.stringify(text)} is not an integer`);
  }
  if (bounds.min !== undefined && value < bounds.min) {
    throw new ConfigError(`${prefix}: ${value} is below the minimum ${bounds.min}`);
  }
  if (bounds.max !== undefined && value > bounds.max) {
    throw new ConfigError(`${prefix}: ${value} is above the maximum ${bounds.max}`);
  }
  return value;
}

/**
 * Duration option `name` in Go syntax (`30s`, `1m`, `0`), returned in milliseconds, or
 * `defMs` when absent. `bounds` are inclusive, in milliseconds. Throws ConfigError naming
 * flag and option on a bad or out-of-bounds value.
 */
export function optionDurationMs(
  uri: ParsedUri,
  name: string,
  defMs: number,
  bounds: Bounds = {},
): number {
  const text = uri.options.get(name)?.[0];
  if (text === undefined) return defMs;
  const prefix = `${where(uri)}: option "${name}"`;
  let valueMs: number;
  try {
    valueMs = parseDurationMs(text);
  } catch {
    throw new ConfigError(
      `${prefix}: ${JSON.stringify(text)} is not a duration (examples: 60s, 1m, 500ms)`,
    );
  }
  if (bounds.min !== undefined && valueMs < bounds.min) {
    throw new ConfigError(`${prefix}: ${text} is below the minimum ${formatDuration(bounds.min)}`);
  }
  if (bounds.max !== undefined && valueMs > bounds.max) {
    throw new ConfigError(`${prefix}: ${text} is above the maximum ${formatDuration(bounds.max)}`);
  }
  return valueMs;
}

/**
 * Throws ConfigError `--sink=influxdb:...: unknown option "foo" (known: user, pw, ...)` for
 * the first option of `uri` not listed in `allowed` (names are case-sensitive).
 */
export function checkOptions(uri: ParsedUri, allowed: readonly string[], flag: string): void {
  for (const name of uri.options.keys()) {
    if (!allowed.includes(name)) {
      const known = allowed.length === 0 ? 'none' : allowed.join(', ');
      throw new ConfigError(`${flag}=${uri.raw}: unknown option "${name}" (known: ${known})`);
    }
  }
}
