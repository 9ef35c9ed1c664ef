import type { Budget } from '../budget.js';

/**
 * Tokens added in discrete steps: `refillAmount` every `refillIntervalMs` counted from `start`,
 * capped at `capacity`.
 *
 * @example
 * ```ts
 * const tokens = new TokenBudget(5, 1, 1_000, 0, 0);
 * tokens.readyAt(2, 0); // 2 000
 * ```
 */
export class TokenBudget implements Budget {
  readonly spends = true;
  readonly timed = true;
  readonly capacity: number;
  readonly refillAmount: number;
  readonly refillIntervalMs: number;
  #tokens: number;
  /** The last refill instant counted: `start + k × refillIntervalMs`, so steps never drift. */
  #last: number;

  constructor(capacity: number, refillAmount: number, refillIntervalMs: number, initialTokens: number, start: number) {
    this.capacity = capacity;
    this.refillAmount = refillAmount;
    this.refillIntervalMs = refillIntervalMs;
    this.#tokens = initialTokens;
    this.#last = start;
  }

  available(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  take(cost: number, now: number): void {
    this.#refill(now);
    this.#tokens -= cost;
  }

  release(): number {
    return Infinity;
  }

  readyAt(cost: number, now: number): number {
    this.#refill(now);
    if (cost <= this.#tokens) return now;
    return this.#last + this.#stepsFor(cost) * this.refillIntervalMs;
  }

  nextStep(now: number): number {
    this.#refill(now);
    return this.#tokens < this.capacity ? this.#last + this.refillIntervalMs : Infinity;
  }

  isFull(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.capacity;
  }

  /** Steps until `cost` is payable, computed with the very expression `#refill` uses, so the two never disagree by an ulp. */
  #stepsFor(cost: number): number {
    const after = (steps: number) => Math.min(this.capacity, this.#tokens + steps * this.refillAmount);
    let steps = Math.max(1, Math.ceil((cost - this.#tokens) / this.refillAmount));
    while (after(steps) < cost) steps++;
    while (steps > 1 && after(steps - 1) >= cost) steps--;
    return steps;
  }

  #refill(now: number): void {
    const steps = Math.floor((now - this.#last) / this.refillIntervalMs);
    if (steps > 0) {
      this.#tokens = Math.min(this.capacity, this.#tokens + steps * this.refillAmount);
      this.#last += steps * this.refillIntervalMs;
    }
  }
}
