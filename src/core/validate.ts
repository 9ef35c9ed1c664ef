import { type Clock, systemClock } from './clock.js';

// Checks shared by every constructor and call. Messages name the option and the value given,
// so a bad configuration is found from the stack trace alone.

const show = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value);

/** A finite number >= `min` (or > 0 when `positive`); Infinity only when `allowInfinity`. */
export function checkNumber(
  name: string,
  value: unknown,
  { min = 0, positive = false, integer = false, allowInfinity = false } = {},
): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number; got ${show(value)}`);
  const ok =
    !Number.isNaN(value) &&
    (allowInfinity ? value !== -Infinity : Number.isFinite(value)) &&
    (positive ? value > min : value >= min) &&
    (!integer || Number.isInteger(value) || value === Infinity);
  if (!ok) {
    const kind = `${integer ? 'an integer' : 'a number'} ${positive ? '>' : '>='} ${min}${allowInfinity ? ' (or Infinity)' : ''}`;
    throw new RangeError(`${name} must be ${kind}; got ${show(value)}`);
  }
  return value;
}

/** Same as {@link checkNumber} for an optional value: `undefined` gives `fallback`. */
export function optionalNumber(
  name: string,
  value: unknown,
  fallback: number,
  rules?: Parameters<typeof checkNumber>[2],
): number {
  return value === undefined ? fallback : checkNumber(name, value, rules);
}

/**
 * A leaky bucket keeps its level in cost·ms (up to `rate × periodMs`): the product must be a
 * finite number, else the level overflows to Infinity and every later reading is NaN.
 */
export function checkRatePeriod(rateName: string, rate: number, periodName: string, periodMs: number): void {
  if (!Number.isFinite(rate * periodMs)) {
    throw new RangeError(`${rateName} × ${periodName} must be a finite number; got ${rate} × ${periodMs}`);
  }
}

/** A cost is a finite number in [0, capacity]. Checked on every call: the error is built out of line, to keep this small enough to inline. */
export function checkCost(value: unknown, capacity: number, name = 'cost'): number {
  if (!isCost(value, capacity)) throwBadCost(value, capacity, name);
  return value as number;
}

/** `checkCost`'s rule as a predicate, for a fast path that leaves errors to the slow one. */
export function isCost(value: unknown, capacity: number): value is number {
  return typeof value === 'number' && value >= 0 && value <= capacity && value !== Infinity;
}

export function throwBadCost(value: unknown, capacity: number, name: string): never {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number; got ${show(value)}`);
  throw new RangeError(`${name} must be a finite number from 0 to the capacity ${capacity}; got ${show(value)}`);
}

/** A waiter's priority: any finite number (higher first). */
export function checkPriority(value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`priority must be a number; got ${show(value)}`);
  if (!Number.isFinite(value)) throw new RangeError(`priority must be a finite number; got ${show(value)}`);
  return value;
}

export function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string; got ${show(value)}`);
  return value;
}

export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function; got ${show(value)}`);
}

export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new TypeError(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got ${show(value)}`);
  }
  return value as T;
}

export function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw new TypeError(`signal must be an AbortSignal; got ${show(value)}`);
  return value;
}

export function checkId(value: unknown): string | number | undefined {
  if (value === undefined || typeof value === 'string' || typeof value === 'number') return value;
  throw new TypeError(`id must be a string or a number; got ${show(value)}`);
}

export function checkObject(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw new TypeError(`${name} must be an object; got ${show(value)}`);
  return value as Record<string, unknown>;
}

/** The `clock` option: `systemClock` when absent. */
export function checkClock(value: unknown): Clock {
  if (value === undefined) return systemClock;
  const clock = value as Clock;
  if (typeof clock?.now !== 'function' || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
    throw new TypeError(`clock must have now(), setTimeout() and clearTimeout(); got ${show(value)}`);
  }
  return clock;
}
