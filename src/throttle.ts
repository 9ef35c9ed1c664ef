import type { Budget } from './core/budget.js';
import { LeakyBudget } from './core/budgets/leaky.js';
import { SlotBudget } from './core/budgets/slots.js';
import { Gate } from './core/gate.js';
import type { CommonOptions } from './core/types.js';
import { checkNumber, checkObject, checkRatePeriod, optionalNumber } from './core/validate.js';

/**
 * One rate limit: at most `rate` per `periodMs`, as a leaky bucket.
 *
 * @example
 * ```ts
 * const perMinute: RateLimit = { rate: 500, periodMs: 60_000 };
 * ```
 */
export interface RateLimit {
  rate: number;
  /** Default 1 000. */
  periodMs?: number;
}

/**
 * Options of {@link Throttle}: one limit (`rate`, `periodMs`) or several (`limits`), not both.
 *
 * @example
 * ```ts
 * const options: ThrottleOptions = { limits: [{ rate: 10, periodMs: 1_000 }, { rate: 500, periodMs: 60_000 }], concurrency: 4 };
 * ```
 */
export interface ThrottleOptions extends CommonOptions {
  rate?: number;
  periodMs?: number;
  limits?: readonly RateLimit[];
  /** At most this many admitted and not yet released, whatever their cost. 0 (default) = unlimited. */
  concurrency?: number;
}

/**
 * Rate limits and a concurrency limit paid together at the same instant from one fair queue
 * (async-throttle): a waiter never holds a slot while it waits for the rate. `pause(ms)` is the
 * answer to a 429 / Retry-After.
 *
 * @example
 * ```ts
 * const throttle = new Throttle({ rate: 10, periodMs: 1_000, concurrency: 2 });
 * const res = await throttle.run(() => fetch(url));
 * if (res.status === 429) throttle.pause(Number(res.headers.get('retry-after')) * 1_000);
 * ```
 */
export class Throttle extends Gate {
  readonly #slots: SlotBudget | undefined;

  constructor(options: ThrottleOptions) {
    const o = checkObject('options', options) as ThrottleOptions;
    const budgets: Budget[] = rateBudgets(o);
    const concurrency = optionalNumber('concurrency', o.concurrency, 0, { integer: true });
    const slots = concurrency > 0 ? new SlotBudget(concurrency) : undefined;
    if (slots) budgets.push(slots);
    super(o, { budgets, admission: 'fifo' });
    this.#slots = slots;
  }

  /** Admitted and not yet released (counted only with a `concurrency` limit, else 0). */
  get running(): number {
    return this.#slots?.held ?? 0;
  }
}

function rateBudgets(o: ThrottleOptions): LeakyBudget[] {
  if (o.limits === undefined) return [rateBudget(o.rate, o.periodMs, 'rate', 'periodMs')];
  if (o.rate !== undefined || o.periodMs !== undefined) throw new TypeError('give either rate/periodMs or limits, not both');
  if (!Array.isArray(o.limits) || o.limits.length === 0) throw new TypeError(`limits must be a non-empty array; got ${String(o.limits)}`);
  return o.limits.map((limit, i) => {
    const l = checkObject(`limits[${i}]`, limit) as unknown as RateLimit;
    return rateBudget(l.rate, l.periodMs, `limits[${i}].rate`, `limits[${i}].periodMs`);
  });
}

function rateBudget(rate: unknown, periodMs: unknown, rateName: string, periodName: string): LeakyBudget {
  const r = checkNumber(rateName, rate, { positive: true });
  const p = optionalNumber(periodName, periodMs, 1_000, { positive: true });
  checkRatePeriod(rateName, r, periodName, p);
  return new LeakyBudget(r, p);
}
