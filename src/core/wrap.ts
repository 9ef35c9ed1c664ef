import { checkCost, checkFunction } from './validate.js';

/** What `wrap` needs of a limiter: a `run` taking a cost, and the capacity to check the cost against. */
export interface Runner {
  readonly capacity: number;
  run<T>(fn: () => T | PromiseLike<T>, options?: { cost?: number }): Promise<T>;
}

/**
 * A function that calls `fn` through `limiter.run` at `cost` each time, keeping `this` and the
 * arguments. Checks `fn` and `cost` now, so a bad wrap fails where it is written. Every limiter's
 * `wrap` (local and Redis) is this one.
 *
 * @example
 * ```ts
 * const fetchLimited = wrapWith(sem, fetch, 1);
 * await fetchLimited('https://example.com');
 * ```
 */
export function wrapWith<A extends unknown[], R>(limiter: Runner, fn: (...args: A) => R | PromiseLike<R>, cost: number): (...args: A) => Promise<Awaited<R>> {
  checkFunction('fn', fn);
  checkCost(cost, limiter.capacity);
  return function (this: unknown, ...args: A) {
    return limiter.run(() => fn.apply(this, args), { cost }) as Promise<Awaited<R>>;
  };
}
