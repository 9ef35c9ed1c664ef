import type { Permit } from '../core/types.js';
import { LeaseLostError } from './errors.js';

/**
 * A `RedisSemaphore` permit: a lease in Redis, renewed while held and given back on release.
 * `release()` is idempotent and does not wait; `await using` (or `await permit[Symbol.asyncDispose]()`)
 * waits for the release to reach Redis and rejects if it could not (the lease then expires on its own).
 *
 * @example
 * ```ts
 * {
 *   await using permit = await semaphore.acquire(2);
 *   await fetch(url, { signal: permit.signal }); // aborted if the lease is lost
 * } // released in Redis here
 * ```
 */
export class LeasePermit implements Permit {
  readonly #controller = new AbortController();
  #onRelease: ((permit: LeasePermit) => Promise<void>) | undefined;
  #released: Promise<void> | undefined;
  /** @internal Local instant (ms) before which the lease is known to be held: at or before the server's expiry. */
  validUntil: number;

  constructor(
    readonly cost: number,
    /** The lease's id in Redis (empty for cost 0, which holds nothing). */
    readonly lease: string,
    validUntil: number,
    onRelease: (permit: LeasePermit) => Promise<void>,
  ) {
    this.validUntil = validUntil;
    this.#onRelease = onRelease;
  }

  /** Aborts with a `LeaseLostError` if the lease is found gone from Redis while held. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True once the lease was found gone while held. */
  get lost(): boolean {
    return this.#controller.signal.aborted;
  }

  /** True once released. */
  get released(): boolean {
    return this.#onRelease === undefined;
  }

  release(): void {
    this.#release().catch(() => {});
  }

  [Symbol.dispose](): void {
    this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.#release();
  }

  /** @internal */
  lose(): void {
    if (!this.lost && !this.released) this.#controller.abort(new LeaseLostError(this.lease));
  }

  #release(): Promise<void> {
    const onRelease = this.#onRelease;
    if (onRelease !== undefined) {
      this.#onRelease = undefined;
      this.#released = onRelease(this);
    }
    return this.#released!;
  }
}
