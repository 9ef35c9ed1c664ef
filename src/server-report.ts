/**
 * What a server said about its limit (placeholder until the header parser lands).
 *
 * @example
 * ```ts
 * const report: ServerReport = { remaining: 3, resetInMs: 1_000 };
 * ```
 */
export interface ServerReport {
  remaining?: number;
  resetInMs?: number;
  retryAfterMs?: number;
}

/**
 * A `ServerReport`, checked, from a report or a response (placeholder).
 *
 * @example
 * ```ts
 * readServerReport({ remaining: 0, resetInMs: 500 });
 * ```
 */
export function readServerReport(input: unknown): ServerReport {
  if (input === null || typeof input !== 'object') throw new TypeError(`observe needs a report or a response; got ${String(input)}`);
  const o = input as Record<string, unknown>;
  const out: ServerReport = {};
  for (const key of ['remaining', 'resetInMs', 'retryAfterMs'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'number') throw new TypeError(`${key} must be a number; got ${String(v)}`);
    if (!(v >= 0)) throw new RangeError(`${key} must be a number >= 0; got ${String(v)}`);
    out[key] = v;
  }
  return out;
}

/**
 * Placeholder.
 *
 * @example
 * ```ts
 * parseRateLimitHeaders(new Headers());
 * ```
 */
export function parseRateLimitHeaders(_headers: unknown): ServerReport {
  return {};
}
