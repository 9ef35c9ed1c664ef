/**
 * The one time source every limiter reads. `now()` must be monotonic milliseconds.
 *
 * @example
 * ```ts
 * const clock: Clock = { now: () => performance.now(), setTimeout, clearTimeout };
 * ```
 */
export interface Clock {
  /** Monotonic milliseconds; never goes back. */
  now(): number;
  /** Calls `fn` once after `ms` (whole, >= 1, at most 2³¹−1); returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending `setTimeout`; a handle already fired or cleared is ignored. */
  clearTimeout(handle: unknown): void;
}

/**
 * The default clock: `performance.now()` and the global timers.
 *
 * Every call reads `globalThis` afresh (nothing is captured at import), so fake timers installed
 * after the import (`@sinonjs/fake-timers` with `performance` faked, `vi.useFakeTimers()`)
 * control every limiter. Wall-clock changes (`Date`, NTP, `setSystemTime`) are never read.
 *
 * @example
 * ```ts
 * import { systemClock } from 'tollgate';
 * const t0 = systemClock.now();
 * ```
 */
export const systemClock: Clock = {
  now: () => globalThis.performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/** Node overflows delays above this to 1 ms: longer waits are armed in steps. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;
