import type { Budget } from '../budget.js';

interface Refund {
  at: number;
  cost: number;
  id: string | number | undefined;
}

/** Called for each refund as it comes due, with the instant it was due. */
export type RefundListener = (cost: number, at: number, id: string | number | undefined) => void;

/**
 * Credits taken at admission that come back on release, at once or `delayMs` later
 * (CreditSemaphore, ConcurrencySemaphore).
 *
 * @example
 * ```ts
 * const credits = new CreditBudget(40);
 * credits.take(30, 0);
 * credits.release(30, 3_000, 10_000, undefined); // due back at 13 000
 * credits.readyAt(40, 3_000); // 13 000
 * ```
 */
export class CreditBudget implements Budget {
  readonly spends = false;
  readonly timed = false;
  readonly capacity: number;
  onRefund: RefundListener | undefined;
  /** Credits taken and not yet back (held or refunding). */
  #out = 0;
  /** How many takes are not yet back: at zero `#out` is reset to exactly 0, so float sums never leak a credit. */
  #takes = 0;
  #refunding = 0;
  /** Sorted by `at`; consumed from `#head`. Equal delays append, so the common case inserts in O(1). */
  #refunds: Refund[] = [];
  #head = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  available(now: number): number {
    if (this.#head < this.#refunds.length) this.#settle(now);
    return this.capacity - this.#out;
  }

  /** Credits released and due back later. */
  refunding(now: number): number {
    this.#settle(now);
    return this.#refunding;
  }

  take(cost: number): void {
    this.#out += cost;
    this.#takes++;
  }

  release(cost: number, now: number, delayMs: number, id: string | number | undefined): number {
    if (delayMs > 0) return this.#refundAt(now + delayMs, cost, id);
    this.#giveBack(cost);
    return now;
  }

  readyAt(cost: number, now: number): number {
    let free = this.available(now);
    if (cost <= free) return now;
    for (let i = this.#head; i < this.#refunds.length; i++) {
      const refund = this.#refunds[i]!;
      free += refund.cost;
      if (cost <= free) return refund.at;
    }
    return Infinity;
  }

  nextStep(now: number): number {
    this.#settle(now);
    return this.#head < this.#refunds.length ? this.#refunds[this.#head]!.at : Infinity;
  }

  isFull(now: number): boolean {
    this.#settle(now);
    return this.#takes === 0;
  }

  #refundAt(at: number, cost: number, id: string | number | undefined): number {
    this.#refunding += cost;
    this.#insert({ at, cost, id });
    return at;
  }

  #giveBack(cost: number): void {
    if (--this.#takes === 0) this.#out = 0;
    else this.#out = Math.max(0, this.#out - cost);
  }

  /** Every refund due at or before `now` comes back before that instant's scan. */
  #settle(now: number): void {
    const refunds = this.#refunds;
    while (this.#head < refunds.length && refunds[this.#head]!.at <= now) {
      const refund = refunds[this.#head]!;
      refunds[this.#head++] = undefined as unknown as Refund;
      this.#refunding = this.#head === refunds.length ? 0 : this.#refunding - refund.cost;
      this.#giveBack(refund.cost);
      this.onRefund?.(refund.cost, refund.at, refund.id);
    }
    if (this.#head === refunds.length) {
      refunds.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > refunds.length) {
      refunds.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #insert(refund: Refund): void {
    const refunds = this.#refunds;
    let lo = this.#head;
    let hi = refunds.length;
    if (hi === lo || refunds[hi - 1]!.at <= refund.at) {
      refunds.push(refund);
      return;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (refunds[mid]!.at <= refund.at) lo = mid + 1;
      else hi = mid;
    }
    refunds.splice(lo, 0, refund);
  }
}
