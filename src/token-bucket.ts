import { TokenBudget } from './core/budgets/tokens.js';
import { Gate } from './core/gate.js';
import type { CommonOptions } from './core/types.js';
import { checkClock, checkNumber, checkObject, optionalNumber } from './core/validate.js';

/**
 * Options of {@link TokenBucket}.
 *
 * @example
 * ```ts
 * const options: TokenBucketOptions = { capacity: 5, refillIntervalMs: 1_000 };
 * ```
 */
export interface TokenBucketOptions extends CommonOptions {
  /** The most tokens held, and the largest cost. */
  capacity: number;
  /** Tokens added each step. Default 1. */
  refillAmount?: number;
  /** Ms between steps, counted from construction. */
  refillIntervalMs: number;
  /** Tokens at construction. Default `capacity`. */
  initialTokens?: number;
}

/**
 * A token bucket with discrete refills (limiters / self-limiters): `refillAmount` tokens every
 * `refillIntervalMs`, capped at `capacity`. With `maxWaitMs`, a wait that refills alone make too
 * long is rejected at once.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket({ capacity: 5, refillIntervalMs: 1_000 }); // 5 at once, then 1 per second
 * await bucket.acquire();
 * ```
 */
export class TokenBucket extends Gate {
  readonly #tokens: TokenBudget;

  constructor(options: TokenBucketOptions) {
    const o = checkObject('options', options) as unknown as TokenBucketOptions;
    const capacity = checkNumber('capacity', o.capacity, { positive: true });
    const initial = optionalNumber('initialTokens', o.initialTokens, capacity);
    if (initial > capacity) throw new RangeError(`initialTokens must be at most capacity ${capacity}; got ${initial}`);
    const tokens = new TokenBudget(
      capacity,
      optionalNumber('refillAmount', o.refillAmount, 1, { positive: true }),
      checkNumber('refillIntervalMs', o.refillIntervalMs, { positive: true }),
      initial,
      checkClock(o.clock).now(),
    );
    super(o, { budgets: [tokens], admission: 'fifo' });
    this.#tokens = tokens;
  }

  /** Tokens in the bucket now. */
  get tokens(): number {
    return this.#tokens.available(this.clock.now());
  }
}
