import type { Budget } from '../budget.js';

/**
 * `concurrency` slots where every admission takes one slot whatever its cost (Throttle).
 * Its `available` is all-or-nothing: any cost while a slot is free, nothing otherwise.
 *
 * @example
 * ```ts
 * const slots = new SlotBudget(2);
 * slots.take(); slots.take();
 * slots.available(); // 0
 * ```
 */
export class SlotBudget implements Budget {
  readonly spends = false;
  readonly timed = false;
  readonly capacity = Infinity;
  slots: number;
  #held = 0;

  constructor(slots: number) {
    this.slots = slots;
  }

  get held(): number {
    return this.#held;
  }

  available(): number {
    return this.#held < this.slots ? Infinity : 0;
  }

  take(): void {
    this.#held++;
  }

  release(_cost: number, now: number): number {
    this.#held--;
    return now;
  }

  readyAt(_cost: number, now: number): number {
    return this.#held < this.slots ? now : Infinity;
  }

  nextStep(): number {
    return Infinity;
  }

  isFull(): boolean {
    return this.#held === 0;
  }
}
