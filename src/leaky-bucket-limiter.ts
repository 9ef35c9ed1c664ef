import { LeakyBudget } from './core/budgets/leaky.js';
import { Gate } from './core/gate.js';
import type { CommonOptions } from './core/types.js';
import { checkNumber, checkObject, checkRatePeriod, optionalNumber } from './core/validate.js';

/**
 * Options of {@link LeakyBucketLimiter}.
 *
 * @example
 * ```ts
 * const options: LeakyBucketLimiterOptions = { maxRate: 100, periodMs: 60_000 };
 * ```
 */
export interface LeakyBucketLimiterOptions extends CommonOptions {
  /** At most this much per period, and the largest burst. */
  maxRate: number;
  /** Default 60 000. */
  periodMs?: number;
}

/**
 * aiolimiter's leaky bucket: a level that drains continuously at `maxRate / periodMs` per ms;
 * `acquire(amount)` is admitted when `level + amount <= maxRate`. FIFO by default (aiolimiter
 * lets smaller amounts overtake; here a big request is never starved).
 *
 * @example
 * ```ts
 * const limiter = new LeakyBucketLimiter({ maxRate: 100, periodMs: 60_000 }); // 100 per minute
 * for (const url of urls) { await limiter.acquire(); void crawl(url); }
 * ```
 */
export class LeakyBucketLimiter extends Gate {
  readonly #bucket: LeakyBudget;

  constructor(options: LeakyBucketLimiterOptions) {
    const o = checkObject('options', options) as unknown as LeakyBucketLimiterOptions;
    const maxRate = checkNumber('maxRate', o.maxRate, { positive: true });
    const periodMs = optionalNumber('periodMs', o.periodMs, 60_000, { positive: true });
    checkRatePeriod('maxRate', maxRate, 'periodMs', periodMs);
    const bucket = new LeakyBudget(maxRate, periodMs);
    super(o, { budgets: [bucket], admission: 'fifo' });
    this.#bucket = bucket;
  }

  /** The bucket's level now (0 = empty, `maxRate` = full). */
  get level(): number {
    return this.#bucket.level(this.clock.now());
  }

  /**
   * True exactly when `tryAcquire(amount)` would succeed now.
   *
   * @example
   * ```ts
   * if (limiter.hasCapacity(2)) limiter.tryAcquire(2);
   * ```
   */
  hasCapacity(amount: number = 1): boolean {
    return this.canAdmitNow(amount);
  }
}
