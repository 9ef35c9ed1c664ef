import { CreditBudget } from './core/budgets/credits.js';
import { Gate } from './core/gate.js';
import { checkUnits, Quantum } from './core/quantum.js';
import type { CommonOptions } from './core/types.js';
import { checkNumber, checkObject } from './core/validate.js';

/**
 * Options of {@link ConcurrencySemaphore}.
 *
 * @example
 * ```ts
 * const options: ConcurrencySemaphoreOptions = { capacity: 5 };
 * ```
 */
export interface ConcurrencySemaphoreOptions extends CommonOptions {
  /** Slots in all; `acquire(n)` takes n of them. */
  capacity: number;
}

/**
 * At most `capacity` at once, weighted; a release gives the slots back at once. FIFO by default:
 * a heavy head is never starved by lighter waiters behind it.
 *
 * @example
 * ```ts
 * const sem = new ConcurrencySemaphore({ capacity: 5 });
 * const pages = await Promise.all(urls.map((u) => sem.run(() => fetch(u))));
 * ```
 */
export class ConcurrencySemaphore extends Gate {
  readonly #slots: CreditBudget;

  constructor(options: ConcurrencySemaphoreOptions) {
    const o = checkObject('options', options) as unknown as ConcurrencySemaphoreOptions;
    const capacity = checkNumber('capacity', o.capacity, { positive: true });
    const quantum = Quantum.for(capacity);
    const slots = new CreditBudget(checkUnits(quantum, 'capacity', capacity));
    super(o, { budgets: [slots], quantum, admission: 'fifo' });
    this.#slots = slots;
  }

  protected override updatableOptions(): readonly string[] {
    return ['capacity'];
  }

  /** A lower capacity revokes nothing: nobody is admitted until enough is released. */
  protected override prepareUpdate(o: Record<string, unknown>, now: number): (() => void) | undefined {
    if (o.capacity === undefined) return undefined;
    const given = checkNumber('capacity', o.capacity, { positive: true });
    const quantum = this.quantumFor(given);
    const capacity = this.toUnits('capacity', given, quantum);
    return () => {
      this.rescaleTo(quantum, now);
      this.#slots.capacity = capacity;
    };
  }

  /**
   * Changes the capacity at run time; what is held carries over.
   *
   * @example
   * ```ts
   * sem.update({ capacity: 10 });
   * ```
   */
  override update(options: { capacity?: number; maxWaitMs?: number; maxBypass?: number; maxPending?: number }): void {
    super.update(options);
  }
}
