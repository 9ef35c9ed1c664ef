import { checkNumber } from './core/validate.js';
import { firstMember, headerReader, isResponseLike, safeGet, statusOf } from './http-headers.js';
import { keyValue, parseHttpDate, parseNumber, secondsToMs, splitOutsideQuotes } from './http-values.js';

/**
 * What a server said about its limit, in milliseconds from the moment it was read. Every field
 * is optional: a report carries only what the server sent.
 *
 * - `remaining`: how much more cost the server accepts before `resetInMs` runs out.
 * - `resetInMs`: when the server's current quota (window) ends.
 * - `retryAfterMs`: how long to send nothing at all (a 429 or 503 with `Retry-After`).
 *
 * @example
 * ```ts
 * const report: ServerReport = { remaining: 0, resetInMs: 12_000 };
 * limiter.observe(report); // nothing more before 12 s from now
 * ```
 */
export interface ServerReport {
  remaining?: number;
  resetInMs?: number;
  retryAfterMs?: number;
}

/**
 * Reads a server's rate-limit headers into a {@link ServerReport}. Never throws, never returns
 * `NaN`: a field that is missing or does not parse is left out.
 *
 * `headers` may be a fetch `Headers` (or anything with a `get(name)` method, such as axios's
 * `AxiosHeaders`), Node's `IncomingHttpHeaders` (`string | string[]` values; an array gives its
 * first element), a `Map` or a plain object; names match in any case.
 *
 * - `Retry-After`: delta seconds (`120`; fractions tolerated) or an HTTP date in any of the three
 *   forms HTTP allows (IMF-fixdate, RFC 850, asctime) → `retryAfterMs`.
 * - `remaining` / `resetInMs`, from the first of these a response carries:
 *   1. the IETF `RateLimit` field: the structured form `"default";r=50;t=30` (with several
 *      policies, the one with the least remaining — the one that binds first) or the older
 *      dictionary form `limit=100, remaining=50, reset=30`; `t`/`reset` are delta seconds;
 *   2. the older separate fields `RateLimit-Remaining` / `RateLimit-Reset`;
 *   3. `X-RateLimit-Remaining` / `X-RateLimit-Reset`.
 *
 *   For the separate `*-Reset` fields (2 and 3), a value above 1e9 is a Unix epoch in seconds
 *   (GitHub, Discord), one above 1e12 a Unix epoch in milliseconds, anything else delta seconds. `RateLimit-Policy` only describes the
 *   policy, so it is not read.
 *
 * An HTTP date and an epoch reset are the only places a wall clock is read (`Date.now()`, once
 * per call). Delays are rounded up to whole milliseconds (never early); a date or reset in the
 * past, and a negative number, count as 0.
 *
 * @example
 * ```ts
 * const res = await fetch('https://api.example.com/items');
 * const { remaining, resetInMs, retryAfterMs } = parseRateLimitHeaders(res.headers);
 * parseRateLimitHeaders({ 'Retry-After': 'Wed, 21 Oct 2026 07:28:00 GMT' }); // { retryAfterMs: … }
 * parseRateLimitHeaders(new Map([['x-ratelimit-remaining', '0'], ['x-ratelimit-reset', '30']])); // { remaining: 0, resetInMs: 30_000 }
 * ```
 */
export function parseRateLimitHeaders(headers: unknown): ServerReport {
  const read = headerReader(headers);
  let wallNow: number | undefined;
  const now = (): number => (wallNow ??= Date.now());
  const quota =
    structuredRateLimit(read('ratelimit')) ??
    separateFields(read('ratelimit-remaining'), read('ratelimit-reset'), now) ??
    separateFields(read('x-ratelimit-remaining'), read('x-ratelimit-reset'), now);
  // `quota` holds only the fields present; a fresh object either way.
  const report: ServerReport = { ...quota };
  const retryAfter = read('retry-after');
  const retryAfterMs = retryAfter === undefined ? undefined : retryAfterToMs(retryAfter, now);
  if (retryAfterMs !== undefined) report.retryAfterMs = retryAfterMs;
  return report;
}

/**
 * Turns what `observe` is given into a {@link ServerReport}: either a `ServerReport` itself or a
 * response (anything with `headers` and `status` or `statusCode`: fetch `Response`, Node
 * `IncomingMessage`, axios and got responses).
 *
 * - A report is checked like constructor options: a field that is present (not `undefined`) must
 *   be a number `>= 0`, finite except `retryAfterMs`, which may be `Infinity` (pause until
 *   `resume()`); otherwise a `TypeError`/`RangeError` naming it (`report.remaining`, …). `{}` is an
 *   empty report. An object that has none of the three fields but other keys — typically a
 *   headers object passed by mistake — is a `TypeError`, as are a `Map`, anything with a
 *   `get(name)` method (fetch `Headers`), and non-objects.
 * - A response is never an error: its headers go through {@link parseRateLimitHeaders};
 *   `Retry-After` becomes `retryAfterMs` only when the status is 429 or 503 (elsewhere, e.g. on a
 *   301, it does not mean "stop sending"); `remaining` and `resetInMs` are taken from any status.
 *
 * The result is a fresh object holding only the fields that are present.
 *
 * @example
 * ```ts
 * readServerReport({ remaining: 3, resetInMs: 500 }); // { remaining: 3, resetInMs: 500 }
 * readServerReport(await fetch(url));                   // from its headers
 * readServerReport({ remaining: -1 });                  // RangeError: report.remaining must be a number >= 0; got -1
 * ```
 */
export function readServerReport(input: unknown): ServerReport {
  if (typeof input !== 'object' || input === null) {
    throw new TypeError(`observe takes a ServerReport or a response; got ${show(input)}`);
  }
  if (isResponseLike(input)) {
    const report = parseRateLimitHeaders(safeGet(input, 'headers'));
    if (!REFUSALS.has(statusOf(input))) delete report.retryAfterMs;
    return report;
  }
  if (input instanceof Map || typeof safeGet(input, 'get') === 'function') {
    throw new TypeError('observe takes a ServerReport or a response, not headers: pass the response, or parseRateLimitHeaders(headers)');
  }
  const given = input as Record<string, unknown>;
  const report: ServerReport = {};
  for (const field of FIELDS) {
    const value = given[field];
    if (value !== undefined) report[field] = checkNumber(`report.${field}`, value, { allowInfinity: field === 'retryAfterMs' });
  }
  if (!FIELDS.some((f) => f in given) && Object.keys(given).length > 0) {
    throw new TypeError(
      `observe takes a ServerReport ({ remaining?, resetInMs?, retryAfterMs? }) or a response; got an object with keys ${Object.keys(given).slice(0, 5).join(', ')}`,
    );
  }
  return report;
}

const FIELDS = ['remaining', 'resetInMs', 'retryAfterMs'] as const;
/** The statuses whose `Retry-After` asks the client to hold off (RFC 9110 §10.2.3, RFC 6585 §4). */
const REFUSALS = new Set([429, 503]);
/** Above this a `*-Reset` value is a Unix epoch in seconds (2001-09-09), not a delay. */
const EPOCH_THRESHOLD = 1e9;
/**
 * Above this it is a Unix epoch in milliseconds (some servers send `Date.now()`): as seconds it
 * would be the year 33658, and read as seconds it would hold the limiter for millennia.
 */
const EPOCH_MS_THRESHOLD = 1e12;

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function retryAfterToMs(value: string, now: () => number): number | undefined {
  const date = parseHttpDate(value, now);
  if (date !== undefined) return Math.max(0, date - now());
  return secondsToMs(firstMember(value));
}

function resetToMs(value: string, now: () => number): number | undefined {
  const text = firstMember(value);
  const seconds = parseNumber(text);
  if (seconds === undefined) return undefined;
  if (seconds <= EPOCH_THRESHOLD) return secondsToMs(text);
  // Rounded up to whole ms, as every delay: never early.
  if (seconds > EPOCH_MS_THRESHOLD) return Math.max(0, Math.ceil(seconds - now()));
  const at = secondsToMs(text)!;
  return Math.max(0, at - now());
}

function separateFields(remainingText: string | undefined, resetText: string | undefined, now: () => number): ServerReport | undefined {
  const remaining = remainingText === undefined ? undefined : parseNumber(firstMember(remainingText));
  const resetInMs = resetText === undefined ? undefined : resetToMs(resetText, now);
  return quota(remaining, resetInMs);
}

function quota(remaining: number | undefined, resetInMs: number | undefined): ServerReport | undefined {
  if (remaining === undefined && resetInMs === undefined) return undefined;
  const report: ServerReport = {};
  if (remaining !== undefined) report.remaining = Math.max(0, remaining);
  if (resetInMs !== undefined) report.resetInMs = resetInMs;
  return report;
}

/**
 * The IETF `RateLimit` field. A list member whose first part holds `=` is a dictionary entry
 * (draft 07: `limit=100, remaining=50, reset=30`); otherwise it is a policy item with parameters
 * (draft 08 on: `"default";r=50;t=30`, several policies separated by commas). Lenient where it
 * costs nothing (tokens or strings as names, spaces around `;`), and ignores what it cannot read.
 */
function structuredRateLimit(value: string | undefined): ServerReport | undefined {
  if (value === undefined) return undefined;
  let best: { remaining: number; resetInMs: number | undefined } | undefined;
  let dictionary: { remaining?: number; resetInMs?: number } | undefined;
  for (const member of splitOutsideQuotes(value, ',')) {
    const parts = splitOutsideQuotes(member, ';');
    const head = parts[0]!;
    if (!head.startsWith('"') && head.includes('=')) {
      const [key, raw] = keyValue(head);
      dictionary ??= {};
      if (key === 'remaining') {
        const n = parseNumber(raw);
        if (n !== undefined) dictionary.remaining = n;
      } else if (key === 'reset') {
        const ms = secondsToMs(raw);
        if (ms !== undefined) dictionary.resetInMs = ms;
      }
      continue;
    }
    let remaining: number | undefined;
    let resetInMs: number | undefined;
    for (const param of parts.slice(1)) {
      const [key, raw] = keyValue(param);
      if (key === 'r') remaining = parseNumber(raw);
      else if (key === 't') resetInMs = secondsToMs(raw);
    }
    if (remaining === undefined) continue;
    remaining = Math.max(0, remaining);
    // Least remaining binds first; between equals, the later reset is the cautious one.
    if (
      best === undefined ||
      remaining < best.remaining ||
      (remaining === best.remaining && (resetInMs ?? 0) > (best.resetInMs ?? 0))
    ) {
      best = { remaining, resetInMs };
    }
  }
  if (best) return quota(best.remaining, best.resetInMs);
  return dictionary ? quota(dictionary.remaining, dictionary.resetInMs) : undefined;
}
