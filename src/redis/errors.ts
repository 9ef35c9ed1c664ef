/**
 * A script call to Redis failed (connection lost, server restarting, a script error): the call
 * that needed it rejects with this, the client's error as `cause`. Nothing was taken that will
 * not come back on its own: a lease expires after `leaseMs`, a queued ticket after its heartbeat.
 *
 * @example
 * ```ts
 * try { await semaphore.acquire(); }
 * catch (e) { if (e instanceof RedisLimiterError) console.warn(e.code, e.message, e.cause); }
 * ```
 */
export class RedisLimiterError extends Error {
  readonly code = 'ERR_REDIS_LIMITER' as const;
  override readonly name = 'RedisLimiterError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A held semaphore permit's lease is gone from Redis (it expired because renewals failed for
 * `leaseMs`, or the server lost its data): others may now hold the capacity it had. `permit.signal`
 * aborts with this reason, so the holder can stop its work.
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
  constructor(readonly lease: string) {
    super(`the lease ${lease} is no longer held in Redis: its capacity may be taken by others`);
  }
}
