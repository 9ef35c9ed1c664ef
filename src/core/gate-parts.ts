import type { Entry } from './acquire-options.js';
import type { Budget } from './budget.js';
import type { Permit, RunContext } from './types.js';
import { checkNumber, optionalNumber } from './validate.js';
import { WaiterQueue } from './waiter-queue.js';

// The pieces of the Gate that hold no state of a limiter: shared settings, slicing, option reading.

/**
 * At most this many waiters leave by timeout in one callback, and no more once `SLICE_MS` have
 * passed (the clock is read every `SLICE_CHECK`): larger waves go on at the same instant, after
 * other callbacks (`WakeTimer#armNext`), so an expiry wave never holds the event loop for long
 * (each rejection builds an error with its stack) and where it is cut changes no outcome.
 */
const SLICE = 256;
const SLICE_MS = 2;
const SLICE_CHECK = 16;

/** How a limiter queues: fixed at construction but for what `update` may change. */
export interface Settings {
  readonly opportunistic: boolean;
  readonly maxBypass: number;
  readonly maxPending: number;
  readonly dropOldest: boolean;
  readonly perCallRefund: boolean;
}

/** One frozen object per distinct combination in use: limiters that keep the defaults share it. */
const SETTINGS = new Map<string, Settings>();
export function settingsOf(s: Settings): Settings {
  const key = `${s.opportunistic}|${s.maxBypass}|${s.maxPending}|${s.dropOldest}|${s.perCallRefund}`;
  let shared = SETTINGS.get(key);
  if (shared === undefined) {
    shared = Object.freeze({ opportunistic: s.opportunistic, maxBypass: s.maxBypass, maxPending: s.maxPending, dropOldest: s.dropOldest, perCallRefund: s.perCallRefund });
    if (SETTINGS.size < 64) SETTINGS.set(key, shared);
  }
  return shared;
}

/** What a call without options gets from a limiter without a default `maxWaitMs` or `refundMs`. */
export const PLAIN: Entry = Object.freeze({ signal: undefined, maxWaitMs: undefined, id: undefined, refundMs: 0, priority: 0 });

/** The queue of every limiter nobody has waited on yet: never pushed to. */
export const EMPTY = new WaiterQueue({ opportunistic: false, maxBypass: Infinity });

/** Options every limiter's `update` takes. */
const COMMON_UPDATES = ['maxWaitMs', 'maxBypass', 'maxPending'];

/**
 * The common options of an `update` (`maxWaitMs`, `maxBypass`, `maxPending`), checked as the
 * constructor checks them, after refusing a name that is neither common nor the limiter's own.
 * Nothing is applied here: the caller applies only once every option has been checked.
 *
 * @example
 * ```ts
 * readCommonUpdate({ maxWaitMs: 500 }, ['capacity'], undefined, Infinity); // { maxWaitMs: 500, maxBypass: undefined, maxPending: Infinity }
 * ```
 */
export function readCommonUpdate(
  o: Record<string, unknown>,
  own: readonly string[],
  maxWaitMs: number | undefined,
  maxPending: number,
): { maxWaitMs: number | undefined; maxBypass: number | undefined; maxPending: number } {
  const allowed = [...COMMON_UPDATES, ...own];
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw new TypeError(`update: ${key} is not an option that can be updated (${allowed.join(', ')})`);
  }
  return {
    maxWaitMs: 'maxWaitMs' in o ? (o.maxWaitMs === undefined ? undefined : checkNumber('maxWaitMs', o.maxWaitMs, { allowInfinity: true })) : maxWaitMs,
    maxBypass: 'maxBypass' in o ? optionalNumber('maxBypass', o.maxBypass, Infinity, { integer: true, allowInfinity: true }) : undefined,
    maxPending: 'maxPending' in o ? optionalNumber('maxPending', o.maxPending, Infinity, { integer: true, allowInfinity: true }) : maxPending,
  };
}

/**
 * One callback's share of a wave of timeouts: `enough()` counts a waiter and answers true once
 * `SLICE` have gone or `SLICE_MS` of real time have passed. The real clock, not the limiter's
 * (which may be virtual), bounds how long a callback runs.
 *
 * @example
 * ```ts
 * const enough = slice();
 * while (!enough()) { }
 * ```
 */
export function slice(): () => boolean {
  let work = 0;
  const began = performanceNow();
  return () => ++work >= SLICE || (work % SLICE_CHECK === 0 && performanceNow() - began > SLICE_MS);
}

/** Wall time for slicing only (never for admissions): `performance.now` where it exists. */
function performanceNow(): number {
  return globalThis.performance?.now() ?? Date.now();
}

export function ownList(own: Budget | readonly Budget[]): readonly Budget[] {
  return Array.isArray(own) ? own : [own as Budget];
}

/** Calls `fn` and releases `permit` when it settles, fulfilled or rejected (also when it throws synchronously). */
export async function runHolding<T>(permit: Permit, fn: (context: RunContext) => T | PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> {
  try {
    return await fn({ signal });
  } finally {
    permit.release();
  }
}
