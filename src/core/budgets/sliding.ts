import type { Budget } from '../budget.js';
import { unitsDown, unitsUp } from '../quantum.js';

/**
 * A sliding window: an admission of `units` at `t` is free again at exactly `t + windowMs`, so no
 * window `[t, t + windowMs)` ever holds more than `limit`.
 *
 * Admissions come in time order, so they form a queue whose prefix sums are kept: "when will
 * `need` more units be free" is a binary search. Admissions in the same millisecond share one
 * entry, freed at the later one's instant (never early), so memory is bounded by the window:
 * at most `windowMs + 1` entries.
 *
 * @example
 * ```ts
 * const window = new SlidingBudget(10, 1_000);
 * for (let i = 0; i < 10; i++) window.take(1, 0);
 * window.readyAt(1, 0); // 1 000
 * ```
 */
export class SlidingBudget implements Budget {
  readonly spends = true;
  readonly timed = true;
  capacity: number;
  windowMs: number;
  /** Admission instants, oldest first from `#head`; `#sums[i]` = units admitted up to and including entry i, since the queue was last empty. */
  #at: number[] = [];
  #sums: number[] = [];
  #head = 0;
  /** `#sums` of the entries already freed. */
  #freed = 0;

  constructor(limit: number, windowMs: number) {
    this.capacity = limit;
    this.windowMs = windowMs;
  }

  /** Units admitted within the window ending at `now`. */
  used(now: number): number {
    this.#expire(now);
    const n = this.#sums.length;
    return n === this.#head ? 0 : this.#sums[n - 1]! - this.#freed;
  }

  available(now: number): number {
    return Math.max(0, this.capacity - this.used(now));
  }

  take(units: number, now: number): void {
    this.#expire(now);
    const n = this.#at.length;
    const total = (n === 0 ? 0 : this.#sums[n - 1]!) + units;
    if (n > this.#head && Math.floor(this.#at[n - 1]!) === Math.floor(now)) {
      this.#at[n - 1] = now;
      this.#sums[n - 1] = total;
    } else {
      this.#at.push(now);
      this.#sums.push(total);
    }
  }

  release(): number {
    return Infinity;
  }

  readyAt(units: number, now: number): number {
    const used = this.used(now);
    const excess = used + units - this.capacity;
    if (excess <= 0) return now;
    if (units > this.capacity) return Infinity;
    // The first entry whose freeing brings the excess to zero: the first i with sums[i] - freed >= excess.
    const target = this.#freed + excess;
    let lo = this.#head;
    let hi = this.#sums.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#sums[mid]! >= target) hi = mid;
      else lo = mid + 1;
    }
    return this.#at[lo]! + this.windowMs;
  }

  nextStep(now: number): number {
    this.#expire(now);
    return this.#head < this.#at.length ? this.#at[this.#head]! + this.windowMs : Infinity;
  }

  isFull(now: number): boolean {
    return this.used(now) === 0;
  }

  /**
   * Every entry keeps its instant. The running sums (rebased on what is freed) are rounded down
   * but the last, which is rounded up: what any suffix of entries holds, the only thing a window
   * ever counts, then never shrinks (⌈a⌉ − ⌊b⌋ ≥ a − b).
   */
  rescale(factor: number, now: number): void {
    this.#expire(now);
    const freed = this.#freed;
    this.#at = this.#at.slice(this.#head);
    this.#sums = this.#sums.slice(this.#head).map((sum, i, all) => (i === all.length - 1 ? unitsUp(sum - freed, factor) : unitsDown(sum - freed, factor)));
    this.#head = 0;
    this.#freed = 0;
    this.capacity = unitsDown(this.capacity, factor);
  }

  /**
   * One admission of `units` freed at `freeAt` (at most one window from `now`): a Throttle limit
   * that was a leaky bucket carries its level into the window it becomes. Only on an empty window.
   */
  seed(units: number, freeAt: number, now: number): void {
    if (units <= 0) return;
    this.#at = [Math.min(now, freeAt - this.windowMs)];
    this.#sums = [units];
    this.#head = 0;
    this.#freed = 0;
  }

  #expire(now: number): void {
    const at = this.#at;
    while (this.#head < at.length && at[this.#head]! + this.windowMs <= now) this.#freed = this.#sums[this.#head++]!;
    if (this.#head === at.length) {
      if (at.length > 0) {
        this.#at = [];
        this.#sums = [];
        this.#head = 0;
        this.#freed = 0;
      }
    } else if (this.#head > 64 && this.#head * 2 > at.length) {
      // Rebased on what is freed, so the running sums stay far below 2^53 however long traffic runs.
      const freed = this.#freed;
      this.#at = at.slice(this.#head);
      this.#sums = this.#sums.slice(this.#head).map((sum) => sum - freed);
      this.#head = 0;
      this.#freed = 0;
    }
  }
}
