import type { Permit } from './types.js';

/** The key of the method a permit calls on its limiter on its first release. */
export const RELEASE = Symbol('release');

/** What a permit needs from its limiter. */
export interface PermitOwner {
  [RELEASE](permit: GatePermit): void;
}

/** Where a permit's refund delay and id come from: the call's options, or its waiter. */
export interface PermitTerms {
  readonly refundMs: number;
  readonly id: string | number | undefined;
}

/**
 * The one permit class of every limiter. `release` is idempotent, so disposing a permit that was
 * already released never refunds twice. It holds its limiter, not a closure: permits and
 * limiters stay small.
 *
 * @example
 * ```ts
 * await using permit = await limiter.acquire(2);
 * permit.cost; // 2
 * ```
 */
export class GatePermit implements Permit {
  #owner: PermitOwner | undefined;
  /** @internal */ readonly terms: PermitTerms;
  constructor(
    owner: PermitOwner,
    readonly cost: number,
    terms: PermitTerms,
  ) {
    this.#owner = owner;
    this.terms = terms;
  }

  release(): void {
    const owner = this.#owner;
    if (owner === undefined) return;
    this.#owner = undefined;
    owner[RELEASE](this);
  }

  [Symbol.dispose](): void {
    this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

// Every `await limiter.acquire()` resolves a promise with a permit, and resolving looks up `then`
// on it (a permit must not be mistaken for a thenable). Without an answer here that lookup walks
// on to Object.prototype, which costs about a tenth of an uncontended acquire.
Object.defineProperty(GatePermit.prototype, 'then', { value: undefined });
