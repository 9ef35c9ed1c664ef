import type { Clock } from './clock.js';

/**
 * Reads a limiter's clock, skipping reads that cannot change an answer: a clock read costs more
 * than the rest of an uncontended acquire. Past `#until` every pause has ended, every refund and
 * deadline has come due, and no budget changes with time (`Budget.timed`), so the latest reading
 * gives exactly the answers the true instant would.
 *
 * @example
 * ```ts
 * const reader = new ClockReader(systemClock, false);
 * reader.read();         // always reads
 * reader.now();          // may reuse the latest reading
 * reader.until(t + 500); // something changes at t + 500: read until then
 * ```
 */
export class ClockReader {
  readonly #clock: Clock;
  #last = -Infinity;
  #until: number;

  /** `alwaysRead` when a budget changes continuously or a listener wants exact instants. */
  constructor(clock: Clock, alwaysRead: boolean) {
    this.#clock = clock;
    this.#until = alwaysRead ? Infinity : -Infinity;
  }

  /** The current instant, or the latest reading when nothing can have changed since. */
  now(): number {
    return this.#last > this.#until ? this.#last : this.read();
  }

  /** A fresh reading; every reading goes through here so `#last` is the latest even if the clock was swapped (fake timers). */
  read(): number {
    return (this.#last = this.#clock.now());
  }

  /** Something will change at `at`: until then `now()` reads the clock. */
  until(at: number): void {
    if (at > this.#until) this.#until = at;
  }
}
