import type { Budget } from '../budget.js';

/**
 * What the server last reported (`observe`): until its reset instant, admissions take at most
 * `remaining` more units in all, on top of the limiter's own budgets; from the reset instant on
 * (inclusive) it caps nothing. A newer report replaces the older one.
 *
 * @example
 * ```ts
 * const cap = new ServerCap();
 * cap.report(3, 1_000, 0); // 3 units until t = 1 000
 * cap.available(0);        // 3
 * cap.readyAt(4, 0);       // 1 000
 * ```
 */
export class ServerCap implements Budget {
  readonly spends = true;
  readonly timed = true;
  readonly capacity = Infinity;
  #remaining = Infinity;
  #resetAt = -Infinity;

  /** The instant the current report stops capping, or `-Infinity`. */
  get resetAt(): number {
    return this.#resetAt;
  }

  report(remaining: number, resetAt: number, now: number): void {
    if (resetAt <= now) {
      this.#resetAt = -Infinity;
      this.#remaining = Infinity;
      return;
    }
    this.#remaining = remaining;
    this.#resetAt = resetAt;
  }

  available(now: number): number {
    return now < this.#resetAt ? this.#remaining : Infinity;
  }

  take(units: number, now: number): void {
    if (now < this.#resetAt) this.#remaining = Math.max(0, this.#remaining - units);
  }

  release(): number {
    return Infinity;
  }

  readyAt(units: number, now: number): number {
    return now >= this.#resetAt || units <= this.#remaining ? now : this.#resetAt;
  }

  nextStep(now: number): number {
    return now < this.#resetAt ? this.#resetAt : Infinity;
  }

  /** Capping nothing: a report still in force keeps the limiter from looking new. */
  isFull(now: number): boolean {
    return now >= this.#resetAt;
  }
}
