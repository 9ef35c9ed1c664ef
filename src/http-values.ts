// The value grammar of rate-limit headers (RFC 9110 dates, plain decimals, structured-field
// members), kept apart from what the values mean (server-report.ts).

const NUMBER = /^([+-]?)(\d+)(?:\.(\d*))?$/;

/**
 * A plain decimal number (no exponent, no hex, no `Infinity`); `undefined` when it is not one.
 *
 * @example
 * ```ts
 * parseNumber('12.5'); // 12.5
 * parseNumber('1e3');  // undefined
 * ```
 */
export function parseNumber(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Decimal seconds as whole milliseconds, rounded up, computed from the digits (so `0.734` is
 * exactly 734, where `0.734 * 1000` in floating point would round up to 735). Negative → 0.
 *
 * @example
 * ```ts
 * secondsToMs('0.734');   // 734
 * secondsToMs('1.0001');  // 1001 (rounded up)
 * ```
 */
export function secondsToMs(text: string): number | undefined {
  const m = NUMBER.exec(text);
  if (!m) return undefined;
  const [, sign, whole, fraction = ''] = m;
  if (sign === '-') return 0;
  const ms = Number(whole) * 1000 + Number(fraction.slice(0, 3).padEnd(3, '0')) + (/[1-9]/.test(fraction.slice(3)) ? 1 : 0);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * `key=value` of a structured header member, the key lower-cased (`''` for a bare key's value).
 *
 * @example
 * ```ts
 * keyValue(' R=10 '); // ['r', '10']
 * ```
 */
export function keyValue(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq === -1) return [text.trim().toLowerCase(), ''];
  return [text.slice(0, eq).trim().toLowerCase(), text.slice(eq + 1).trim()];
}

/**
 * Splits on `separator` outside double-quoted strings (which may hold `\"`).
 *
 * @example
 * ```ts
 * splitOutsideQuotes('"a,b";r=1, "c"', ','); // ['"a,b";r=1', '"c"']
 * ```
 */
export function splitOutsideQuotes(text: string, separator: ',' | ';'): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === separator) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const IMF_FIXDATE = /^[a-z]{3}, (\d{1,2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const RFC_850 = /^[a-z]{6,9}, (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const ASCTIME = /^[a-z]{3} ([a-z]{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i;

/**
 * An HTTP date (RFC 9110 §5.6.7) as Unix milliseconds, or `undefined`. Hand-written rather than
 * `Date.parse`, which accepts almost anything (`Date.parse('1')` is a date in 2001) and reads the
 * zone-less asctime form in local time.
 *
 * @example
 * ```ts
 * parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', Date.now); // 784111777000
 * ```
 */
export function parseHttpDate(value: string, now: () => number): number | undefined {
  let m = IMF_FIXDATE.exec(value);
  if (m) return utc(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC_850.exec(value);
  if (m) {
    // RFC 9110: a two-digit year more than 50 years ahead is the most recent past year with those digits.
    const thisYear = new Date(now()).getUTCFullYear();
    let year = thisYear - (thisYear % 100) + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    return utc(year, m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME.exec(value);
  if (m) return utc(Number(m[6]), m[1]!, Number(m[2]), m[3]!, m[4]!, m[5]!);
  return undefined;
}

function utc(year: number, monthName: string, day: number, hh: string, mm: string, ss: string): number | undefined {
  const month = MONTHS.indexOf(monthName.toLowerCase());
  const [h, min, s] = [Number(hh), Number(mm), Number(ss)];
  // A leap second (60) reads as 59.
  if (month === -1 || min > 59 || s > 60) return undefined;
  const at = Date.UTC(year, month, day, h, min, Math.min(s, 59));
  // Date.UTC rolls 31 Feb over into March, and 24:00 into the next day: either is not a date.
  return new Date(at).getUTCDate() === day ? at : undefined;
}
