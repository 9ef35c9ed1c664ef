import type { Budget } from '../budget.js';

/**
 * Several budgets paid at the same instant (Throttle's limits and its slots): a cost is payable
 * when every part can pay it, and is then taken from all of them. The limiter always deals with
 * one budget, so the common single-budget limiter pays without a loop on its hot path.
 *
 * It leaves `timed` absent (true): it reports one growth instant for all its parts, not each
 * part's refunds, so the limiter must read the clock every time.
 *
 * @example
 * ```ts
 * const both = new AllOf([new LeakyBudget(10, 1_000), new SlotBudget(1)]);
 * both.take(1, 0);
 * both.available(0); // 0: the slot is taken, though the rate could pay 9
 * ```
 */
export class AllOf implements Budget {
  readonly spends: boolean;
  readonly parts: readonly Budget[];

  constructor(parts: readonly Budget[]) {
    this.parts = parts;
    this.spends = parts.every((part) => part.spends);
  }

  /** Read afresh: a part's capacity may change (`update`). */
  get capacity(): number {
    let capacity = Infinity;
    for (const part of this.parts) capacity = Math.min(capacity, part.capacity);
    return capacity;
  }

  available(now: number): number {
    let payable = Infinity;
    for (const part of this.parts) payable = Math.min(payable, part.available(now));
    return payable;
  }

  take(cost: number, now: number): void {
    for (const part of this.parts) part.take(cost, now);
  }

  /** The earliest instant any part grows: the payable minimum may grow then, so that is when to scan. */
  release(cost: number, now: number, delayMs: number, id: string | number | undefined): number {
    let grows = Infinity;
    for (const part of this.parts) grows = Math.min(grows, part.release(cost, now, delayMs, id));
    return grows;
  }

  /** Each part only grows with time, so every part can pay at the latest of their instants. */
  readyAt(cost: number, now: number): number {
    let at = now;
    for (const part of this.parts) at = Math.max(at, part.readyAt(cost, now));
    return at;
  }

  nextStep(now: number): number {
    let at = Infinity;
    for (const part of this.parts) at = Math.min(at, part.nextStep(now));
    return at;
  }

  isFull(now: number): boolean {
    return this.parts.every((part) => part.isFull(now));
  }
}
