import { TokenBudget } from './core/budgets/tokens.js';
import { Gate } from './core/gate.js';
import { checkUnits, Quantum } from './core/quantum.js';
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
    const quantum = Quantum.for(capacity);
    const tokens = new TokenBudget({
      capacity: checkUnits(quantum, 'capacity', capacity),
      // More than the capacity per step refills exactly as much as the capacity does.
      refillAmount: checkUnits(quantum, 'refillAmount', Math.min(capacity, optionalNumber('refillAmount', o.refillAmount, 1, { positive: true }))),
      refillIntervalMs: checkNumber('refillIntervalMs', o.refillIntervalMs, { positive: true }),
      initial: checkUnits(quantum, 'initialTokens', initial),
      start: checkClock(o.clock).now(),
    });
    super(o, { budgets: [tokens], quantum, admission: 'fifo' });
    this.#tokens = tokens;
  }

  /** Tokens in the bucket now. */
  get tokens(): number {
    return this.quantum.cost(this.#tokens.available(this.readNow()));
  }

  protected override updatableOptions(): readonly string[] {
    return ['capacity', 'refillAmount', 'refillIntervalMs'];
  }

  /** The tokens carry over (capped at a lower capacity); the next step is counted from the last one. */
  protected override prepareUpdate(o: Record<string, unknown>, now: number): (() => void) | undefined {
    if (o.capacity === undefined && o.refillAmount === undefined && o.refillIntervalMs === undefined) return undefined;
    const t = this.#tokens;
    const capacity = o.capacity === undefined ? this.quantum.cost(t.capacity) : checkNumber('capacity', o.capacity, { positive: true });
    // More than the capacity per step refills exactly as much as the capacity does (as in the constructor).
    const refill = o.refillAmount === undefined ? this.quantum.cost(t.refillAmount) : Math.min(capacity, checkNumber('refillAmount', o.refillAmount, { positive: true }));
    const refillIntervalMs = o.refillIntervalMs === undefined ? t.refillIntervalMs : checkNumber('refillIntervalMs', o.refillIntervalMs, { positive: true });
    const quantum = this.quantumFor(capacity);
    // The refill kept must be whole units of a coarser quantum too, as a constructor given both would require.
    const shape = { capacity: this.toUnits('capacity', capacity, quantum), refillAmount: this.toUnits('refillAmount', refill, quantum), refillIntervalMs };
    return () => {
      this.rescaleTo(quantum, now);
      t.reshape(shape, now);
    };
  }

  /**
   * Changes capacity or refill at run time; the tokens carry over.
   *
   * @example
   * ```ts
   * bucket.update({ refillIntervalMs: 500 });
   * ```
   */
  override update(options: { capacity?: number; refillAmount?: number; refillIntervalMs?: number; maxWaitMs?: number; maxBypass?: number; maxPending?: number }): void {
    super.update(options);
  }
}
