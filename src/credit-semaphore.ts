import { CreditBudget } from './core/budgets/credits.js';
import { Gate } from './core/gate.js';
import type { AcquireOptions, CommonOptions, LimiterStats, Permit, RunContext } from './core/types.js';
import { checkUnits, Quantum } from './core/quantum.js';
import { checkCost, checkNumber, checkObject, optionalNumber } from './core/validate.js';

/**
 * Options of {@link CreditSemaphore}.
 *
 * @example
 * ```ts
 * const options: CreditSemaphoreOptions = { capacity: 40, refundMs: 10_000 };
 * ```
 */
export interface CreditSemaphoreOptions extends CommonOptions {
  /** Credits in all. */
  capacity: number;
  /** Default delay before released credits come back. Default 0. */
  refundMs?: number;
}

/**
 * Per-call options of {@link CreditSemaphore}: a delay of its own for this call's credits.
 *
 * @example
 * ```ts
 * const options: CreditAcquireOptions = { refundMs: 2_000, maxWaitMs: 5_000, id: 'quote' };
 * await using permit = await sem.acquire(5, options);
 * ```
 */
export type CreditAcquireOptions = AcquireOptions & { refundMs?: number };

/**
 * Weighted credits that come back `refundMs` after the work ends (credit_semaphore's `transact`).
 * Fair on entry, opportunistic on exit by default: when credits come back, every waiter that now
 * fits is admitted, in arrival order.
 *
 * @example
 * ```ts
 * const sem = new CreditSemaphore({ capacity: 40, refundMs: 10_000 });
 * const quote = await sem.transact(() => api.getQuote('ACME'), { credits: 5 });
 * ```
 */
export class CreditSemaphore extends Gate {
  readonly #credits: CreditBudget;

  constructor(options: CreditSemaphoreOptions) {
    const o = checkObject('options', options) as unknown as CreditSemaphoreOptions;
    const capacity = checkNumber('capacity', o.capacity, { positive: true });
    const quantum = Quantum.for(capacity);
    const credits = new CreditBudget(checkUnits(quantum, 'capacity', capacity));
    const refundMs = optionalNumber('refundMs', o.refundMs, 0);
    super(o, { budgets: [credits], quantum, admission: 'opportunistic', refundMs, perCallRefund: true });
    this.#credits = credits;
    // The quantum read at each refund: `update` may have made it coarser since.
    credits.onRefund = (units, at, id) => this.emitEvent('refunded', this.quantum.cost(units), id, at);
  }

  protected override updatableOptions(): readonly string[] {
    return ['capacity', 'refundMs'];
  }

  /**
   * A new `refundMs` applies to permits admitted from now on (a permit keeps the delay it was
   * admitted with); a new capacity keeps what is held
   * and refunding (in a coarser quantum when the current one cannot span it).
   */
  protected override prepareUpdate(o: Record<string, unknown>, now: number): (() => void) | undefined {
    const given = o.capacity === undefined ? undefined : checkNumber('capacity', o.capacity, { positive: true });
    const quantum = given === undefined ? this.quantum : this.quantumFor(given);
    const capacity = given === undefined ? undefined : this.toUnits('capacity', given, quantum);
    const refundMs = o.refundMs === undefined ? undefined : checkNumber('refundMs', o.refundMs);
    return () => {
      this.rescaleTo(quantum, now);
      if (capacity !== undefined) this.#credits.capacity = capacity;
      if (refundMs !== undefined) this.setDefaultRefund(refundMs);
    };
  }

  /**
   * Changes capacity or the default refund delay at run time; what is held and refunding carries over.
   *
   * @example
   * ```ts
   * sem.update({ capacity: 80 });
   * ```
   */
  override update(options: { capacity?: number; refundMs?: number; maxWaitMs?: number; maxBypass?: number; maxPending?: number }): void {
    super.update(options);
  }

  /** Credits released and not yet back. */
  get refunding(): number {
    return this.quantum.cost(this.#credits.refunding(this.readNow()));
  }

  /**
   * Takes `credits`; they come back `refundMs` (this call's, else the limiter's) after release.
   *
   * @example
   * ```ts
   * await using permit = await sem.acquire(5, { refundMs: 2_000 });
   * ```
   */
  override acquire(credits: number = 1, options?: CreditAcquireOptions): Promise<Permit> {
    return super.acquire(credits, options);
  }

  /**
   * Runs `fn` once `credits` are free, with `{ signal }` (the `signal` of the options), as `run`
   * does; the credits come back `refundMs` after `fn` settles, fulfilled or rejected (a failed
   * call still spent them). Returns or rethrows `fn`'s own result.
   *
   * @example
   * ```ts
   * const order = await sem.transact(() => api.placeOrder(o), { credits: 20, refundMs: 10_000 });
   * const page = await sem.transact(({ signal }) => fetch(url, { signal }), { credits: 1, signal });
   * ```
   */
  transact<T>(fn: (context: RunContext) => T | PromiseLike<T>, options: { credits: number } & CreditAcquireOptions): Promise<T> {
    try {
      const o = checkObject('options', options) as unknown as { credits: number } & CreditAcquireOptions;
      return this.run(fn, { ...o, cost: checkCost(o.credits, this.capacity, 'credits') });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  override stats(): LimiterStats & { refunding: number } {
    return { ...super.stats(), refunding: this.refunding };
  }
}
