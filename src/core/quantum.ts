/**
 * Budgets count in whole quanta so that sums never drift: taking 0.1 and 0.2 and giving back 0.1
 * leaves exactly what taking 0.2 leaves. The quantum is 1e-9 of a cost unit, or for capacities
 * above 2^50 × 1e-9 (about 1.1e6) the smallest power of ten that keeps `capacity / quantum <= 2^50`
 * (every sum a budget keeps is at most its capacity, so every sum is an exact integer, and every
 * whole number of units reads back exactly as a cost). An `update` to a size the quantum cannot
 * span moves a limiter to a coarser one (`Gate.rescaleTo`, with `unitsUp` / `unitsDown`).
 *
 * @example
 * ```ts
 * const q = Quantum.for(40);
 * q.units(0.1) + q.units(0.2) === q.units(0.3); // true
 * q.cost(q.units(0.8)); // 0.8
 * ```
 */
export class Quantum {
  /** Units per cost unit: a power of ten, at most 1e9 (below 1 for capacities past 2^53). */
  readonly scale: number;

  private constructor(scale: number) {
    this.scale = scale;
  }

  /** The quantum for a limiter whose largest cost is `capacity` (finite and > 0). */
  static for(capacity: number): Quantum {
    if (capacity * 1e9 <= LARGEST) return FINEST;
    // A power of ten written as a literal: repeated division would drift (1e-300 / 10 ≠ 1e-301).
    const exponent = Math.ceil(Math.log10(capacity / LARGEST));
    let scale = Number(`1e${-exponent}`);
    if (capacity * scale > LARGEST) scale = Number(`1e${-exponent - 1}`);
    return new Quantum(scale);
  }

  /** True when `size` (a capacity, or a leaky bucket's `maxRate × periodMs`) spans at most 2^50 of these units. */
  spans(size: number): boolean {
    return size * this.scale <= LARGEST;
  }

  /** The size of one unit in cost. */
  get size(): number {
    return 1 / this.scale;
  }

  /**
   * `cost` in whole units, or `NaN` when it is not within rounding of a whole number of quanta
   * (finer than the quantum): the caller reports that as a `RangeError`.
   */
  units(cost: number): number {
    // Most calls cost 1: one comparison (this runs twice per acquire and release).
    if (cost === 1 && this.scale >= 1) return this.scale;
    const exact = cost * this.scale;
    // A product that is already whole (every whole cost, halves, quarters…) needs no rounding check.
    if (Number.isInteger(exact) && exact <= LARGEST && (exact > 0 || cost === 0)) return exact;
    const units = Math.round(exact);
    // A quantum above 1 (capacities past 2^50) is coarser than the doubles near it: every cost is rounded to the nearest quantum; only one finer than half of it is refused.
    if (this.scale < 1) return units > LARGEST || (units === 0 && cost > 0) ? NaN : units;
    // A cost written in decimals (0.1, 16.1) is a few ulps off a whole number of quanta; a cost
    // finer than the quantum (1.5e-9) is a large fraction of one off.
    if (units === 0 && cost > 0) return NaN;
    return units <= LARGEST && Math.abs(exact - units) <= 1e-6 + units * 2 ** -50 ? units : NaN;
  }

  /** `units` back in cost: exact for every whole number of units up to 2^53. */
  cost(units: number): number {
    const cost = units / this.scale;
    // With a quantum above 1 (capacities past 2^53) the quotient can round past the largest double.
    return cost === Infinity && units !== Infinity ? Number.MAX_VALUE : cost;
  }
}

/**
 * The most units a capacity may span: below 2^50 every whole number of units reads back exactly
 * through `cost` (k / scale × scale is within 1/8 of k), so an `available` a limiter reports is
 * always a cost it accepts. Sums stay exact far beyond (2^53).
 *
 * @example
 * ```ts
 * Quantum.for(1).spans(LARGEST / 1e9); // true: the most a quantum of 1e-9 spans
 * ```
 */
export const LARGEST = 2 ** 50;

const make = Quantum as unknown as new (scale: number) => Quantum;
const FINEST = new make(1e9);

/**
 * What a limiter releases through while permits taken before `update` changed its quantum are
 * outstanding: every cost is `NaN` in it, which sends each release off the short path to one that
 * rounds what a permit gives back (see `Gate`). The same class as every quantum, so the release
 * path stays monomorphic.
 *
 * @example
 * ```ts
 * NO_UNITS.units(1); // NaN
 * ```
 */
export const NO_UNITS = new make(Number.NaN);

/**
 * `units` of a quantum `factor` times finer, in whole units of the coarser one, rounded up (what
 * is used or held: never less than it was). The quotient is corrected by the product, which is
 * exact where the quotient's rounding is not.
 *
 * @example
 * ```ts
 * unitsUp(25, 10); // 3
 * ```
 */
export function unitsUp(units: number, factor: number): number {
  if (units === Infinity) return units;
  let q = Math.ceil(units / factor);
  while (q > 0 && (q - 1) * factor >= units) q--;
  while (q * factor < units) q++;
  return q;
}

/**
 * `units` of a quantum `factor` times finer, in whole units of the coarser one, rounded down (what
 * is free: never more than it was).
 *
 * @example
 * ```ts
 * unitsDown(25, 10); // 2
 * ```
 */
export function unitsDown(units: number, factor: number): number {
  if (units === Infinity) return units;
  let q = Math.floor(units / factor);
  while (q > 0 && q * factor > units) q--;
  while ((q + 1) * factor <= units) q++;
  return q;
}

/**
 * `value` (the option `name`) in whole units of `quantum`, or a `RangeError` naming the option
 * when it is finer than the quantum or too large for exact sums.
 *
 * @example
 * ```ts
 * checkUnits(Quantum.for(40), 'capacity', 40); // 40e9
 * ```
 */
export function checkUnits(quantum: Quantum, name: string, value: number): number {
  const units = quantum.units(value);
  if (Number.isNaN(units)) {
    throw new RangeError(`${name} must be a whole number of quanta (${quantum.size}) up to ${LARGEST / quantum.scale}; got ${value}`);
  }
  return units;
}
