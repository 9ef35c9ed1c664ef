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

/**
 * The queue was full (`maxPending` waiters): the newcomer, or with `overflow: 'drop-oldest'` the
 * oldest waiter of the lowest priority, is rejected with this. Nothing was taken.
 *
 * @example
 * ```ts
 * const sem = new ConcurrencySemaphore({ capacity: 1, maxPending: 100 });
 * await sem.acquire().catch((e) => e instanceof QueueFullError && e.maxPending); // 100
 * ```
 */
export class QueueFullError extends Error {
  readonly code = 'ERR_QUEUE_FULL' as const;
  override readonly name = 'QueueFullError';
  constructor(
    /** The bound that was reached. */
    readonly maxPending: number,
  ) {
    super(`the queue is full (maxPending=${maxPending})`);
  }
}

/**
 * `clear()` emptied the queue: its waiters are rejected with this (or the reason given); the
 * limiter stays open.
 *
 * @example
 * ```ts
 * const pending = sem.acquire();
 * sem.clear();
 * await pending.catch((e) => e.code); // 'ERR_QUEUE_CLEARED'
 * ```
 */
export class QueueClearedError extends Error {
  readonly code = 'ERR_QUEUE_CLEARED' as const;
  override readonly name = 'QueueClearedError';
  constructor(message = 'the queue was cleared') {
    super(message);
  }
}

/**
 * `make()` with stack capture off: for errors built by a timer (an expiry wave), whose stack
 * would only name timer internals, and whose capture is about a third of what each waiter of a
 * large wave costs. Runtimes without `Error.stackTraceLimit` build them as usual.
 *
 * @example
 * ```ts
 * const error = withoutStack(() => new MaxWaitExceededError(1_000, 1_000));
 * error.stack; // 'MaxWaitExceededError: …' and no frames (V8, JavaScriptCore)
 * ```
 */
export function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  if (typeof limit !== 'number') return make();
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
