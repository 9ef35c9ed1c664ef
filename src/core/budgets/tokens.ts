import type { Budget } from '../budget.js';
import { unitsDown } from '../quantum.js';

/**
 * Tokens added in discrete steps: `refillAmount` every `refillIntervalMs` counted from `start`,
 * capped at `capacity`, in whole units (see `Quantum`).
 *
 * Step k falls at `instant(k) = start + k × interval`, and "how many steps by t" is defined as
 * the largest k with `instant(k) <= t`, with that very expression: so `available` at the instant
 * `readyAt` names always pays, and steps never drift however often the bucket is read.
 *
 * @example
 * ```ts
 * const tokens = new TokenBudget({ capacity: 5, refillAmount: 1, refillIntervalMs: 1_000, initial: 0, start: 0 });
 * tokens.readyAt(2, 0); // 2 000
 * ```
 */
export class TokenBudget implements Budget {
  readonly spends = true;
  readonly timed = true;
  capacity: number;
  refillAmount: number;
  refillIntervalMs: number;
  #tokens: number;
  #start: number;
  /** Steps counted into `#tokens` so far. */
  #steps = 0;
  /** `instant(#steps + 1)`: a read before it changes nothing (the common case is one comparison). */
  #next: number;

  constructor(o: { capacity: number; refillAmount: number; refillIntervalMs: number; initial: number; start: number }) {
    this.capacity = o.capacity;
    this.refillAmount = o.refillAmount;
    this.refillIntervalMs = o.refillIntervalMs;
    this.#tokens = o.initial;
    this.#start = o.start;
    this.#next = this.#instant(1);
  }

  available(now: number): number {
    return this.#tokensAt(this.#stepsBy(now));
  }

  take(units: number, now: number): void {
    const steps = this.#stepsBy(now);
    this.#tokens = this.#tokensAt(steps) - units;
    if (steps !== this.#steps) {
      this.#steps = steps;
      this.#next = this.#instant(steps + 1);
    }
  }

  release(): number {
    return Infinity;
  }

  readyAt(units: number, now: number): number {
    const steps = this.#stepsBy(now);
    if (units <= this.#tokensAt(steps)) return now;
    if (units > this.capacity) return Infinity;
    const missing = units - this.#tokens;
    return this.#instant(this.#steps + Math.ceil(missing / this.refillAmount));
  }

  nextStep(now: number): number {
    const steps = this.#stepsBy(now);
    return this.#tokensAt(steps) < this.capacity ? this.#instant(steps + 1) : Infinity;
  }

  isFull(now: number): boolean {
    return this.#tokensAt(this.#stepsBy(now)) >= this.capacity;
  }

  /**
   * Reanchors at `now`: the tokens right after equal those right before (capped at a lower
   * capacity), and the first step of the new shape falls one new interval later.
   */
  reshape(o: { capacity: number; refillAmount: number; refillIntervalMs: number }, now: number): void {
    this.#tokens = Math.min(o.capacity, this.#tokensAt(this.#stepsBy(now)));
    this.#start = now;
    this.#steps = 0;
    this.capacity = o.capacity;
    this.refillAmount = o.refillAmount;
    this.refillIntervalMs = o.refillIntervalMs;
    this.#next = this.#instant(1);
  }

  /** The tokens now, rounded down to the coarser units; the steps keep their instants. */
  rescale(factor: number, now: number): void {
    const steps = this.#stepsBy(now);
    this.#tokens = unitsDown(this.#tokensAt(steps), factor);
    this.#steps = steps;
    this.#next = this.#instant(steps + 1);
    this.capacity = unitsDown(this.capacity, factor);
    this.refillAmount = unitsDown(this.refillAmount, factor);
  }

  #tokensAt(steps: number): number {
    return steps === this.#steps ? this.#tokens : Math.min(this.capacity, this.#tokens + (steps - this.#steps) * this.refillAmount);
  }

  #instant(k: number): number {
    return this.#start + k * this.refillIntervalMs;
  }

  /** The largest k >= the steps counted with `instant(k) <= now`: estimated by division, corrected by the expression itself. */
  #stepsBy(now: number): number {
    // Most reads fall before the next step: one comparison.
    if (now < this.#next) return this.#steps;
    let k = Math.max(this.#steps, Math.floor((now - this.#start) / this.refillIntervalMs));
    while (k > this.#steps && this.#instant(k) > now) k--;
    while (this.#instant(k + 1) <= now) k++;
    return k;
  }
}
