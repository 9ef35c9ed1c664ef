import { CreditBudget } from './core/budgets/credits.js';
import { Gate } from './core/gate.js';
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
  constructor(options: ConcurrencySemaphoreOptions) {
    const o = checkObject('options', options) as unknown as ConcurrencySemaphoreOptions;
    super(o, { budgets: [new CreditBudget(checkNumber('capacity', o.capacity, { positive: true }))], admission: 'fifo' });
  }
}
