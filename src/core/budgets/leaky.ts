import type { Budget } from '../budget.js';

/**
 * aiolimiter's leaky bucket: a level that drains continuously at `maxRate / periodMs` per ms;
 * a cost is payable while `level + cost <= maxRate`.
 *
 * The level is kept in cost·ms (`#fill = level × periodMs`), which drains by exactly `maxRate`
 * each ms: with integer inputs every step is integer arithmetic, so documented runs such as
 * aiolimiter's land on the exact millisecond instead of one float ulp late.
 *
 * @example
 * ```ts
 * const bucket = new LeakyBudget(4, 8_000);
 * for (let i = 0; i < 4; i++) bucket.take(1, 0);
 * bucket.readyAt(1, 0); // 2 000
 * ```
 */
export class LeakyBudget implements Budget {
  readonly spends = true;
  readonly timed = true;
  readonly capacity: number;
  readonly periodMs: number;
  #fill = 0;
  /** An empty bucket has nothing to drain, so its start instant does not matter. */
  #at = -Infinity;

  constructor(maxRate: number, periodMs: number) {
    this.capacity = maxRate;
    this.periodMs = periodMs;
  }

  /** The level now, in cost units. */
  level(now: number): number {
    this.#drain(now);
    return this.#fill / this.periodMs;
  }

  available(now: number): number {
    this.#drain(now);
    // One division of whole cost·ms: `capacity - fill / periodMs` rounds twice and can miss an exact fit by an ulp.
    return (this.capacity * this.periodMs - this.#fill) / this.periodMs;
  }

  take(cost: number, now: number): void {
    this.#drain(now);
    this.#fill += cost * this.periodMs;
  }

  release(): number {
    return Infinity;
  }

  readyAt(cost: number, now: number): number {
    this.#drain(now);
    const excess = this.#fill - (this.capacity - cost) * this.periodMs;
    return excess <= 0 ? now : now + excess / this.capacity;
  }

  nextStep(): number {
    return Infinity;
  }

  isFull(now: number): boolean {
    this.#drain(now);
    return this.#fill === 0;
  }

  #drain(now: number): void {
    if (now > this.#at) {
      this.#fill = Math.max(0, this.#fill - (now - this.#at) * this.capacity);
      this.#at = now;
    }
  }
}
