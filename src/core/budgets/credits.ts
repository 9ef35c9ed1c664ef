import type { Budget } from '../budget.js';
import { unitsDown, unitsUp } from '../quantum.js';
import { RefundQueue } from '../refund-queue.js';

/** Called for each refund as it comes due, with the instant it was due. */
export type RefundListener = (units: number, at: number, id: string | number | undefined) => void;

/**
 * Credits taken at admission that come back on release, at once or `delayMs` later
 * (CreditSemaphore, ConcurrencySemaphore). Whole units only (see `Quantum`), so what is free
 * depends on what is held and refunding, never on the order that led there.
 *
 * @example
 * ```ts
 * const credits = new CreditBudget(40);
 * credits.take(30);
 * credits.release(30, 3_000, 10_000, undefined); // due back at 13 000
 * credits.readyAt(40, 3_000); // 13 000
 * ```
 */
export class CreditBudget implements Budget {
  readonly spends = false;
  readonly timed = false;
  capacity: number;
  onRefund: RefundListener | undefined = undefined;
  /** Units taken and not yet back (held or refunding). */
  #out = 0;
  /** Allocated at the first delayed release: most semaphores never refund later. */
  #refunds: RefundQueue | undefined = undefined;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  available(now: number): number {
    if (this.#refunds !== undefined && this.#refunds.next <= now) this.#settle(now);
    return Math.max(0, this.capacity - this.#out);
  }

  /** Units released and due back later. */
  refunding(now: number): number {
    this.#settle(now);
    return this.#refunds?.total ?? 0;
  }

  take(units: number): void {
    this.#out += units;
  }

  release(units: number, now: number, delayMs: number, id: string | number | undefined): number {
    if (delayMs > 0) {
      const at = now + delayMs;
      (this.#refunds ??= new RefundQueue()).push(at, units, id);
      return at;
    }
    this.#out -= units;
    return now;
  }

  /**
   * The units free now plus, in due order, the refunds: one descent of the refund tree. A lower
   * capacity (`update`) may leave more out than the capacity; that excess must come back first.
   */
  readyAt(units: number, now: number): number {
    if (units <= this.available(now)) return now;
    return this.#refunds === undefined ? Infinity : this.#refunds.instantOf(units - (this.capacity - this.#out));
  }

  nextStep(now: number): number {
    this.#settle(now);
    return this.#refunds?.next ?? Infinity;
  }

  isFull(now: number): boolean {
    this.#settle(now);
    return this.#out === 0;
  }

  /**
   * What is held (rounded up, as the limiter rounds its own count of it) and each refund (rounded
   * up, so each gives back exactly what it now counts) in the coarser units.
   */
  rescale(factor: number): void {
    const held = this.#out - (this.#refunds?.total ?? 0);
    this.#refunds?.rescale((units) => unitsUp(units, factor));
    this.#out = unitsUp(held, factor) + (this.#refunds?.total ?? 0);
    this.capacity = unitsDown(this.capacity, factor);
  }

  restore(units: number): void {
    this.#out -= units;
  }

  /**
   * Every refund due at or before `now` comes back before that instant's scan. Listeners hear of
   * them once all are back: one that calls into the limiter finds the budget settled.
   */
  #settle(now: number): void {
    const refunds = this.#refunds;
    if (refunds === undefined || refunds.next > now) return;
    const back: { at: number; units: number; id: string | number | undefined }[] = [];
    for (let due = refunds.popDue(now); due !== undefined; due = refunds.popDue(now)) {
      this.#out -= due.units;
      back.push(due);
    }
    const onRefund = this.onRefund;
    if (onRefund !== undefined) for (const due of back) onRefund(due.units, due.at, due.id);
  }
}
