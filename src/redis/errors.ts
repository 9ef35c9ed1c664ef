/**
 * A call to Redis failed or took longer than `commandTimeoutMs` (connection lost or stalled,
 * server restarting, out of memory, a script error): the call that needed it rejects with this,
 * the client's error as `cause`. Nothing was taken that will not come back on its own: a lease
 * expires after `leaseMs`, a queued ticket when its heartbeats stop.
 *
 * @example
 * ```ts
 * try { await semaphore.acquire(); }
 * catch (e) { if (e instanceof RedisLimiterError) console.warn(e.code, e.op, e.timedOut, e.cause); }
 * ```
 */
export class RedisLimiterError extends Error {
  readonly code = 'ERR_REDIS_LIMITER' as const;
  override readonly name = 'RedisLimiterError';
  /** The script operation that failed: `acquire`, `poll`, `renew`, `cancel`. */
  readonly op: string;
  /** True when no answer came within `commandTimeoutMs` (the call may still run on the server). */
  readonly timedOut: boolean;
  constructor(message: string, options: { op: string; timedOut?: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.op = options.op;
    this.timedOut = options.timedOut ?? false;
  }
}

/**
 * A held permit's lease is no longer known to be held: its validity ran out without a renewal
 * confirmed by Redis (Redis unreachable, the process paused or stalled), or Redis no longer has
 * it (it expired, or the state was lost). Others may now hold the capacity it had.
 * `permit.signal` aborts with this reason the moment that is known, so the holder can stop.
 *
 * @example
 * ```ts
 * await using permit = await semaphore.acquire();
 * await fetch(url, { signal: permit.signal }); // aborted if the lease is lost
 * ```
 */
export class LeaseLostError extends Error {
  readonly code = 'ERR_LEASE_LOST' as const;
  override readonly name = 'LeaseLostError';
  constructor(
    /** The lease's id in Redis. */
    readonly lease: string,
    /** The lost permit's fencing token. */
    readonly fencingToken: number,
  ) {
    super(`the lease ${lease} (fencing token ${fencingToken}) is no longer known to be held: its capacity may be taken by others`);
  }
}
