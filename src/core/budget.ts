/**
 * One resource a limiter pays from: credits, slots, a leaky level, tokens. A limiter admits a
 * waiter only when every one of its budgets can pay at the same instant, then takes from all.
 *
 * Contract: `available(now)` is monotone non-decreasing in `now` between takes and releases
 * (budgets only grow with time), and `cost <= available(now)` exactly when `readyAt(cost, now) <= now`.
 * Both are what let one timer serve the whole queue: the wake-up for a set of waiters is
 * `readyAt` of the cheapest of them.
 *
 * @example
 * ```ts
 * const unlimited: Budget = {
 *   capacity: Infinity, spends: true,
 *   available: () => Infinity, take() {}, release: () => Infinity, readyAt: (_c, now) => now,
 *   nextStep: () => Infinity, isFull: () => true,
 * };
 * ```
 */
export interface Budget {
  /** The largest single cost this budget can ever pay. */
  readonly capacity: number;
  /** True when what is taken never comes back on release (rates): `readyAt` is then a lower bound on any wait. */
  readonly spends: boolean;
  /**
   * False when this budget changes with time only at the instants its `release` returns (refunds
   * coming due), never continuously or in refill steps. Between such instants every method but a
   * delayed `release` answers the same for any `now`, so the limiter may pass its latest clock
   * reading instead of reading the clock, the dearest step of an uncontended acquire. Absent
   * means true.
   */
  readonly timed?: boolean;
  /** The largest cost payable at `now`. */
  available(now: number): number;
  take(cost: number, now: number): void;
  /**
   * A permit ends: give `cost` back after `delayMs` (budgets that spend ignore it). Returns the
   * instant this makes `available` grow: `now`, a later instant (a refund), or `Infinity`.
   */
  release(cost: number, now: number, delayMs: number, id: string | number | undefined): number;
  /** The first instant >= `now` at which `cost` is payable if nobody takes or releases; `Infinity` if only a release can. */
  readyAt(cost: number, now: number): number;
  /**
   * The next instant after `now` at which `available` jumps without a release (a refund or a
   * refill step coming due), or `Infinity`. A continuous drain has no steps: it is scanned at the
   * instant a waiting cost fits (`readyAt`). This is the next scan for a waiter parked by fair entry.
   */
  nextStep(now: number): number;
  /** Back to its initial, unused state (nothing held, nothing to refill or drain). */
  isFull(now: number): boolean;
  /**
   * `update` made the quantum `factor` times coarser (`scale` units per cost unit now): every
   * amount becomes whole units of the new one, what is used or held rounded up and what is free
   * rounded down, so the budget never pays more than it did (budgets without amounts, such as
   * slots, leave it out).
   */
  rescale?(factor: number, now: number, scale: number): void;
  /**
   * The last permit taken before such a change is released: `units` the rounding kept as held
   * come back now (only budgets that give back on release keep them).
   */
  restore?(units: number): void;
}
