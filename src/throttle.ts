import { LeakyBudget } from './core/budgets/leaky.js';
import { SlidingBudget } from './core/budgets/sliding.js';
import { SlotBudget } from './core/budgets/slots.js';
import { Gate } from './core/gate.js';
import { checkUnits, Quantum } from './core/quantum.js';
import type { CommonOptions } from './core/types.js';
import { checkNumber, checkObject, checkOneOf, checkRatePeriod, optionalNumber } from './core/validate.js';

/**
 * One rate limit: at most `rate` per `periodMs`, as a sliding window (default) or a leaky bucket.
 *
 * @example
 * ```ts
 * const perMinute: RateLimit = { rate: 500, periodMs: 60_000, kind: 'leaky' };
 * ```
 */
export interface RateLimit {
  rate: number;
  /** Default 1 000. */
  periodMs?: number;
  /**
   * `'sliding'` (default): never more than `rate` in any window of `periodMs`, as servers count.
   * `'leaky'`: a level draining at `rate / periodMs`; bursts up to `rate`, smoother after.
   */
  kind?: 'sliding' | 'leaky';
}

/**
 * Options of {@link Throttle}: one limit (`rate`, `periodMs`, `kind`) or several (`limits`), not both.
 *
 * @example
 * ```ts
 * const options: ThrottleOptions = { limits: [{ rate: 10, periodMs: 1_000 }, { rate: 500, periodMs: 60_000 }], concurrency: 4 };
 * ```
 */
export interface ThrottleOptions extends CommonOptions {
  rate?: number;
  periodMs?: number;
  kind?: 'sliding' | 'leaky';
  limits?: readonly RateLimit[];
  /** At most this many admitted and not yet released, whatever their cost. 0 (default) = unlimited. */
  concurrency?: number;
}

type RateBudget = LeakyBudget | SlidingBudget;

/**
 * Rate limits and a concurrency limit paid together at the same instant from one fair queue
 * (async-throttle): a waiter never holds a slot while it waits for the rate. Each limit is a
 * sliding window by default: "10 per second" in an API's documentation means no second holds
 * more than 10, and a leaky bucket with a burst of 10 lets up to 20 into one second (and bursts
 * again after a pause while the server still counts the earlier calls).
 *
 * @example
 * ```ts
 * const throttle = new Throttle({ rate: 10, periodMs: 1_000, concurrency: 2 });
 * const res = await throttle.run(() => fetch(url));
 * throttle.observe(res); // a 429 with Retry-After pauses; rate-limit headers cap
 * ```
 */
export class Throttle extends Gate {
  #rates: RateBudget[];
  /** Always present (`Infinity` slots when unlimited), so `update({ concurrency })` never loses count of what is running. */
  readonly #slots: SlotBudget;

  constructor(options: ThrottleOptions) {
    const o = checkObject('options', options) as ThrottleOptions;
    const limits = readLimits(o);
    const quantum = Quantum.for(sizeOf(limits));
    const rates = limits.map((limit) => rateBudget(limit, quantum));
    const slots = new SlotBudget(readConcurrency(o.concurrency));
    super(o, { budgets: [...rates, slots], quantum, admission: 'fifo' });
    this.#rates = rates;
    this.#slots = slots;
  }

  /**
   * Permits admitted and not yet released, with or without a `concurrency` limit: the same count
   * as `stats().running` (a cost 0 permit included, though it holds no slot).
   *
   * @example
   * ```ts
   * const throttle = new Throttle({ rate: 10 });
   * const permit = throttle.tryAcquire()!;
   * throttle.running; // 1
   * permit.release();
   * throttle.running; // 0
   * ```
   */
  get running(): number {
    return this.stats().running;
  }

  protected override updatableOptions(): readonly string[] {
    return ['rate', 'periodMs', 'kind', 'limits', 'concurrency'];
  }

  /**
   * Limits are matched by position. One of the same kind keeps its state (level, window) under
   * the new numbers. One whose kind changed carries over what it counted, conservatively: a
   * window becomes a bucket as full as what the window holds now; a bucket becomes a window
   * holding its level as one admission, freed when the bucket would have drained it or one new
   * window from now, whichever is first. A limit added at the end starts empty.
   */
  protected override prepareUpdate(o: Record<string, unknown>, now: number): (() => void) | undefined {
    const concurrency = o.concurrency === undefined ? undefined : readConcurrency(o.concurrency);
    let limits: Limit[] | undefined;
    let quantum = this.quantum;
    if (o.limits !== undefined || o.rate !== undefined || o.periodMs !== undefined || o.kind !== undefined) {
      const current = this.#rates;
      const shorthand = o.limits === undefined;
      if (shorthand && current.length !== 1) throw new TypeError('update: this throttle has several limits; give limits, not rate/periodMs/kind');
      const first = current[0]!;
      // Only what is absent falls back to the current limit: a given null or NaN is checked as the constructor checks it.
      const given = shorthand
        ? {
            rate: o.rate === undefined ? this.quantum.cost(first.capacity) : o.rate,
            periodMs: o.periodMs === undefined ? periodOf(first) : o.periodMs,
            kind: o.kind === undefined ? (first instanceof SlidingBudget ? 'sliding' : 'leaky') : o.kind,
          }
        : { limits: o.limits, rate: o.rate, periodMs: o.periodMs, kind: o.kind };
      limits = readLimits(given as ThrottleOptions);
      quantum = this.quantumFor(sizeOf(limits));
      for (const limit of limits) this.toUnits(limit.names.rate, limit.rate, quantum);
    }
    return () => {
      if (concurrency !== undefined) this.#slots.slots = concurrency;
      if (limits === undefined) return;
      this.rescaleTo(quantum, now);
      this.#rates = limits.map((limit, i) => {
        const old = this.#rates[i];
        const units = quantum.units(limit.rate);
        if (limit.kind === 'sliding' && old instanceof SlidingBudget) {
          old.capacity = units;
          old.windowMs = limit.periodMs;
          return old;
        }
        if (limit.kind === 'leaky' && old instanceof LeakyBudget) {
          old.reshape(units, limit.periodMs, now);
          return old;
        }
        const fresh = rateBudget(limit, quantum);
        if (old instanceof SlidingBudget && fresh instanceof LeakyBudget) fresh.fillTo(old.used(now), now);
        else if (old instanceof LeakyBudget && fresh instanceof SlidingBudget) fresh.seed(old.level(now), Math.min(now + fresh.windowMs, old.drainedAt(now)), now);
        return fresh;
      });
      this.replaceBudgets([...this.#rates, this.#slots]);
    };
  }

  /**
   * Changes limits or concurrency at run time; what is held, levels and windows carry over.
   *
   * @example
   * ```ts
   * const throttle = new Throttle({ rate: 10, concurrency: 4 });
   * throttle.update({ rate: 5 });
   * throttle.update({ concurrency: 8 });
   * ```
   */
  override update(options: {
    rate?: number;
    periodMs?: number;
    kind?: 'sliding' | 'leaky';
    limits?: readonly RateLimit[];
    concurrency?: number;
    maxWaitMs?: number;
    maxBypass?: number;
    maxPending?: number;
  }): void {
    super.update(options);
  }
}

interface Limit {
  rate: number;
  periodMs: number;
  kind: 'sliding' | 'leaky';
  names: { rate: string; periodMs: string };
}

/** What the quantum must span: the largest rate, or for a leaky limit (its fill is kept in units × periodMs) that product. */
function sizeOf(limits: readonly Limit[]): number {
  return Math.max(...limits.map((l) => (l.kind === 'leaky' ? l.rate * l.periodMs : l.rate)));
}

function periodOf(budget: RateBudget): number {
  return budget instanceof SlidingBudget ? budget.windowMs : budget.periodMs;
}

function readConcurrency(value: unknown): number {
  const concurrency = optionalNumber('concurrency', value, 0, { integer: true });
  return concurrency === 0 ? Infinity : concurrency;
}

function readLimits(o: ThrottleOptions): Limit[] {
  if (o.limits === undefined) return [readLimit(o as RateLimit, '')];
  if (o.rate !== undefined || o.periodMs !== undefined || o.kind !== undefined) throw new TypeError('give either rate/periodMs/kind or limits, not both');
  if (!Array.isArray(o.limits) || o.limits.length === 0) throw new TypeError(`limits must be a non-empty array; got ${String(o.limits)}`);
  return o.limits.map((limit, i) => readLimit(checkObject(`limits[${i}]`, limit) as unknown as RateLimit, `limits[${i}].`));
}

function readLimit(l: RateLimit, prefix: string): Limit {
  const names = { rate: `${prefix}rate`, periodMs: `${prefix}periodMs` };
  const rate = checkNumber(names.rate, l.rate, { positive: true });
  const periodMs = optionalNumber(names.periodMs, l.periodMs, 1_000, { positive: true });
  checkRatePeriod(names.rate, rate, names.periodMs, periodMs);
  const kind = checkOneOf(`${prefix}kind`, l.kind, ['sliding', 'leaky'], 'sliding');
  return { rate, periodMs, kind, names };
}

function rateBudget(limit: Limit, quantum: Quantum): RateBudget {
  const units = checkUnits(quantum, limit.names.rate, limit.rate);
  return limit.kind === 'sliding' ? new SlidingBudget(units, limit.periodMs) : new LeakyBudget(units, limit.periodMs);
}
