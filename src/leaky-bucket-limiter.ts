import { LeakyBudget } from './core/budgets/leaky.js';
import { Gate } from './core/gate.js';
import { checkUnits, Quantum } from './core/quantum.js';
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
    // The fill is kept in units × periodMs: that product must be an exact integer.
    const quantum = Quantum.for(maxRate * periodMs);
    const bucket = new LeakyBudget(checkUnits(quantum, 'maxRate', maxRate), periodMs);
    super(o, { budgets: [bucket], quantum, admission: 'fifo' });
    this.#bucket = bucket;
  }

  /** The bucket's level now (0 = empty, `maxRate` = full). */
  get level(): number {
    return this.quantum.cost(this.#bucket.level(this.readNow()));
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

  protected override updatableOptions(): readonly string[] {
    return ['maxRate', 'periodMs'];
  }

  /** The level carries over; the new rate drains it from now on. */
  protected override prepareUpdate(o: Record<string, unknown>, now: number): (() => void) | undefined {
    if (o.maxRate === undefined && o.periodMs === undefined) return undefined;
    const maxRate = o.maxRate === undefined ? this.quantum.cost(this.#bucket.capacity) : checkNumber('maxRate', o.maxRate, { positive: true });
    const periodMs = o.periodMs === undefined ? this.#bucket.periodMs : checkNumber('periodMs', o.periodMs, { positive: true });
    checkRatePeriod('maxRate', maxRate, 'periodMs', periodMs);
    // The fill is kept in units × periodMs: the quantum must span their product, as in the constructor.
    const quantum = this.quantumFor(maxRate * periodMs);
    const units = this.toUnits('maxRate', maxRate, quantum);
    return () => {
      this.rescaleTo(quantum, now);
      this.#bucket.reshape(units, periodMs, now);
    };
  }

  /**
   * Changes the rate at run time; the level carries over.
   *
   * @example
   * ```ts
   * limiter.update({ maxRate: 50 });
   * ```
   */
  override update(options: { maxRate?: number; periodMs?: number; maxWaitMs?: number; maxBypass?: number; maxPending?: number }): void {
    super.update(options);
  }
}
