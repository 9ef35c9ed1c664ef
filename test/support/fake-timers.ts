import { afterEach, beforeEach, expect } from 'vitest';
import { type FakeClock, installFakeClock } from '../contract/contract-suite.js';

export { track } from '../contract/contract-suite.js';

/** Installs @sinonjs/fake-timers before each test (time starts at 0) and removes it after. */
export function useFakeTimers(): { readonly clock: FakeClock } {
  const holder = {} as { clock: FakeClock };
  beforeEach(() => {
    holder.clock = installFakeClock();
  });
  afterEach(() => holder.clock.uninstall());
  return holder;
}

export const now = (): number => performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `make` throws `type` and the message names `option` (and shows `shown` when given). */
export function expectBadOption(make: () => unknown, type: typeof TypeError | typeof RangeError, option: string, shown?: string): void {
  let error: unknown;
  try {
    make();
  } catch (e) {
    error = e;
  }
  expect(error, `${option}${shown === undefined ? '' : ` = ${shown}`}`).toBeInstanceOf(type);
  expect((error as Error).message).toContain(option);
  if (shown !== undefined) expect((error as Error).message).toContain(shown);
}

/**
 * Checks one numeric option with the usual bad values: missing (when required), wrong type,
 * negative, NaN, Infinity, and zero when zero is meaningless.
 */
export function expectNumberOption(
  build: (value: unknown) => unknown,
  option: string,
  { required = true, zeroOk = false, infinityOk = false, integer = false } = {},
): void {
  if (required) expectBadOption(() => build(undefined), TypeError, option, 'undefined');
  for (const value of ['5', null, true, {}, 5n]) expectBadOption(() => build(value), TypeError, option);
  const ranged: number[] = [-1, -0.5, NaN, -Infinity];
  if (!infinityOk) ranged.push(Infinity);
  if (!zeroOk) ranged.push(0);
  if (integer) ranged.push(1.5);
  for (const value of ranged) expectBadOption(() => build(value), RangeError, option, String(value));
}

/** Options every limiter shares (CommonOptions): bad values throw at construction, naming the option. */
export function expectCommonOptions(build: (extra: Record<string, unknown>) => unknown): void {
  expectBadOption(() => build({ maxWaitMs: -1 }), RangeError, 'maxWaitMs', '-1');
  expectBadOption(() => build({ maxWaitMs: NaN }), RangeError, 'maxWaitMs', 'NaN');
  expectBadOption(() => build({ maxWaitMs: '10' }), TypeError, 'maxWaitMs');
  expectBadOption(() => build({ admission: 'lifo' }), TypeError, 'admission', 'lifo');
  expectBadOption(() => build({ maxBypass: -1 }), RangeError, 'maxBypass', '-1');
  expectBadOption(() => build({ maxBypass: 1.5 }), RangeError, 'maxBypass', '1.5');
  expectBadOption(() => build({ maxBypass: NaN }), RangeError, 'maxBypass', 'NaN');
  expectBadOption(() => build({ onEvent: 'log' }), TypeError, 'onEvent');
  expectBadOption(() => build({ clock: {} }), TypeError, 'clock');
  expectBadOption(() => build({ clock: { now: () => 0 } }), TypeError, 'clock');
  // The valid forms construct.
  expect(() => build({ maxWaitMs: 0, admission: 'fifo', maxBypass: 3, onEvent: () => {} })).not.toThrow();
  expect(() => build({ maxWaitMs: Infinity, admission: 'opportunistic', maxBypass: Infinity })).not.toThrow();
}
