import type { Budget } from '../budget.js';
import { LARGEST, unitsDown, unitsUp } from '../quantum.js';

/**
 * What the server last reported (`observe`): until its reset instant, admissions take at most
 * `remaining` more units in all, on top of the limiter's own budgets; from the reset instant on
 * (inclusive) it caps nothing. A newer report replaces the older one.
 *
 * @example
 * ```ts
 * const cap = new ServerCap();
 * cap.report(3, 1_000, 0, 1); // 3 (a scale of 1: units) until t = 1 000
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
  /**
   * A report of more than the units can count (2^50) is held at 2^50, which caps nothing a
   * limiter can pay until `update` makes the quantum coarser: then what it said (a cost) is
   * counted afresh. `#start` is the count it was held at, so `#start − #remaining` were taken since.
   */
  #beyond: number | undefined = undefined;
  #start = 0;

  /** The instant the current report stops capping, or `-Infinity`. */
  get resetAt(): number {
    return this.#resetAt;
  }

  /** `remaining` in whole units of `scale` (rounded down: never more than the report said), until `resetAt`. */
  report(remaining: number, resetAt: number, now: number, scale: number): void {
    this.#beyond = undefined;
    if (resetAt <= now) {
      this.#resetAt = -Infinity;
      this.#remaining = Infinity;
      return;
    }
    this.#resetAt = resetAt;
    this.#count(remaining, scale, 0);
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

  /** What is left, rounded down to the coarser units; a report held at 2^50 counted afresh in them. */
  rescale(factor: number, _now: number, scale: number): void {
    if (this.#beyond === undefined) this.#remaining = unitsDown(this.#remaining, factor);
    else this.#count(this.#beyond, scale, unitsUp(this.#start - this.#remaining, factor));
  }

  #count(remaining: number, scale: number, taken: number): void {
    const exact = remaining * scale;
    this.#beyond = exact > LARGEST ? remaining : undefined;
    this.#start = Math.floor(Math.min(exact, LARGEST));
    this.#remaining = Math.max(0, this.#start - taken);
  }

  /** Capping nothing: a report still in force keeps the limiter from looking new. */
  isFull(now: number): boolean {
    return now >= this.#resetAt;
  }
}
