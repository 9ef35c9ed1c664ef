import { SlidingBudget } from './core/budgets/sliding.js';
import { Gate } from './core/gate.js';
import { checkUnits, Quantum } from './core/quantum.js';
import type { CommonOptions } from './core/types.js';
import { checkNumber, checkObject } from './core/validate.js';

/**
 * Options of {@link SlidingWindowLimiter}.
 *
 * @example
 * ```ts
 * const options: SlidingWindowLimiterOptions = { limit: 10, windowMs: 1_000 };
 * ```
 */
export interface SlidingWindowLimiterOptions extends CommonOptions {
  /** At most this much admitted in any window of `windowMs`. */
  limit: number;
  windowMs: number;
}

/**
 * Never more than `limit` admitted in any window of `windowMs`: an admission of cost `c` at `t`
 * frees `c` at exactly `t + windowMs`. This is how most APIs count "10 per second", so a client
 * configured from the documented limit is never answered 429. FIFO by default.
 *
 * @example
 * ```ts
 * const api = new SlidingWindowLimiter({ limit: 10, windowMs: 1_000 });
 * const res = await api.run(() => fetch(url));
 * api.observe(res); // follow X-RateLimit-Remaining / Reset, Retry-After
 * ```
 */
export class SlidingWindowLimiter extends Gate {
  readonly #window: SlidingBudget;

  constructor(options: SlidingWindowLimiterOptions) {
    const o = checkObject('options', options) as unknown as SlidingWindowLimiterOptions;
    const limit = checkNumber('limit', o.limit, { positive: true });
    const windowMs = checkNumber('windowMs', o.windowMs, { positive: true });
    const quantum = Quantum.for(limit);
    const window = new SlidingBudget(checkUnits(quantum, 'limit', limit), windowMs);
    super(o, { budgets: [window], quantum, admission: 'fifo' });
    this.#window = window;
  }

  /** Cost admitted within the window ending now. */
  get used(): number {
    return this.quantum.cost(this.#window.used(this.readNow()));
  }

  protected override updatableOptions(): readonly string[] {
    return ['limit', 'windowMs'];
  }

  /** Past admissions carry over: each is freed `windowMs` (the new one) after it was admitted. */
  protected override prepareUpdate(o: Record<string, unknown>, now: number): (() => void) | undefined {
    const given = o.limit === undefined ? undefined : checkNumber('limit', o.limit, { positive: true });
    const quantum = given === undefined ? this.quantum : this.quantumFor(given);
    const limit = given === undefined ? undefined : this.toUnits('limit', given, quantum);
    const windowMs = o.windowMs === undefined ? undefined : checkNumber('windowMs', o.windowMs, { positive: true });
    return () => {
      this.rescaleTo(quantum, now);
      if (limit !== undefined) this.#window.capacity = limit;
      if (windowMs !== undefined) this.#window.windowMs = windowMs;
    };
  }

  /**
   * Changes the limit or the window at run time.
   *
   * @example
   * ```ts
   * const window = new SlidingWindowLimiter({ limit: 10, windowMs: 1_000 });
   * window.update({ limit: 5 }); // the server halved our quota
   * ```
   */
  override update(options: { limit?: number; windowMs?: number; maxWaitMs?: number; maxBypass?: number; maxPending?: number }): void {
    super.update(options);
  }
}
