/**
 * The waiter was not admitted within `maxWaitMs`. Nothing was taken from the limiter.
 *
 * @example
 * ```ts
 * try { await limiter.acquire(1, { maxWaitMs: 500 }); }
 * catch (e) { if (e instanceof MaxWaitExceededError) console.log(e.code, e.waitedMs); }
 * ```
 */
export class MaxWaitExceededError extends Error {
  readonly code = 'ERR_MAX_WAIT_EXCEEDED' as const;
  override readonly name = 'MaxWaitExceededError';
  constructor(
    /** The limit that was exceeded, in ms. */
    readonly maxWaitMs: number,
    /** How long the waiter had waited when it was rejected (0 when the wait was provably too long). */
    readonly waitedMs: number,
  ) {
    super(`not admitted within maxWaitMs=${maxWaitMs} (waited ${waitedMs} ms)`);
  }
}

/**
 * The limiter was closed: its waiters and every later `acquire` are rejected with this
 * (or with the reason given to `close`).
 *
 * @example
 * ```ts
 * limiter.close();
 * await limiter.acquire().catch((e) => e.code); // 'ERR_LIMITER_CLOSED'
 * ```
 */
export class LimiterClosedError extends Error {
  readonly code = 'ERR_LIMITER_CLOSED' as const;
  override readonly name = 'LimiterClosedError';
  constructor(message = 'the limiter is closed') {
    super(message);
  }
}
