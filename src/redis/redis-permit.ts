import { systemClock } from '../core/clock.js';
import type { Permit } from '../core/types.js';
import { LeaseLostError } from './errors.js';

/**
 * The local instant until which a grant with `ms` of validity left, reported by a call sent at
 * `sentAt`, is known to be held: the server looked no earlier than `sentAt`, so this is never
 * past the server's expiry. 0.1% and 1 ms are kept back for clocks that tick at slightly
 * different rates and for rounding.
 *
 * @example
 * ```ts
 * validityEnd(1000, 30_000); // 30_969
 * ```
 */
export function validityEnd(sentAt: number, ms: number): number {
  return ms <= 0 ? sentAt : sentAt + ms - ms / 1000 - 1;
}

/**
 * What a permit calls back into.
 *
 * @example
 * ```ts
 * const hooks: PermitHooks = { release: async (p) => console.log('release', p.lease), expired: (p) => p.lose() };
 * ```
 */
export interface PermitHooks {
  release(permit: RedisPermit): Promise<void>;
  /** Found past its validity by a read of `signal` or `lost`, before the watchdog fired. */
  expired(permit: RedisPermit): void;
}

const noop = (): void => {};

/**
 * A permit of a Redis limiter. With leases (`RedisSemaphore`), it is valid until `validUntil`
 * (local monotonic ms, counted on the server's clock from the send time of the call that
 * reported the grant or its last renewal); renewals extend it while held, and the moment it runs
 * out unconfirmed, `signal` aborts with a `LeaseLostError` (reading `signal` or `lost` checks the
 * clock too, so a process that was paused sees it at once). `fencingToken` is strictly increasing
 * per limiter name: pass it to the protected resource so it can refuse a holder older than one
 * it has seen. `release()` is idempotent and never waits; `await using` (or
 * `await permit[Symbol.asyncDispose]()`) waits for the release to reach Redis and rejects if it
 * could not (the lease then expires on its own).
 *
 * @example
 * ```ts
 * {
 *   await using permit = await semaphore.acquire(2);
 *   await fetch(url, { signal: permit.signal, headers: { 'x-fencing-token': String(permit.fencingToken) } });
 * } // released in Redis here
 * ```
 */
export class RedisPermit implements Permit {
  readonly #controller = new AbortController();
  #hooks: PermitHooks | undefined;
  #released: Promise<void> | undefined;
  #validUntil: number;
  #onRelease: (() => void) | undefined;

  constructor(
    readonly cost: number,
    /** The lease's id in Redis (empty for cost 0, which holds nothing). */
    readonly lease: string,
    /** Strictly increasing per limiter name (0 for cost 0, which holds nothing). */
    readonly fencingToken: number,
    validUntil: number,
    hooks: PermitHooks,
  ) {
    this.#validUntil = validUntil;
    this.#hooks = hooks;
  }

  /** Aborts with a `LeaseLostError` once the lease is no longer known to be held. */
  get signal(): AbortSignal {
    this.#check();
    return this.#controller.signal;
  }

  /** True once the lease is no longer known to be held (while held, not after release). */
  get lost(): boolean {
    this.#check();
    return this.#controller.signal.aborted;
  }

  /** True once released. */
  get released(): boolean {
    return this.#hooks === undefined;
  }

  /** The local monotonic instant (`performance.now()`) until which it is known to be held; Infinity without leases. */
  get validUntil(): number {
    return this.#validUntil;
  }

  /** Ms it is still known to be held (0 once lost or released). */
  get remainingMs(): number {
    if (this.lost || this.released) return 0;
    return Math.max(0, this.#validUntil - systemClock.now());
  }

  release(): void {
    this.#release().catch(noop);
  }

  [Symbol.dispose](): void {
    this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.#release();
  }

  /** @internal A renewal confirmed it until `validUntil`. */
  extend(validUntil: number): void {
    if (validUntil > this.#validUntil) this.#validUntil = validUntil;
  }

  /** @internal Called once, at the first release (the limiter's own counts). */
  onRelease(fn: () => void): this {
    this.#onRelease = fn;
    return this;
  }

  /** @internal */
  lose(): void {
    if (!this.#controller.signal.aborted && this.#hooks !== undefined) this.#controller.abort(new LeaseLostError(this.lease, this.fencingToken));
  }

  #check(): void {
    if (this.#hooks !== undefined && !this.#controller.signal.aborted && systemClock.now() >= this.#validUntil) this.#hooks.expired(this);
  }

  #release(): Promise<void> {
    const hooks = this.#hooks;
    if (hooks !== undefined) {
      this.#hooks = undefined;
      this.#released = hooks.release(this);
      const onRelease = this.#onRelease;
      this.#onRelease = undefined;
      onRelease?.();
    }
    return this.#released!;
  }
}
