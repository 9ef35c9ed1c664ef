import type { Budget } from '../budget.js';
import { unitsDown, unitsUp } from '../quantum.js';

/**
 * aiolimiter's leaky bucket: a level that drains continuously at `maxRate / periodMs` per ms;
 * a cost is payable while `level + cost <= maxRate`.
 *
 * The level is kept as a fill of units × `periodMs` (see `Quantum`, chosen so that
 * `maxRate × periodMs` in units is an exact integer), which drains by exactly `maxRate` units
 * each ms: with whole-ms instants every step is integer arithmetic, so documented runs land on
 * the exact millisecond and nothing is lost to rounding however often the bucket is taken from.
 * `available` and `readyAt` share one predicate (`fits`), so they never disagree, and reading
 * never moves anything.
 *
 * @example
 * ```ts
 * const bucket = new LeakyBudget(4e9, 8_000); // maxRate 4 in units of 1e-9
 * for (let i = 0; i < 4; i++) bucket.take(1e9, 0);
 * bucket.readyAt(1e9, 0); // 2 000
 * ```
 */
export class LeakyBudget implements Budget {
  readonly spends = true;
  readonly timed = true;
  capacity: number;
  periodMs: number;
  /** Units × periodMs in the bucket at `#at`. */
  #fill = 0;
  #at = 0;
  /** `capacity × periodMs`, kept with them: the predicate's constant side. */
  #full = 0;

  constructor(maxRate: number, periodMs: number) {
    this.capacity = maxRate;
    this.periodMs = periodMs;
    this.#full = maxRate * periodMs;
  }

  /** The level at `now`, in units (rounded up: never less than the bucket holds). */
  level(now: number): number {
    return Math.ceil(this.#fillAt(now) / this.periodMs);
  }

  /** The instant the level, draining from `now` with nothing more taken, reaches 0. */
  drainedAt(now: number): number {
    // Rounded up to a whole ms: never before the true instant, whatever the division rounds to.
    return now + Math.ceil(this.#fillAt(now) / this.capacity);
  }

  available(now: number): number {
    const room = this.#full - this.#fillAt(now);
    if (room <= 0) return 0;
    // The quotient may round either way across a whole number: `fits` (the same product) has the last word.
    const units = Math.floor(room / this.periodMs);
    if (units * this.periodMs > room) return units - 1;
    return (units + 1) * this.periodMs <= room ? units + 1 : units;
  }

  take(units: number, now: number): void {
    this.#fill = this.#fillAt(now) + units * this.periodMs;
    this.#at = now;
  }

  /** New rate or period from `now` on: the level so far, drained at the old rate, is kept. */
  reshape(maxRate: number, periodMs: number, now: number): void {
    const level = this.#fillAt(now) / this.periodMs;
    this.#fill = level * periodMs;
    this.#at = now;
    this.capacity = maxRate;
    this.periodMs = periodMs;
    this.#full = maxRate * periodMs;
  }

  /** The level now, rounded up to the coarser units (drained at the old rate until now). */
  rescale(factor: number, now: number): void {
    this.#fill = unitsUp(this.#fillAt(now), factor);
    this.#at = now;
    this.capacity = unitsDown(this.capacity, factor);
    this.#full = this.capacity * this.periodMs;
  }

  /**
   * Starts at a level of `units`: a Throttle limit that was a sliding window carries what its
   * window held into the bucket it becomes (never capped at `maxRate`: a lower rate waits for the
   * level to drain, as `reshape` does).
   */
  fillTo(units: number, now: number): void {
    this.#fill = units * this.periodMs;
    this.#at = now;
  }

  release(): number {
    return Infinity;
  }

  /** The first instant the drain makes room for `units`: computed, then moved up until `fits` agrees (it is monotone in time). */
  readyAt(units: number, now: number): number {
    if (this.#fits(units, this.#fillAt(now))) return now;
    if (units > this.capacity) return Infinity;
    const excess = this.#fill - (this.capacity - units) * this.periodMs;
    let at = Math.max(now, this.#at + excess / this.capacity);
    for (let step = Math.max(Number.EPSILON * Math.abs(at), Number.MIN_VALUE); !this.#fits(units, this.#fillAt(at)); step *= 2) at += step;
    return at;
  }

  nextStep(): number {
    return Infinity;
  }

  isFull(now: number): boolean {
    return this.#fillAt(now) === 0;
  }

  /** The one predicate: `units` fit on top of `fill` (the same sum `available` inverts). */
  #fits(units: number, fill: number): boolean {
    return units * this.periodMs <= this.#full - fill;
  }

  #fillAt(now: number): number {
    return now > this.#at ? Math.max(0, this.#fill - (now - this.#at) * this.capacity) : this.#fill;
  }
}
