/** Go's zero `time.Time` in ms since the epoch (0001-01-01T00:00:00Z). */
export const GO_ZERO_TIME_MS = -62135596800000;

/** Go's zero time as its JSON encoding prints it. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Formats ms since the epoch as Go's JSON time (RFC3339Nano in UTC): `2018-06-01T10:01:00Z`,
 * fractional seconds (to µs) only when non-zero and without trailing zeros (`...:00.5Z`).
 * GO_ZERO_TIME_MS prints as Go's zero time.
 */
export function formatRfc3339(ms: number): string {
  if (ms === GO_ZERO_TIME_MS) return GO_ZERO_TIME;
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  // Sub-millisecond digits to µs: finer digits of a float ms timestamp are noise.
  const subMicros = Math.min(999, Math.round((ms - whole) * 1e3));
  const digits = (iso.slice(20, 23) + String(subMicros).padStart(3, '0')).replace(/0+$/, '');
  return iso.slice(0, 19) + (digits ? '.' + digits : '') + 'Z';
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/**
 * Parses an RFC3339 time (`2018-06-01T10:01:00Z`, `...T12:01:00.5+02:00`) as Go's
 * `time.Parse(time.RFC3339, s)` accepts it; returns ms since the epoch or undefined when the
 * text is not a valid time. A space in place of the offset's `+` is accepted, because an
 * unescaped `+` in a query string decodes to a space.
 */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text.replace(/ (\d{2}:\d{2})$/, '+$1'));
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMs = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMs = (m[9] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  d.setUTCFullYear(year);
  const fraction = m[7] === undefined ? 0 : Number('0' + m[7]) * 1000;
  return d.getTime() + fraction - offsetMs;
}
